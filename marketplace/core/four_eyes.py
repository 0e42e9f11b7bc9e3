"""Four eyes: a money-moving confirmation above FOUR_EYES_AMOUNT needs a second operator.

The first operator's confirmation is recorded (a `SecondApproval` row and an audit entry) and
nothing moves; a different operator confirming the same amount completes it, and the audit log
names both. The same operator confirming twice is refused; a different amount is refused too,
so the second operator checks the figure rather than trusting the first.

    if not four_eyes.approve(operator, "payments.bank_transfer_confirm", funding, amount):
        return funding  # waiting for a second operator
"""
from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l

from ..extensions import db
from . import audit
from .db import utcnow
from .errors import Forbidden, ValidationFailed


class SecondApproval(db.Model):
    """A first operator's confirmation of a large money action, waiting for a second operator."""
    __tablename__ = "second_approvals"
    __table_args__ = (db.UniqueConstraint("action", "target_type", "target_id", name="uq_second_approvals_target"),)

    id = db.Column(db.Integer, primary_key=True)
    action = db.Column(db.String(64), nullable=False)
    target_type = db.Column(db.String(40), nullable=False)
    target_id = db.Column(db.String(64), nullable=False)
    amount = db.Column(db.BigInteger, nullable=False)
    first_operator_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    first_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    second_operator_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=True)
    second_at = db.Column(db.DateTime, nullable=True)

    first_operator = db.relationship("User", foreign_keys=[first_operator_id], lazy="joined")


class SameOperator(Forbidden):
    type_slug = "four-eyes"
    default_message = _l("You confirmed this already: a second operator must confirm it.")


def threshold() -> int:
    return int(current_app.config.get("FOUR_EYES_AMOUNT", 5_000_000))


def needs_second(amount: int) -> bool:
    return amount > threshold()


def _key(target) -> tuple[str, str]:
    return getattr(target, "__tablename__", type(target).__name__), str(target.id)


def pending(action: str, target) -> SecondApproval | None:
    """The first confirmation waiting for a second operator, if any."""
    target_type, target_id = _key(target)
    return db.session.execute(
        db.select(SecondApproval).where(SecondApproval.action == action, SecondApproval.target_type == target_type,
                                        SecondApproval.target_id == target_id,
                                        SecondApproval.second_operator_id.is_(None))).scalar_one_or_none()


def waiting(action: str, targets) -> dict[str, SecondApproval]:
    """The first confirmations waiting for a second operator of several targets, by target id
    (one query, for a list page)."""
    targets = list(targets)
    if not targets:
        return {}
    target_type = _key(targets[0])[0]
    ids = [str(t.id) for t in targets]
    rows = db.session.scalars(
        db.select(SecondApproval).where(SecondApproval.action == action, SecondApproval.target_type == target_type,
                                        SecondApproval.target_id.in_(ids),
                                        SecondApproval.second_operator_id.is_(None)))
    return {row.target_id: row for row in rows}


def approve(operator, action: str, target, amount: int, *, field: str = "amount") -> bool:
    """True when the action may go ahead now (small amount, or this is the second operator);
    False when this was the first of two confirmations (recorded; nothing else may change)."""
    if not needs_second(amount):
        return True
    first = pending(action, target)
    if first is None:
        target_type, target_id = _key(target)
        db.session.add(SecondApproval(action=action, target_type=target_type, target_id=target_id,
                                      amount=amount, first_operator_id=operator.id))
        audit.record("four_eyes.first_confirmation", actor=operator, target_type=target_type,
                     target_id=target_id, action_name=action, amount=amount)
        db.session.flush()  # a concurrent first confirmation fails on the unique constraint (409)
        return False
    if first.first_operator_id == operator.id:
        raise SameOperator()
    if first.amount != amount:
        raise ValidationFailed(errors={field: [_l("This is not the amount the first operator confirmed. "
                                                  "Check the bank statement again.")]})
    first.second_operator_id = operator.id
    first.second_at = utcnow()
    audit.record("four_eyes.second_confirmation", actor=operator, target_type=first.target_type,
                 target_id=first.target_id, action_name=action, amount=amount,
                 first_operator_id=first.first_operator_id, second_operator_id=operator.id)
    return True
