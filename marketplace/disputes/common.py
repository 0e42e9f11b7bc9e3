"""What every dispute use case shares: limits, notification kinds, links, share texts and field checks."""
from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l

from ..accounts.models import User
from ..core.errors import ValidationFailed
from ..extensions import db
from ..notifications.service import register_kind
from ..tasks.models import Task
from .models import Dispute

MAX_REASON = 5000
MAX_EVIDENCE = 10000

register_kind("dispute.opened", _l("%(who)s opened a dispute about “%(task)s”: %(reason)s"))
register_kind("dispute.evidence", _l("%(who)s added evidence to the dispute about “%(task)s”."))
register_kind("dispute.offer", _l("%(who)s proposes to settle the dispute about “%(task)s”: %(share)s to the solver."))
register_kind("dispute.settled", _l("The dispute about “%(task)s” was settled: %(share)s to the solver (%(solver_amount)s), %(payer_amount)s back to the payer."))
register_kind("dispute.decided", _l("An operator decided the dispute about “%(task)s”: %(share)s to the solver (%(solver_amount)s), %(payer_amount)s back to the payer. Reason: %(reason)s"))
register_kind("dispute.prize_settled", _l("The dispute about a prize of “%(task)s” was settled: %(share)s of it to %(complainant)s (%(solver_amount)s), %(payer_amount)s to the winner %(winner)s."))
register_kind("dispute.prize_decided", _l("An operator decided the dispute about a prize of “%(task)s”: %(share)s of it to %(complainant)s (%(solver_amount)s), %(payer_amount)s to the winner %(winner)s. Reason: %(reason)s"))
register_kind("dispute.withdrawn", _l("%(who)s withdrew the dispute about “%(task)s”; the work continues."))


def evidence_days() -> int:
    return int(current_app.config.get("EVIDENCE_DAYS", 7))


def dispute_link(dispute) -> str:
    return f"/disputes/{dispute.id}"


def share_text(bps: int) -> str:
    return f"{bps / 100:g}%"


def _user(user_id):
    return db.session.get(User, user_id)


def _task(dispute):
    return db.session.get(Task, dispute.task_id)


def _parties(dispute) -> list[int]:
    """Everyone told of the outcome: the poster, the solver and, between entrants, the winner."""
    ids = [dispute.poster_id, dispute.solver_id, dispute.respondent_id]
    return list(dict.fromkeys(i for i in ids if i is not None))


def _bad(field, message) -> ValidationFailed:
    return ValidationFailed(errors={field: [message]})


def check_bps(value, field: str = "solver_share_bps") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10000:
        raise _bad(field, _l("Give the solver's share in basis points, a whole number from 0 to 10000."))
    return value


def _check_text(value, field: str, max_length: int, missing) -> str:
    if value is not None and not isinstance(value, str):
        raise _bad(field, _l("This must be text."))
    value = (value or "").strip()
    if not value:
        raise _bad(field, missing)
    if len(value) > max_length:
        raise _bad(field, _l("At most %(n)s characters.", n=max_length))
    return value


def open_dispute_of(subject: str, subject_id: int) -> Dispute | None:
    return db.session.scalars(db.select(Dispute).where(
        Dispute.subject == subject, Dispute.subject_id == subject_id, Dispute.status == "open")).first()
