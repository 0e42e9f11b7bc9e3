"""Uploaded files: type checked by content (magic bytes), size-limited, stored under a random name.

    stored = store_upload(request.files["licence"], field="licence", kinds=DOCUMENT_KINDS,
                          max_bytes=current_app.config["LICENCE_MAX_BYTES"])

raises ValidationFailed naming the field for a missing, empty, oversized or wrong-type file.
The original file name is kept for display only; the stored path never comes from user input.
"""
from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l

from .errors import ValidationFailed

# kind -> (mime type, extension, magic-byte test)
KINDS = {
    "pdf": ("application/pdf", ".pdf", lambda head: head.startswith(b"%PDF-")),
    "jpeg": ("image/jpeg", ".jpg", lambda head: head.startswith(b"\xff\xd8\xff")),
    "png": ("image/png", ".png", lambda head: head.startswith(b"\x89PNG\r\n\x1a\n")),
    "gif": ("image/gif", ".gif", lambda head: head[:6] in (b"GIF87a", b"GIF89a")),
    "webp": ("image/webp", ".webp", lambda head: head[:4] == b"RIFF" and head[8:12] == b"WEBP"),
    "zip": ("application/zip", ".zip", lambda head: head.startswith(b"PK\x03\x04")),
    "text": ("text/plain", ".txt", lambda head: _looks_like_text(head)),
}
IMAGE_KINDS = ("jpeg", "png", "gif", "webp")
DOCUMENT_KINDS = ("pdf", "jpeg", "png")
ATTACHMENT_KINDS = ("pdf", "jpeg", "png", "gif", "webp", "zip", "text")


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:  # a multi-byte character cut at the end of the sample
        return exc.start >= len(head) - 3
    return True


@dataclass
class StoredFile:
    path: str        # relative to UPLOAD_DIR
    name: str        # original name, for display
    size: int
    sha256: str
    mime: str


def detect_kind(head: bytes, kinds) -> str | None:
    for kind in kinds:
        if KINDS[kind][2](head):
            return kind
    return None


def store_upload(file, *, field: str, kinds=DOCUMENT_KINDS, max_bytes: int | None = None,
                 subdir: str = "files") -> StoredFile:
    if file is None or not getattr(file, "filename", ""):
        raise ValidationFailed(errors={field: [_l("Choose a file.")]})
    max_bytes = max_bytes or current_app.config["ATTACHMENT_MAX_BYTES"]
    data = file.read(max_bytes + 1)
    if not data:
        raise ValidationFailed(errors={field: [_l("The file is empty.")]})
    if len(data) > max_bytes:
        raise ValidationFailed(errors={field: [_l("The file is larger than %(size)s MB.",
                                                  size=round(max_bytes / 1024 / 1024, 1))]})
    kind = detect_kind(data[:512], kinds)
    if kind is None:
        allowed = ", ".join(k.upper() for k in kinds)
        raise ValidationFailed(errors={field: [_l("This file type is not accepted (allowed: %(types)s).",
                                                  types=allowed)]})
    mime, ext, _test = KINDS[kind]
    rel = os.path.join(subdir, secrets.token_hex(16) + ext)
    full = os.path.join(current_app.config["UPLOAD_DIR"], rel)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "wb") as fh:
        fh.write(data)
    name = os.path.basename(file.filename or "file")[:200]
    return StoredFile(path=rel, name=name, size=len(data), sha256=hashlib.sha256(data).hexdigest(), mime=mime)


def absolute_path(rel: str) -> str:
    root = os.path.realpath(current_app.config["UPLOAD_DIR"])
    full = os.path.realpath(os.path.join(root, rel))
    if not full.startswith(root + os.sep):
        raise ValueError("path escapes the upload directory")
    return full
