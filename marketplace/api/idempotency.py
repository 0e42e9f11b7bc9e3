"""`Idempotency-Key` on money-moving POSTs.

    @api_route("/payouts", methods=["POST"], idempotent=True, ...)
    @idempotent
    def create_payout(): ...

The first successful response to a key is stored with the request's method, path and body hash
(`IdempotencyRecord`, unique per user and key) in the same unit of work as the change it made, so
either both are saved or neither is. A retry with the same key and the same body gets the stored
response replayed (nothing runs again); the same key with a different body is a 422 naming
`Idempotency-Key`. Error responses are not stored: a failed request may be retried with its key.

The record is inserted before the view runs, so a concurrent request with the same key waits on
the unique index (PostgreSQL) and then replays the winner's response instead of acting twice.
"""
from __future__ import annotations

import hashlib
from functools import wraps

from flask import current_app, make_response, request
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from ..core.db import utcnow
from ..core.errors import Conflict, ValidationFailed
from ..extensions import db
from . import api_user

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


class IdempotencyRecord(db.Model):
    __tablename__ = "idempotency_records"
    __table_args__ = (db.UniqueConstraint("user_id", "key"),)

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    key = db.Column(db.String(MAX_KEY_LENGTH), nullable=False)
    method = db.Column(db.String(10), nullable=False)
    path = db.Column(db.String(500), nullable=False)
    body_sha256 = db.Column(db.String(64), nullable=False)
    status = db.Column(db.Integer, nullable=True)  # null while the first request is running
    response_body = db.Column(db.Text, nullable=True)
    response_mimetype = db.Column(db.String(100), nullable=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)


def _find(user_id: int, key: str) -> IdempotencyRecord | None:
    return db.session.execute(
        db.select(IdempotencyRecord).where(IdempotencyRecord.user_id == user_id,
                                           IdempotencyRecord.key == key)
    ).scalar_one_or_none()


def _replay(record: IdempotencyRecord, method: str, path: str, digest: str):
    if (record.method, record.path, record.body_sha256) != (method, path, digest):
        raise ValidationFailed(errors={HEADER: [
            _l("This Idempotency-Key was already used with a different request.")]})
    response = current_app.response_class(record.response_body or "", status=record.status,
                                          mimetype=record.response_mimetype)
    response.headers["Idempotent-Replayed"] = "true"
    return response


def idempotent(view):
    """Make an API view honour the Idempotency-Key header (see the module docstring)."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return view(*args, **kwargs)
        key = key.strip()
        if not key or len(key) > MAX_KEY_LENGTH:
            raise ValidationFailed(errors={HEADER: [
                _l("The Idempotency-Key must be 1 to 255 characters.")]})
        user = api_user()
        method, path = request.method, request.path
        digest = hashlib.sha256(request.get_data()).hexdigest()
        record = _find(user.id, key)
        if record is not None and record.status is not None:
            return _replay(record, method, path, digest)
        record = IdempotencyRecord(user_id=user.id, key=key, method=method, path=path,
                                   body_sha256=digest)
        try:
            with db.session.begin_nested():
                db.session.add(record)
        except IntegrityError:
            # Another request with this key committed first: answer as it did.
            existing = _find(user.id, key)
            if existing is None or existing.status is None:
                raise Conflict() from None
            return _replay(existing, method, path, digest)
        response = make_response(view(*args, **kwargs))
        if response.status_code < 400:
            record.status = response.status_code
            record.response_body = response.get_data(as_text=True)
            record.response_mimetype = response.mimetype
        return response
    return wrapped
