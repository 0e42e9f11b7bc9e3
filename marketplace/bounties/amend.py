"""Raising the reward and extending the submission deadline of an open bounty."""
from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l

from ..core.db import utcnow
from ..core.errors import ValidationFailed, WrongState
from ..core.money import MAX_AMOUNT, N_, TextParam, WhenParam, format_money
from ..jobs import service as jobs
from ..ledger import service as ledger
from ..tasks import policies as task_policies
from ..tasks.funding import TaskFundable, escrow_ref
from ..tasks.models import Task
from . import policies
from .deadlines import _ref
from .loading import DEADLINE_TIMER, get_bounty
from .notices import _notify_participants


def amend(actor, task: Task, *, prizes=None, max_pieces=None, submission_deadline=None,
          now: dt.datetime | None = None) -> Task:
    """While open: raise prizes (each at least as before, still descending) or the number of
    pieces, paid into escrow from the payer's wallet at once; extend the submission deadline.
    Lowering or shortening is refused with a field error; every participant is told."""
    now = now or utcnow()
    task_policies.require_view(actor, task)
    policies.require_judge(actor, task)
    task = get_bounty(task.id, lock=True)
    if task.status != "open":
        raise WrongState(_l("Only an open bounty can be changed."))
    errors: dict[str, list] = {}
    top_ups: list[tuple[str, int]] = []
    changes = []
    new_prizes = None
    if prizes not in (None, "", []) and task.prize_structure != "piece":
        old = list(task.prizes or [])
        if not isinstance(prizes, list) or any(isinstance(p, bool) or not isinstance(p, int) or p <= 0
                                               for p in prizes):
            errors["prizes"] = [_l("Enter a list of amounts.")]
        elif len(prizes) < len(old) or any(new < was for new, was in zip(prizes, old, strict=False)):
            errors["prizes"] = [_l("A prize can be raised, never lowered or removed.")]
        elif task.prize_structure == "single" and len(prizes) != 1:
            errors["prizes"] = [_l("A single-winner bounty has exactly one prize.")]
        elif any(a < b for a, b in zip(prizes, prizes[1:], strict=False)):
            errors["prizes"] = [_l("A lower rank may not win more than a higher one.")]
        elif sum(prizes) > MAX_AMOUNT:
            errors["prizes"] = [_l("The amount is too large.")]
        elif prizes != old:
            new_prizes = prizes
            ref = escrow_ref(task)
            for rank, amount in enumerate(prizes, start=1):
                was = old[rank - 1] if rank <= len(old) else 0
                if amount > was:
                    suffix = f":top:{int(now.timestamp() * 1000)}" if was else ""
                    top_ups.append((f"{ref}:prize:{rank}{suffix}", amount - was))
            changes.append(TextParam(N_("the prizes are now %(prizes)s"),
                                     prizes=", ".join(format_money(p, task.currency) for p in prizes)))
    new_pieces = None
    if max_pieces not in (None, "") and task.prize_structure == "piece":
        if isinstance(max_pieces, bool) or not isinstance(max_pieces, int) or max_pieces <= 0:
            errors["max_pieces"] = [_l("Enter a whole number.")]
        elif max_pieces < (task.max_pieces or 0):
            errors["max_pieces"] = [_l("The number of pieces can be raised, never lowered.")]
        elif max_pieces > 1000 or max_pieces * task.unit_price > MAX_AMOUNT:
            errors["max_pieces"] = [_l("The amount is too large.")]
        elif max_pieces != task.max_pieces:
            new_pieces = max_pieces
            ref = escrow_ref(task)
            top_ups += [(f"{ref}:piece:{n}", task.unit_price) for n in range((task.max_pieces or 0) + 1, max_pieces + 1)]
            changes.append(TextParam(N_("up to %(n)s pieces are paid"), n=max_pieces))
    new_deadline = None
    if submission_deadline not in (None, ""):
        when = submission_deadline
        if not isinstance(when, dt.datetime):
            errors["submission_deadline"] = [_l("Enter a valid date and time.")]
        else:
            if when.tzinfo is not None:
                when = when.astimezone(dt.timezone.utc).replace(tzinfo=None)
            if when < task.submission_deadline:
                errors["submission_deadline"] = [_l("The deadline can be extended, never shortened.")]
            elif when <= now:
                errors["submission_deadline"] = [_l("The time must be in the future.")]
            elif when != task.submission_deadline:
                new_deadline = when
                changes.append(TextParam(N_("entries are taken until %(when)s"), when=WhenParam(when)))
    if errors:
        raise ValidationFailed(errors=errors)
    if not changes:
        raise ValidationFailed(errors={"prizes" if task.prize_structure != "piece" else "max_pieces":
                                       [_l("Nothing to change.")]})
    if top_ups:
        payer = TaskFundable(task).payer
        amount = sum(a for _r, a in top_ups)
        try:
            ledger.move_wallet_to_escrow(escrow_ref(task), payer, amount, task.currency,
                                         idempotency_key=f"bounty:topup:{task.id}:{now.isoformat()}",
                                         actor=actor, holds=top_ups)
        except ValidationFailed:
            field = "max_pieces" if task.prize_structure == "piece" else "prizes"
            raise ValidationFailed(errors={field: [_l("The wallet balance is not enough to raise the reward by "
                                                      "%(amount)s.", amount=format_money(amount, task.currency))]}) \
                from None
        task.escrow_amount = (task.escrow_amount or 0) + amount
    if new_prizes is not None:
        task.prizes = list(new_prizes)
    if new_pieces is not None:
        task.max_pieces = new_pieces
    if new_deadline is not None:
        task.submission_deadline = new_deadline
        jobs.schedule(DEADLINE_TIMER, _ref(task), new_deadline)
    task.updated_at = now
    _notify_participants(task, "bounty.changed", change=changes)  # read in each reader's language and zone
    return task
