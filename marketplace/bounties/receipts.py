"""Fingerprint receipts (存证): proof of what was filed when, without revealing it.

The fingerprint is SHA-256 over a canonical JSON document of the entry's text, the SHA-256 of
each file (in upload order) and the server's receive time (ISO 8601, UTC, microseconds):

    {"files":["<sha256>",...],"received_at":"2026-11-30T01:02:03.456789+00:00","text":"..."}

(keys sorted, no spaces, UTF-8). Anyone holding the entry can recompute it; one changed byte
gives another fingerprint. The downloadable receipt is signed with an HMAC of the server's key.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json

from flask import current_app

from ..core.db import iso

ALGORITHM = "sha256(json{files,received_at,text})"


def received_at_text(received_at: dt.datetime) -> str:
    return received_at.replace(tzinfo=dt.timezone.utc).isoformat(timespec="microseconds")


def fingerprint(text: str, file_sha256s: list[str], received_at: dt.datetime) -> str:
    document = {"text": text, "files": list(file_sha256s), "received_at": received_at_text(received_at)}
    data = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def _key() -> bytes:
    secret = current_app.config["SECRET_KEY"]
    secret = secret if isinstance(secret, bytes) else str(secret).encode()
    return hmac.new(secret, b"huizhong-receipt-v1", hashlib.sha256).digest()


def sign(body: dict) -> str:
    data = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return hmac.new(_key(), data, hashlib.sha256).hexdigest()


def signed_receipt(submission, task) -> dict:
    """The receipt a solver downloads: what was filed (fingerprints only), when, for which task."""
    body = {
        "id": submission.public_id,
        "sha256": submission.sha256,
        "received_at": received_at_text(submission.received_at),
        "task_id": task.id,
        "task_title": task.title,
        "files": [{"name": f.name, "size": f.size, "sha256": f.sha256} for f in submission.files],
        "algorithm": ALGORITHM,
        "issuer": "Huizhong",
    }
    return {**body, "signature": {"alg": "HMAC-SHA256", "value": sign(body)}}


def signature_valid(document: dict) -> bool:
    signature = (document or {}).get("signature") or {}
    body = {k: v for k, v in (document or {}).items() if k != "signature"}
    value = signature.get("value") if isinstance(signature, dict) else None
    return isinstance(value, str) and hmac.compare_digest(value, sign(body))


def public_view(submission, task) -> dict:
    """What anyone may learn from a fingerprint: that it was filed, when, and for which task."""
    return {"sha256": submission.sha256, "received_at": iso(submission.received_at),
            "task_id": task.id, "task_title": task.title}
