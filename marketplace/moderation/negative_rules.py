"""Operators manage the negative list in the console: add or change a rule, remove one, and see
what each rule blocked. Every change is audit-logged with its reason."""
from __future__ import annotations

import re

from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import selectinload

from ..api import api_user
from ..core import audit
from ..core.db import after_rollback, utcnow
from ..core.errors import Forbidden, NotFound, ValidationFailed
from ..core.negative_list import configured_rules, rule_label, rules
from ..extensions import db
from .models import NegativeListHit, NegativeRule

NAME_RE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
MAX_WORDS = 200
MAX_WORD = 100


def _current_user_id():
    if not has_request_context():
        return None

    user = api_user(required=False) if _is_api() else current_user
    return user.id if user is not None and getattr(user, "is_authenticated", False) else None


def _is_api() -> bool:
    return request.path.startswith("/api/")


def _insert_hit(rule, word, field, excerpt, user_id) -> None:
    db.session.add(NegativeListHit(rule=rule, word=word[:MAX_WORD], field=field[:40], excerpt=excerpt[:300],
                                   user_id=user_id, at=utcnow()))


def record_hit(rule: str, word: str, field: str, text: str | None) -> None:
    """Keep a record of a refused post; written after the refused request is rolled back."""
    after_rollback(_insert_hit, rule, word or "", field, (text or "")[:300], _current_user_id())


def on_negative_list_hit(_sender=None, *, rule: str, word: str, field: str, text: str | None) -> None:
    """Receiver of `core.events.negative_list_hit`: record the refused post."""
    record_hit(rule, word, field, text)


def rule_overrides(_sender=None) -> dict[str, list[str] | None]:
    """Receiver of `core.events.negative_rule_overrides`: the operators' rules ({name: words}, None
    for a rule switched off)."""
    return {row.name: (None if row.status == "removed" else list(row.words or []))
            for row in db.session.scalars(db.select(NegativeRule))}


def rule_label_of(_sender=None, *, rule: str) -> str | None:
    """Receiver of `core.events.negative_rule_label`: the label an operator gave a rule."""
    return db.session.scalar(db.select(NegativeRule.label).where(NegativeRule.name == rule))


def _require_operator(actor) -> None:
    if not getattr(actor, "is_operator", False):
        raise Forbidden()


def overview() -> list[dict]:
    """Every rule in force or switched off, with its words, where it comes from and how many posts it
    blocked (one grouped query)."""
    configured = configured_rules()
    rows = {r.name: r for r in db.session.scalars(db.select(NegativeRule))}
    counts = dict(db.session.execute(db.select(NegativeListHit.rule, db.func.count(NegativeListHit.id))
                                     .group_by(NegativeListHit.rule)).all())
    in_force = rules()
    names = list(configured) + [n for n in rows if n not in configured]
    items = []
    for name in names:
        row = rows.get(name)
        if row is None:
            source = "configured"
        elif row.status == "removed":
            source = "removed"
        else:
            source = "edited" if name in configured else "custom"
        items.append({"name": name, "label": rule_label(name), "words": in_force.get(name, configured.get(name, [])),
                      "source": source, "active": name in in_force, "blocked": counts.get(name, 0),
                      "reason": row.reason if row is not None else "",
                      "updated_at": row.updated_at if row is not None else None})
    return items


def _words(value) -> list[str]:
    if isinstance(value, str):
        value = re.split(r"[\n,，、;；|]+", value)
    if not isinstance(value, (list, tuple)):
        raise ValidationFailed(errors={"words": [_l("Give the words as a list or one per line.")]})
    words, seen = [], set()
    for w in value:
        if not isinstance(w, str):
            raise ValidationFailed(errors={"words": [_l("Every word must be text.")]})
        w = w.strip()
        if w and w.casefold() not in seen:
            if len(w) > MAX_WORD:
                raise ValidationFailed(errors={"words": [_l("A word has at most %(n)s characters.", n=MAX_WORD)]})
            seen.add(w.casefold())
            words.append(w)
    if not words:
        raise ValidationFailed(errors={"words": [_l("Give at least one word.")]})
    if len(words) > MAX_WORDS:
        raise ValidationFailed(errors={"words": [_l("At most %(n)s words.", n=MAX_WORDS)]})
    return words


def _reason(value) -> str:
    if value is not None and not isinstance(value, str):
        raise ValidationFailed(errors={"reason": [_l("This must be text.")]})
    value = (value or "").strip()
    if not value:
        raise ValidationFailed(errors={"reason": [_l("Give a reason.")]})
    if len(value) > 1000:
        raise ValidationFailed(errors={"reason": [_l("At most 1000 characters.")]})
    return value


def set_rule(actor, *, name, words, reason, label=None) -> NegativeRule:
    """Add a rule, or replace the words of one (a configured rule included)."""
    _require_operator(actor)
    errors = {}
    name = (name or "").strip().lower() if isinstance(name, str) else ""
    if not NAME_RE.match(name):
        errors["name"] = [_l("Use 2–40 lower-case letters, digits or underscores, starting with a letter.")]
    if label is not None and (not isinstance(label, str) or len(label) > 100):
        errors["label"] = [_l("At most 100 characters.")]
    clean = reason_text = None
    try:
        clean = _words(words)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    try:
        reason_text = _reason(reason)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors=errors)
    row = db.session.scalar(db.select(NegativeRule).where(NegativeRule.name == name).with_for_update())
    if row is None:
        row = NegativeRule(name=name)
        db.session.add(row)
    row.label = (label or "").strip() or row.label or name
    row.words, row.status, row.reason = clean, "active", reason_text
    row.updated_by_id, row.updated_at = actor.id, utcnow()
    db.session.flush()
    audit.record("negative_list.set", actor=actor, target=row, rule=name, words=clean, reason=reason_text)
    return row


def remove_rule(actor, name: str, reason) -> NegativeRule:
    """Switch a rule off (a configured rule stays off until set again)."""
    _require_operator(actor)
    if name not in rules():
        raise NotFound()
    reason_text = _reason(reason)
    row = db.session.scalar(db.select(NegativeRule).where(NegativeRule.name == name).with_for_update())
    if row is None:
        row = NegativeRule(name=name, label=rule_label(name), words=[])
        db.session.add(row)
    row.status, row.reason, row.updated_by_id, row.updated_at = "removed", reason_text, actor.id, utcnow()
    db.session.flush()
    audit.record("negative_list.remove", actor=actor, target=row, rule=name, reason=reason_text)
    return row


def is_known(rule: str) -> bool:
    """A rule configured, set by an operator, or the closed-category rule."""
    if rule == "banned_category" or rule in configured_rules():
        return True
    return db.session.scalar(db.select(NegativeRule.id).where(NegativeRule.name == rule)) is not None


def hits(rule: str, *, limit: int = 50, before_id: int | None = None) -> list[NegativeListHit]:
    """What a rule blocked, newest first; NotFound for a rule that never existed."""
    if not is_known(rule):
        raise NotFound()
    query = db.select(NegativeListHit).options(selectinload(NegativeListHit.user)).where(NegativeListHit.rule == rule)
    if before_id:
        query = query.where(NegativeListHit.id < before_id)
    return list(db.session.scalars(query.order_by(NegativeListHit.id.desc()).limit(limit)))
