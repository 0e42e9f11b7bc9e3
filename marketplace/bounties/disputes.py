"""What a dispute about a bounty outcome needs from bounties (called by the disputes domain; the
bounties domain owns these rows): which outcome may be disputed, which money it freezes, and how
the entry reads after a settlement or a decision.

Disputable (piece bounties): an entry of a piece (计件) bounty that the poster side rejected, by its submitter,
while the bounty is open or selecting and its selection window lasts. The dispute freezes the
bounty's timers (deadline, selection end; `jobs.freeze("task:<id>")`) and one open piece hold
(`jobs.freeze(<hold ref>)`, skipped by `accept_piece`), so the poster cannot spend the piece it
is about while it is open. Single and ranked bounties: one held prize after the award, see below.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..accounts.models import User
from ..core.errors import NotFound, ValidationFailed, WrongState
from ..core.money import split_largest_remainder
from ..extensions import db
from ..jobs import service as jobs
from ..ledger import service as ledger
from ..tasks.funding import escrow_ref
from . import policies, transitions
from .awards import _close_escrow_amount, prize_holds_of
from .loading import DEADLINE_TIMER, PRIZE_TIMER, SELECTION_TIMER, get_bounty, prize_ref, selection_ends_at
from .models import BountyPrize, Submission, SubmissionAuthor

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
        raise WrongState(_l("The outcome of a single or ranked bounty can be disputed once the winners are "
                            "chosen, while their prizes are held."))
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


# --- the award of a single or ranked bounty -------------------------------------------------------
#
# After the award each prize stays held (BountyPrize, see awards.award) until `held_until`. Within
# that window an entrant whose entry did not win that prize (a losing, rejected or ineligible
# entry, or a winner disputing its rank), or the poster side, may dispute one prize. The dispute
# freezes the prize's release timer (`jobs.freeze(prize_ref)`) and its money (the release pays only
# a prize in status "held"). A decision or settlement divides the prize (`split_prize`); a
# withdrawal resumes the timer with the time that was left (`thaw_prize`).

def prize_of_rank(task, rank) -> BountyPrize | None:
    return db.session.scalar(db.select(BountyPrize).where(BountyPrize.task_id == task.id,
                                                          BountyPrize.rank == rank))


def get_prize(prize_id) -> BountyPrize:
    return db.session.get(BountyPrize, prize_id)


def held_prizes(task) -> list[BountyPrize]:
    return list(db.session.scalars(db.select(BountyPrize).where(
        BountyPrize.task_id == task.id).order_by(BountyPrize.rank)))


def entrant_entry(task, user_id: int) -> Submission | None:
    """The user's latest entry of the bounty that was not withdrawn."""
    return db.session.scalars(db.select(Submission).where(
        Submission.task_id == task.id, Submission.solver_id == user_id, Submission.status != "withdrawn")
        .order_by(Submission.id.desc()).limit(1)).first()


def award_disputable(task) -> bool:
    return task.prize_structure in ("single", "ranked") and task.status == "awarded"


def check_award_dispute(actor, task, rank, now) -> tuple[BountyPrize, Submission, str]:
    """Who may dispute which prize: (prize, winning entry, "entrant" | "poster"). 404 for anyone
    who neither entered nor judges the bounty; 409 once the prize's window has ended."""
    entry = entrant_entry(task, actor.id)
    poster = policies.judges(actor, task)
    if entry is None and not poster:
        raise NotFound()
    if rank is None:
        rank = 1
    if isinstance(rank, bool) or not isinstance(rank, int) or rank < 1:
        raise ValidationFailed(errors={"rank": [_l("Give the rank of the prize in question (1 for the first).")]})
    prize = prize_of_rank(task, rank)
    if prize is None:
        raise ValidationFailed(errors={"rank": [_l("This bounty has no held prize of that rank.")]})
    winner = db.session.get(Submission, prize.submission_id)
    side = "poster" if poster else "entrant"
    if side == "entrant" and actor.id in policies.author_ids(winner):
        raise ValidationFailed(errors={"rank": [_l("You cannot dispute your own prize; name the prize you "
                                                   "believe your entry deserved.")]})
    if prize.status == "disputed":
        raise WrongState(_l("A dispute about this is already open."))
    if prize.status != "held" or now >= prize.held_until:
        raise WrongState(_l("The dispute window of this prize ended on %(at)s; the outcome can no longer be "
                            "disputed.", at=prize.held_until.strftime("%Y-%m-%d %H:%M UTC")))
    return prize, winner, side


def freeze_prize(prize, by: str, now) -> None:
    prize = db.session.execute(db.select(BountyPrize).where(BountyPrize.id == prize.id).with_for_update()
                               .execution_options(populate_existing=True)).scalar_one()
    if prize.status != "held":
        raise WrongState(_l("This prize is already paid or in dispute."))
    jobs.freeze(prize_ref(prize), by, now)
    prize.status = "disputed"
    db.session.flush()


def thaw_prize(prize, now) -> None:
    """The dispute was withdrawn: the prize is held again for the time its window had left."""
    paused = jobs.thaw(prize_ref(prize), now)
    prize.status = "held"
    prize.held_until = prize.held_until + paused
    db.session.flush()


def _author_parts(entry, amount: int) -> list[tuple[int, int]]:
    """An entry's part divided among its authors by their shares: [(user id, amount), ...]."""
    authors = list(db.session.scalars(db.select(SubmissionAuthor).where(
        SubmissionAuthor.submission_id == entry.id).order_by(SubmissionAuthor.id)))
    if len(authors) <= 1:
        return [(entry.solver_id, amount)]
    parts = split_largest_remainder(amount, [a.share_bps for a in authors])
    return [(a.user_id, part) for a, part in zip(authors, parts, strict=True)]


def split_prize(prize, *, complainant_id: int | None, complainant_part: int, winner_part: int, payer_part: int,
                actor, key: str, now) -> None:
    """Divide a disputed prize: the complainant's part (an entrant) to that entrant's wallet, the
    winner's part to the winning entry's authors (each minus the fee), the payer's part (when the
    poster side disputed) back to the payer's wallet. One ledger transaction."""
    task = get_bounty(prize.task_id, lock=True)
    winner = db.session.get(Submission, prize.submission_id)
    jobs.thaw(prize_ref(prize), now)
    jobs.cancel(PRIZE_TIMER, prize_ref(prize))
    totals: dict[int, int] = {}
    for uid, part in _author_parts(winner, winner_part):
        totals[uid] = totals.get(uid, 0) + part
    if complainant_id is not None and complainant_part:
        totals[complainant_id] = totals.get(complainant_id, 0) + complainant_part
    users = {u.id: u for u in db.session.scalars(db.select(User).where(User.id.in_(list(totals))))}
    refs = prize_holds_of(task, prize.rank)
    ledger.split_parts(refs, [(users[uid], amount) for uid, amount in totals.items()],
                       payer_amount=payer_part, idempotency_key=key, actor=actor, category=task.category)
    prize.status = "split"
    prize.paid_at = now
    winner.paid_amount = winner_part
    if complainant_id is not None and complainant_part:
        entry = entrant_entry(task, complainant_id)
        if entry is not None and entry.id != winner.id:
            entry.paid_amount = (entry.paid_amount or 0) + complainant_part
    db.session.flush()
    _close_escrow_amount(task)
