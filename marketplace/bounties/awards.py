"""Choosing winners and paying prizes, and accepting pieces of a piece bounty."""
from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l

from ..accounts.models import User
from ..accounts.policies import require_operator
from ..core import links
from ..core.audit import record
from ..core.db import utcnow
from ..core.errors import NotFound, ValidationFailed, WrongState
from ..core.money import format_money
from ..extensions import db
from ..jobs import service as jobs
from ..ledger import service as ledger
from ..notifications.service import notify
from ..tasks import policies as task_policies
from ..tasks.funding import escrow_ref
from ..tasks.models import Task
from . import events, policies, transitions
from .deadlines import _ref
from .loading import (
    DEADLINE_TIMER,
    PRIZE_TIMER,
    SELECTION_TIMER,
    dispute_days,
    get_bounty,
    get_submission,
    prize_ref,
    selection_ends_at,
)
from .models import (
    CONTENDING_STATUSES,
    BountyPrize,
    BountyReview,
    Submission,
    SubmissionAuthor,
)
from .notices import _judge_users, _notify_authors, _notify_payer, _notify_results


def _prize_holds(task: Task) -> dict[int, list[str]]:
    """Open prize holds by rank: the prize itself and any top-ups of it."""
    base = f"{escrow_ref(task)}:prize:"
    by_rank: dict[int, list[str]] = {}
    for hold in ledger.escrow_holds(escrow_ref(task)):
        if hold.is_open and hold.ref.startswith(base):
            rank = int(hold.ref[len(base):].split(":")[0])
            by_rank.setdefault(rank, []).append(hold.ref)
    return by_rank


def _hold_amount(ref: str) -> int:
    return ledger.get_hold(ref).amount


def _pay(task: Task, sub: Submission, hold_ref: str, actor, key: str) -> int:
    """Release one hold to the entry's authors (co-authors by their shares). Returns the gross."""
    authors = list(db.session.scalars(db.select(SubmissionAuthor).where(SubmissionAuthor.submission_id == sub.id)
                                      .order_by(SubmissionAuthor.id)))
    amount = _hold_amount(hold_ref)
    if len(authors) <= 1:
        ledger.release(hold_ref, db.session.get(User, sub.solver_id), idempotency_key=key, actor=actor,
                       category=task.category)
    else:
        users = {u.id: u for u in db.session.scalars(db.select(User).where(User.id.in_([a.user_id for a in authors])))}
        ledger.release_shared(hold_ref, [(users[a.user_id], a.share_bps) for a in authors], idempotency_key=key,
                              actor=actor, category=task.category)
    return amount


def _parse_awards(task: Task, awards) -> list[tuple[Submission, int]]:
    if not isinstance(awards, list) or not awards:
        raise ValidationFailed(errors={"awards": [_l("Choose at least one winner.")]})
    prizes = list(task.prizes or [])
    result, seen_subs, seen_ranks = [], set(), set()
    for item in awards:
        if not isinstance(item, dict):
            raise ValidationFailed(errors={"awards": [_l("Each award names an entry and a rank.")]})
        sid, rank = item.get("submission_id"), item.get("rank")
        if isinstance(rank, str) and rank.isdigit():
            rank = int(rank)
        if isinstance(rank, bool) or not isinstance(rank, int) or not 1 <= rank <= len(prizes):
            raise ValidationFailed(errors={"awards": [_l("A rank must be from 1 to %(n)s.", n=len(prizes))]})
        if not isinstance(sid, str):
            raise ValidationFailed(errors={"awards": [_l("Unknown entry.")]})
        sub = db.session.scalar(db.select(Submission).where(Submission.public_id == sid,
                                                            Submission.task_id == task.id))
        if sub is None:
            raise ValidationFailed(errors={"awards": [_l("Unknown entry.")]})
        if sub.status not in CONTENDING_STATUSES:
            raise ValidationFailed(errors={"awards": [_l("Only an eligible entry can win.")]})
        if sub.id in seen_subs or rank in seen_ranks:
            raise ValidationFailed(errors={"awards": [_l("Each entry and each rank may be chosen once.")]})
        seen_subs.add(sub.id)
        seen_ranks.add(rank)
        result.append((sub, rank))
    contenders = db.session.scalar(db.select(db.func.count(Submission.id)).where(
        Submission.task_id == task.id, Submission.status.in_(CONTENDING_STATUSES))) or 0
    needed = min(len(prizes), contenders)
    if seen_ranks != set(range(1, needed + 1)):
        raise ValidationFailed(errors={"awards": [
            _l("Award the prizes 1 to %(n)s: every prize goes to an eligible entry while there are enough.",
               n=needed)]})
    return sorted(result, key=lambda p: p[1])


def award(actor, task: Task, awards, *, now: dt.datetime | None = None, operator: bool = False,
          reason: str | None = None) -> Task:
    """Pick the winners of a single or ranked bounty (the poster's side while selecting, an
    operator in review): each prize stays held in the escrow for BOUNTY_DISPUTE_DAYS, open to a
    dispute, and is then paid minus the fee by the `bounty.prize_release` timer; prizes left empty
    return to the payer's wallet, everyone who entered is told. A second award is 409."""
    now = now or utcnow()
    if operator:
        require_operator(actor)
    else:
        task_policies.require_view(actor, task)
        policies.require_judge(actor, task)
    task = get_bounty(task.id, lock=True)
    if task.prize_structure == "piece":
        raise WrongState(_l("A piece bounty pays entries one by one as they are accepted."))
    expected = ("review",) if operator else ("selecting",)
    if task.status not in expected:
        if task.status == "open" and not operator:
            raise WrongState(_l("Winners are chosen after the submission deadline."))
        raise WrongState(_l("The winners of this bounty have already been chosen or it is closed."))
    if not operator and task.submission_deadline and now > selection_ends_at(task):
        raise WrongState(_l("The selection window has ended."))
    chosen = _parse_awards(task, awards)
    transitions.move(task, "awarded", expected=expected)
    holds = _prize_holds(task)
    held_until = now + dt.timedelta(days=dispute_days())
    winners, total = [], 0
    for sub, rank in chosen:
        gross = sum(_hold_amount(ref) for ref in holds.pop(rank, []))
        sub.status = "winner"
        sub.rank = rank
        sub.paid_amount = gross
        sub.decided_at = now
        total += gross
        if gross > 0:
            prize = BountyPrize(task_id=task.id, submission_id=sub.id, rank=rank, amount=gross,
                                currency=task.currency, status="held", awarded_at=now, held_until=held_until)
            db.session.add(prize)
            db.session.flush()
            jobs.schedule(PRIZE_TIMER, prize_ref(prize), held_until)
        winners.append({"submission_id": sub.public_id, "rank": rank, "amount": gross,
                        "user_ids": sorted(policies.author_ids(sub)), "held_until": held_until})
    returned = 0
    for refs in holds.values():
        for ref in refs:
            returned += _hold_amount(ref)
            ledger.refund(ref, idempotency_key=f"bounty:unawarded:{ref}", actor=actor)
    db.session.flush()
    _close_escrow_amount(task)
    _notify_results(task, winners)
    if returned:
        _notify_payer(task, "bounty.refunded", amount=format_money(returned, task.currency))
    if operator:
        _close_review(task, actor, "awarded", reason, now)
        for user in _judge_users(task):
            notify(user, "bounty.closed", link=links.url("bounties.results", task_id=task.id), task=task.title,
                   reason=str(_l("an operator chose the winners by your criteria")) + (f": {reason}" if reason else ""))
    events.bounty_awarded.send(task, task=task, winners=winners, amount=total)
    return task


def accept_piece(actor, sub: Submission, *, now: dt.datetime | None = None) -> Submission:
    """Accept one entry of a piece bounty and pay it at once, up to the maximum number of pieces
    (the task row lock serialises concurrent accepts; the piece number is unique per task)."""
    now = now or utcnow()
    task = get_bounty(sub.task_id)
    policies.require_see(actor, sub, task)
    policies.require_judge(actor, task)
    task = get_bounty(sub.task_id, lock=True)
    sub = get_submission(sub.public_id, lock=True)
    if task.prize_structure != "piece":
        raise WrongState(_l("Only entries of a piece bounty are accepted one by one."))
    if task.status not in ("open", "selecting"):
        raise WrongState(_l("This bounty no longer accepts entries."))
    if sub.status not in CONTENDING_STATUSES:
        raise WrongState(_l("This entry was already decided."))
    base = f"{escrow_ref(task)}:piece:"
    # A piece frozen by an open dispute (jobs.freeze, see disputes.py) is not spent meanwhile.
    open_pieces = sorted((h for h in ledger.escrow_holds(escrow_ref(task))
                          if h.is_open and h.ref.startswith(base) and not jobs.is_frozen(h.ref)),
                         key=lambda h: int(h.ref[len(base):].split(":")[0]))
    if not open_pieces:
        raise WrongState(_l("All pieces of this bounty are already paid."))
    hold = open_pieces[0]
    piece_no = int(hold.ref[len(base):].split(":")[0])
    sub.status = "accepted"
    sub.piece_no = piece_no
    sub.decided_at = now
    db.session.flush()
    sub.paid_amount = _pay(task, sub, hold.ref, actor, key=f"bounty:accept:{hold.ref}")
    _close_escrow_amount(task)
    _notify_authors(sub, "bounty.piece_accepted", task, prize=format_money(sub.paid_amount, task.currency))
    frozen_left = any(h.is_open and h.ref.startswith(base) and jobs.is_frozen(h.ref)
                      for h in ledger.escrow_holds(escrow_ref(task)))
    if len(open_pieces) == 1 and not frozen_left:  # the cap is reached: nothing is left to pay
        transitions.move(task, "awarded", expected=(task.status,))
        jobs.cancel(DEADLINE_TIMER, _ref(task))
        jobs.cancel(SELECTION_TIMER, _ref(task))
    events.piece_accepted.send(task, task=task, submission=sub, amount=sub.paid_amount)
    return sub


def prize_holds_of(task: Task, rank: int) -> list[str]:
    """The open ledger holds of one prize (the prize and its top-ups)."""
    return _prize_holds(task).get(rank, [])


def release_prize(ref: str, now: dt.datetime) -> None:
    """Timer `bounty.prize_release`: the dispute window of a held prize ended without a dispute
    (or after one was withdrawn); pay it minus the fee to the winning entry's authors."""
    _name, prize_id = jobs.parse_subject_ref(ref)
    prize = db.session.get(BountyPrize, prize_id)
    if prize is None:
        raise NotFound()
    task = get_bounty(prize.task_id, lock=True)
    prize = db.session.execute(db.select(BountyPrize).where(BountyPrize.id == prize_id).with_for_update()
                               .execution_options(populate_existing=True)).scalar_one()
    if prize.status != "held":
        raise WrongState("prize not held")
    if now < prize.held_until:  # the window was extended while a dispute was open
        jobs.schedule(PRIZE_TIMER, ref, prize.held_until)
        return
    sub = db.session.get(Submission, prize.submission_id)
    for hold_ref in prize_holds_of(task, prize.rank):
        _pay(task, sub, hold_ref, None, key=f"bounty:award:{hold_ref}")
    prize.status = "released"
    prize.paid_at = now
    db.session.flush()
    _close_escrow_amount(task)
    _notify_authors(sub, "bounty.prize_paid", task, prize=format_money(prize.amount, task.currency))


def _close_escrow_amount(task: Task) -> None:
    task.escrow_amount = ledger.escrow_balance(escrow_ref(task))


def _close_review(task: Task, actor, outcome: str, reason, now) -> None:
    changed = db.session.execute(
        db.update(BountyReview).where(BountyReview.task_id == task.id, BountyReview.status == "open")
        .values(status=outcome, decided_at=now, decided_by_id=actor.id, reason=reason)
        .execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        raise WrongState(_l("This review was already decided."))
    record(f"bounty_review.{outcome}", actor=actor, target=task, reason=reason)
