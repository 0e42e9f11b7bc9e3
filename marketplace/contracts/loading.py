"""Loading contracts and milestones, the settings every contracts flow reads, and the conditional
status update they share."""
from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from ..core.errors import NotFound, WrongState
from ..core.money import format_money
from ..extensions import db
from . import notices  # noqa: F401  (registers the notification kinds every flow sends)
from .models import Contract, Delivery, Milestone

MAX_MILESTONES = 20
MAX_TITLE = 200
MAX_NOTE = 20000

AUTO_ACCEPT_TIMER = "milestone.auto_accept"
AUTO_CONFIRM_TIMER = "claim.auto_confirm"
CLAIM_EXPIRE_TIMER = "claim.expire"


def _money(amount, currency="CNY"):
    return format_money(amount, currency)


def _user(user_id):
    from ..accounts.models import User
    return db.session.get(User, user_id)


def contract_link(contract) -> str:
    return f"/contracts/{contract.id}"


def _fmt_time(value):
    """A deadline for a notification: shown in the reader's time zone and the pages' format."""
    from ..core.money import WhenParam
    return WhenParam(value) if value else ""


def _review_days() -> int:
    return int(current_app.config.get("REVIEW_DAYS", 7))


def _confirm_hours() -> int:
    return int(current_app.config.get("CLAIM_CONFIRM_HOURS", 48))


def _max_revisions() -> int:
    return int(current_app.config.get("MAX_REVISIONS", 3))


# --- loading ----------------------------------------------------------------------------------

def load_contract(contract_id: int) -> Contract:
    contract = db.session.execute(
        db.select(Contract)
        .options(selectinload(Contract.milestones).selectinload(Milestone.deliveries)
                 .selectinload(Delivery.files),
                 selectinload(Contract.task), selectinload(Contract.poster),
                 selectinload(Contract.solver))
        .where(Contract.id == contract_id)
    ).scalar_one_or_none()
    if contract is None:
        raise NotFound()
    return contract


def load_milestone(milestone_id: int) -> Milestone:
    milestone = db.session.get(Milestone, milestone_id)
    if milestone is None:
        raise NotFound()
    return milestone


def contract_of(milestone) -> Contract:
    return db.session.get(Contract, milestone.contract_id)


def milestones_of(contract) -> list[Milestone]:
    return list(db.session.scalars(
        db.select(Milestone).where(Milestone.contract_id == contract.id).order_by(Milestone.position)))


def _task(contract):
    from ..tasks.models import Task
    return db.session.get(Task, contract.task_id)


def _set_status(model, obj, from_statuses, message=None, **values) -> None:
    """Conditional UPDATE: move obj to new values only if its status is still one of
    from_statuses. The loser of a race (or a stale page) gets a 409."""
    result = db.session.execute(
        db.update(model).where(model.id == obj.id, model.status.in_(tuple(from_statuses)))
        .values(**values).execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.expire(obj)
        raise WrongState(message or _l("This has changed in the meantime; reload the page."))
    db.session.refresh(obj)


def _set_task_status(task, from_statuses, to_status, message=None, **values) -> None:
    from ..tasks.models import Task
    _set_status(Task, task, from_statuses, message, status=to_status, **values)
