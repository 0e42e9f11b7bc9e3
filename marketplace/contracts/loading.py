"""Loading contracts and milestones, the settings every contracts flow reads, and the conditional
status update they share."""
from __future__ import annotations

from flask import current_app
from sqlalchemy.orm import selectinload

from ..accounts.models import User
from ..core import links
from ..core.db import conditional_update
from ..core.errors import NotFound
from ..core.money import WhenParam, format_money
from ..extensions import db
from ..tasks.models import Task
from ..tasks.transitions import move
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
    return db.session.get(User, user_id)


def contract_link(contract) -> str:
    return links.contract(contract)


def _fmt_time(value):
    """A deadline for a notification: shown in the reader's time zone and the pages' format."""
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
    return db.session.get(Task, contract.task_id)


def _set_status(model, obj, from_statuses, message=None, **values) -> None:
    """Conditional UPDATE: move obj to new values only if its status is still one of
    from_statuses. The loser of a race (or a stale page) gets a 409."""
    conditional_update(model, obj, from_statuses, message=message, **values)


def _set_task_status(task, from_statuses, to_status, message=None, **values) -> None:
    """Through the tasks state machine (the only writer of a task's status)."""
    move(task, to=to_status, expected=from_statuses, message=message, **values)


def completed_summaries(_sender=None, *, user_ids) -> dict[int, dict]:
    """accounts.events.user_summaries receiver: completed contracts per solver, in one query."""
    rows = db.session.execute(
        db.select(Contract.solver_id, db.func.count(Contract.id))
        .where(Contract.solver_id.in_(list(user_ids)), Contract.status == "completed")
        .group_by(Contract.solver_id)).all()
    return {solver_id: {"completed": count} for solver_id, count in rows}


def completed_summary_columns(_sender=None, *, user_id) -> dict:
    """accounts.events.user_summary_columns receiver: the same count inside a query (the solver's
    contracts through ix_contracts_solver_id)."""
    return {"completed": db.select(db.func.count(Contract.id))
            .where(Contract.solver_id == user_id, Contract.status == "completed").scalar_subquery()}
