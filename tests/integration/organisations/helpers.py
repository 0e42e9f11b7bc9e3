"""Queries and clients shared by the organisations, verification and operator tests."""
import re

from marketplace.core.audit import AuditEntry
from marketplace.extensions import db
from marketplace.notifications.models import Notification, OutboxMail


def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(db.select(db.func.count()).select_from(model).where(*where))


def audit_rows(action: str) -> list[AuditEntry]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == action)
                                   .order_by(AuditEntry.id)))


def notifications(user, kind: str | None = None) -> list[Notification]:
    q = db.select(Notification).where(Notification.user_id == user.id)
    if kind:
        q = q.where(Notification.kind == kind)
    return list(db.session.scalars(q.order_by(Notification.id)))


def mails_to(email: str) -> list[OutboxMail]:
    return list(db.session.scalars(db.select(OutboxMail).where(OutboxMail.to == email).order_by(OutboxMail.id)))


def invite_token(email: str) -> str:
    mails = mails_to(email)
    assert mails, f"no mail to {email}"
    match = re.search(r"/orgs/invites/([A-Za-z0-9_\-]+)", mails[-1].body)
    assert match, mails[-1].body
    return match.group(1)


def english(client):
    client.set_cookie("lang", "en")
    return client
