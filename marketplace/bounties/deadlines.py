"""The deadlines of a bounty: submissions close, the selection window ends; a cancel with entries is refused."""
from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l

from ..core.errors import WrongState
from ..core.money import WhenParam, format_money
from ..extensions import db
from ..jobs import service as jobs
from ..ledger import service as ledger
from ..tasks.funding import escrow_ref
from ..tasks.models import Task
from . import events, transitions
from .loading import DEADLINE_TIMER, SELECTION_TIMER, get_bounty, live_count, selection_ends_at
from .models import CONTENDING_STATUSES, BountyReview, Submission
from .notices import _notify_judges, _notify_participants, _notify_payer


def _ref(task: Task) -> str:
    return jobs.subject_ref("task", task.id)


def on_task_published(_sender=None, *, task: Task) -> None:
    """tasks.events.task_published receiver: the submission deadline timer of a bounty."""
    if task.mode == "bounty" and task.submission_deadline is not None:
        jobs.schedule(DEADLINE_TIMER, _ref(task), task.submission_deadline)


def refuse_cancel_with_entries(_sender=None, *, task: Task) -> None:
    """tasks.events.task_cancel_check receiver: a bounty with entries is not cancelled."""
    if task.mode == "bounty" and live_count(task):
        raise WrongState(_l("A bounty with entries cannot be cancelled; choose the winners, or it goes to "
                            "operator review."))


def _refund_rest(task: Task, key: str, actor=None) -> int:
    """Return every open hold of the bounty to the payer's wallet; the amount returned."""
    left = ledger.escrow_balance(escrow_ref(task))
    if left:
        ledger.refund_escrow(escrow_ref(task), idempotency_key=key, actor=actor)
    task.escrow_amount = 0
    if left:
        _notify_payer(task, "bounty.refunded", amount=format_money(left, task.currency))
        events.bounty_refunded.send(task, task=task, amount=left)
    return left


def deadline_passed(subject: str, now: dt.datetime) -> None:
    """Timer: submissions close. No live entries → full refund; else → selecting, and the
    selection window's timer starts."""
    _name, pk = jobs.parse_subject_ref(subject)
    task = get_bounty(pk, lock=True)
    if task.status != "open":
        raise WrongState("not open")
    if task.submission_deadline and task.submission_deadline > now:
        jobs.schedule(DEADLINE_TIMER, subject, task.submission_deadline)  # extended meanwhile
        return
    if not live_count(task):
        transitions.move(task, "refunded", expected=("open",))
        _refund_rest(task, key=f"bounty:no-entries:{task.id}")
        return
    transitions.move(task, "selecting", expected=("open",))
    until = selection_ends_at(task)
    jobs.schedule(SELECTION_TIMER, subject, until)
    _notify_judges(task, "bounty.selecting", until=WhenParam(until))  # read in the reader's time zone


def selection_ended(subject: str, now: dt.datetime) -> None:
    """Timer: the selection window ends. Piece: the unspent remainder returns. Single / ranked
    without a choice: eligible entries → operator review (never a silent refund); none → refund."""
    _name, pk = jobs.parse_subject_ref(subject)
    task = get_bounty(pk, lock=True)
    if task.status != "selecting":
        raise WrongState("not selecting")
    contenders = db.session.scalar(db.select(db.func.count(Submission.id)).where(
        Submission.task_id == task.id, Submission.status.in_(CONTENDING_STATUSES))) or 0
    if task.prize_structure == "piece":
        accepted = db.session.scalar(db.select(db.func.count(Submission.id)).where(
            Submission.task_id == task.id, Submission.status == "accepted")) or 0
        if accepted:
            transitions.move(task, "awarded", expected=("selecting",))
            _refund_rest(task, key=f"bounty:piece-rest:{task.id}")
            _notify_participants(task, "bounty.closed", reason=str(_l("the unspent pieces went back to the poster")))
            return
        if not contenders:
            transitions.move(task, "refunded", expected=("selecting",))
            _refund_rest(task, key=f"bounty:none-eligible:{task.id}")
            return
    elif not contenders:
        transitions.move(task, "refunded", expected=("selecting",))
        _refund_rest(task, key=f"bounty:none-eligible:{task.id}")
        _notify_participants(task, "bounty.closed", reason=str(_l("no eligible entries; the reward went back")))
        return
    transitions.move(task, "review", expected=("selecting",))
    db.session.add(BountyReview(task_id=task.id, status="open", opened_at=now))
    _notify_participants(task, "bounty.review", include_payer=True)
