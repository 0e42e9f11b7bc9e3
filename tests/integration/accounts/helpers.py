"""Small queries shared by the accounts tests."""
from marketplace.accounts.models import User
from marketplace.core.audit import AuditEntry
from marketplace.extensions import db


def count(model) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model))


def audit_rows(action: str) -> list[AuditEntry]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == action)
                                   .order_by(AuditEntry.id)))


def user_by_email(email: str) -> User | None:
    db.session.expire_all()
    return db.session.execute(db.select(User).where(User.email == email)).scalar_one_or_none()
