"""What a dispute about a bounty outcome needs from bounties (called by the disputes domain; the
bounties domain owns these rows): which outcome may be disputed, which money it freezes, and how
the entry reads after a settlement or a decision.

Disputable: an entry of a piece (计件) bounty that the poster side rejected, by its submitter,
while the bounty is open or selecting and its selection window lasts. The dispute freezes the
bounty's timers (deadline, selection end; `jobs.freeze("task:<id>")`) and one open piece hold
(`jobs.freeze(<hold ref>)`, skipped by `accept_piece`), so the poster cannot spend the piece it
is about while it is open.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..core.errors import WrongState
from ..extensions import db
from ..jobs import service as jobs
from ..ledger import service as ledger
from ..tasks.funding import escrow_ref
from . import transitions
from .awards import _close_escrow_amount
from .loading import DEADLINE_TIMER, SELECTION_TIMER, selection_ends_at
from .models import Submission

DISPUTABLE_ENTRY_STATUSES = ("rejected", "ineligible")


def disputed_entry(task, solver_id: int) -> Submission | None:
    """The submitter's latest rejected entry of the bounty."""
    return db.session.scalars(db.select(Submission).where(
        Submission.task_id == task.id, Submission.solver_id == solver_id,
        Submission.status.in_(DISPUTABLE_ENTRY_STATUSES)).order_by(Submission.id.desc()).limit(1)).first()


def piece_holds(task) -> list:
    base = f"{escrow_ref(task)}:piece:"
    return sorted((h for h in ledger.escrow_holds(escrow_ref(task)) if h.is_open and h.ref.startswith(base)),
                  key=lambda h: int(h.ref[len(base):].split(":")[0]))


def check_disputable(task, entry, now) -> None:
    if task.prize_structure != "piece":
        raise WrongState(_l("Only the rejection of an entry of a piece bounty can be disputed; the winners of "
                            "single and ranked bounties are chosen by the poster or in operator review."))
    if task.status not in ("open", "selecting"):
        raise WrongState(_l("This bounty is closed; its outcome can no longer be disputed."))
    ends = selection_ends_at(task)
    if ends is not None and now >= ends:
        raise WrongState(_l("The selection window has ended; the outcome can no longer be disputed."))
    if entry is None:
        raise WrongState(_l("Only the submitter of a rejected entry can dispute a bounty outcome."))


def freeze(task, by: str, now) -> tuple[str, int]:
    """Freeze the bounty's timers and the last open piece hold; returns (hold ref, amount)."""
    holds = [h for h in piece_holds(task) if not jobs.is_frozen(h.ref)]
    if not holds:
        raise WrongState(_l("All pieces of this bounty are paid or in dispute already."))
    hold = holds[-1]
    jobs.freeze(f"task:{task.id}", by, now)
    jobs.freeze(hold.ref, by, now)
    return hold.ref, hold.amount


def thaw(task, hold_ref: str, now) -> None:
    jobs.thaw(hold_ref, now)
    jobs.thaw(f"task:{task.id}", now)


def resolve(task, entry, hold_ref: str, solver_part: int, now) -> None:
    """After the piece hold was split: a share to the solver makes the entry an accepted piece;
    when no piece is left to pay the bounty is awarded."""
    if solver_part > 0 and entry is not None:
        base = f"{escrow_ref(task)}:piece:"
        entry.status = "accepted"
        entry.piece_no = int(hold_ref[len(base):].split(":")[0])
        entry.paid_amount = solver_part
        entry.decided_at = now
    _close_escrow_amount(task)
    db.session.flush()
    if not piece_holds(task) and task.status in ("open", "selecting"):
        transitions.move(task, "awarded", expected=(task.status,))
        jobs.cancel(DEADLINE_TIMER, f"task:{task.id}")
        jobs.cancel(SELECTION_TIMER, f"task:{task.id}")
