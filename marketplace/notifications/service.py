"""notify() and send_mail(): called by every domain service when a state change concerns someone.

A notification kind is registered once with a translatable template:

    register_kind("bid.placed", _l("%(solver)s bid on “%(task)s”."))
    notify(poster, "bid.placed", link=url, solver=solver.display_name, task=task.title)

The notification row joins the current unit of work (rolled back with it); the email is written
to the outbox in the same unit of work and, when SMTP is configured, sent after the commit.
"""
from __future__ import annotations

import datetime as dt
import logging
import smtplib
from email.message import EmailMessage

from flask import current_app
from flask_babel import gettext

from ..core.db import after_commit, utcnow
from ..core.i18n import for_reader, format_when
from ..core.money import format_money, to_param_json
from ..extensions import db
from .models import Notification, OutboxMail

log = logging.getLogger(__name__)

KINDS: dict[str, object] = {}


def register_kind(kind: str, template) -> None:
    KINDS[kind] = template


class _Params(dict):
    """A notification stored before its message gained a value reads "…" there, not "%(x)s"."""
    def __missing__(self, key):
        return "…"


def _read(value):
    """A stored parameter as words: amounts (MoneyParam) in the current language."""
    if isinstance(value, dict) and "__when__" in value:
        return format_when(dt.datetime.fromisoformat(value["__when__"]))  # the reader's zone
    if isinstance(value, dict) and "__text__" in value:
        message, inner = value["__text__"]
        try:
            return gettext(message) % _Params({k: _read(v) for k, v in (inner or {}).items()})
        except (KeyError, TypeError, ValueError):
            return gettext(message)
    if isinstance(value, list):
        return "; ".join(str(_read(v)) for v in value)
    if isinstance(value, dict) and "__money__" in value:
        amount, currency = value["__money__"]
        try:
            return format_money(amount, currency)
        except Exception:  # no locale outside a request
            return f"{amount / 100:,.2f} {currency}"
    return value


def render(kind: str, params: dict) -> str:
    template = KINDS.get(kind)
    if template is None:
        return kind
    try:
        return str(template) % _Params({k: _read(v) for k, v in (params or {}).items()})
    except (KeyError, TypeError, ValueError):
        return str(template)


def notify(user, kind: str, *, link: str | None = None, email: bool = True, **params) -> Notification:
    """Tell `user` (a User) that something happened. Amounts passed as MoneyParam are shown in
    the reader's language (the page's, or the user's own for the email)."""
    params = {k: to_param_json(v) for k, v in params.items()}
    note = Notification(user_id=user.id, kind=kind, params=params, link=link)
    db.session.add(note)
    if email and user.email:
        with for_reader(user):  # the recipient's language and time zone
            text = render(kind, params)
            subject = gettext("Huizhong: %(text)s", text=text[:120])
            body = text
            if link:
                body += "\n\n" + _absolute(link)
        send_mail(user.email, subject, body)
    return note


def _absolute(link: str) -> str:
    base = current_app.config.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    return link if link.startswith("http") else base.rstrip("/") + link


def send_mail(to: str, subject: str, body: str) -> OutboxMail:
    """Record the mail in the outbox now; deliver it after the commit."""
    mail = OutboxMail(to=to, subject=subject, body=body)
    db.session.add(mail)
    after_commit(_deliver, current_app._get_current_object(), to, subject, body)
    return mail


def _deliver(app, to, subject, body):
    cfg = app.config
    if not cfg.get("MAIL_SERVER"):
        if not app.testing:
            log.info("mail to %s: %s\n%s", to, subject, body)
        return
    msg = EmailMessage()
    msg["From"] = cfg["MAIL_DEFAULT_SENDER"]
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content(body)
    with smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=10) as smtp:
        if cfg.get("MAIL_USE_TLS"):
            smtp.starttls()
        if cfg.get("MAIL_USERNAME"):
            smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"])
        smtp.send_message(msg)


def unread_count(user_id: int) -> int:
    return db.session.scalar(
        db.select(db.func.count(Notification.id)).where(
            Notification.user_id == user_id, Notification.read_at.is_(None))
    ) or 0


def list_for(user_id: int, limit: int = 50, before_id: int | None = None) -> list[Notification]:
    q = db.select(Notification).where(Notification.user_id == user_id)
    if before_id:
        q = q.where(Notification.id < before_id)
    return list(db.session.scalars(q.order_by(Notification.id.desc()).limit(limit)))


def get_for(user_id: int, note_id: int) -> Notification | None:
    note = db.session.get(Notification, note_id)
    return note if note is not None and note.user_id == user_id else None


def mark_read(user_id: int, note_ids) -> int:
    """Mark these notifications of the user read (others' ids are ignored)."""
    ids = [int(i) for i in note_ids]
    if not ids:
        return 0
    result = db.session.execute(
        db.update(Notification)
        .where(Notification.user_id == user_id, Notification.id.in_(ids), Notification.read_at.is_(None))
        .values(read_at=utcnow()))
    return result.rowcount


def mark_all_read(user_id: int) -> int:
    result = db.session.execute(
        db.update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    return result.rowcount


