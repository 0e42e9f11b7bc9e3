"""Uploaded files: type checked by content (magic bytes), size-limited, stored under a random name.

    stored = store_upload(request.files["licence"], field="licence", kinds=DOCUMENT_KINDS,
                          max_bytes=current_app.config["LICENCE_MAX_BYTES"])

raises ValidationFailed naming the field for a missing, empty, oversized or wrong-type file.
The original file name is kept for display only; the stored path never comes from user input.

Where files live: on local disk under UPLOAD_DIR (the default), or in a bucket of an S3-compatible
object store (S3, MinIO, Aliyun OSS, Tencent COS) when FILE_STORE = "s3", so every app server sees
every file. The stored `path` is the key either way; callers use only these functions:

    send_stored(path, mimetype=..., download_name=..., as_attachment=...)   # a download response
    send_upload(path, mimetype=..., download_name=..., preview=...)  # a download, or an inline preview
    read_stored(path) -> bytes      open_stored(path) -> binary file     delete_stored(path)

Downloads pass the caller's permission check first: the response streams the object through the
app, or (S3_SIGNED_URLS) redirects to a URL signed for S3_URL_SECONDS (default 60).
"""
from __future__ import annotations

import hashlib
import io
import os
import secrets
from dataclasses import dataclass
from urllib.parse import quote

from flask import Response, current_app, redirect, send_file
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
    rel = subdir + "/" + secrets.token_hex(16) + ext
    save_stored(rel, data, mime)
    name = os.path.basename(file.filename or "file")[:200]
    return StoredFile(path=rel, name=name, size=len(data), sha256=hashlib.sha256(data).hexdigest(), mime=mime)


def absolute_path(rel: str) -> str:
    root = os.path.realpath(current_app.config["UPLOAD_DIR"])
    full = os.path.realpath(os.path.join(root, rel))
    if not full.startswith(root + os.sep):
        raise ValueError("path escapes the upload directory")
    return full


# --- storage backends -----------------------------------------------------------------------------

def _s3_configured() -> bool:
    return current_app.config.get("FILE_STORE", "local") == "s3"


def _check_key(rel: str) -> str:
    if not isinstance(rel, str) or not rel or rel.startswith("/") or "\\" in rel or ".." in rel.split("/"):
        raise ValueError("not a stored file key")
    return rel


def _s3():
    """(client, bucket, prefix); one boto3 client per app (clients are thread-safe)."""
    ext = current_app.extensions.setdefault("file_store", {})
    if "client" not in ext:
        # boto3 holds about 10 MB per worker: imported only where S3 storage is configured.
        import boto3
        from botocore.config import Config as BotoConfig
        config = current_app.config
        ext["client"] = boto3.client(
            "s3", endpoint_url=config.get("S3_ENDPOINT_URL") or None,
            region_name=config.get("S3_REGION") or "us-east-1",
            aws_access_key_id=config.get("S3_ACCESS_KEY_ID") or None,
            aws_secret_access_key=config.get("S3_SECRET_ACCESS_KEY") or None,
            config=BotoConfig(signature_version="s3v4", retries={"max_attempts": 3},
                              s3={"addressing_style": config.get("S3_ADDRESSING_STYLE") or "path"}))
    prefix = (current_app.config.get("S3_PREFIX") or "").strip("/")
    return ext["client"], current_app.config["S3_BUCKET"], prefix + "/" if prefix else ""


def save_stored(rel: str, data: bytes, mime: str = "application/octet-stream") -> None:
    """Write `data` under the key `rel` (local disk or the bucket)."""
    _check_key(rel)
    if _s3_configured():
        client, bucket, prefix = _s3()
        client.put_object(Bucket=bucket, Key=prefix + rel, Body=data, ContentType=mime)
        return
    full = absolute_path(rel)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "wb") as fh:
        fh.write(data)


def open_stored(rel: str):
    """A readable binary file of the stored object; FileNotFoundError when there is none."""
    _check_key(rel)
    if _s3_configured():
        client, bucket, prefix = _s3()
        try:
            body = client.get_object(Bucket=bucket, Key=prefix + rel)["Body"]
        except client.exceptions.NoSuchKey:
            raise FileNotFoundError(rel) from None
        with body:
            return io.BytesIO(body.read())  # uploads are size-limited
    return open(absolute_path(rel), "rb")


def read_stored(rel: str) -> bytes:
    with open_stored(rel) as fh:
        return fh.read()


def delete_stored(rel: str) -> None:
    """Remove the stored object; a missing one is not an error."""
    _check_key(rel)
    if _s3_configured():
        client, bucket, prefix = _s3()
        from botocore.exceptions import BotoCoreError, ClientError  # imported with boto3 by _s3()
        try:
            client.delete_object(Bucket=bucket, Key=prefix + rel)
        except (BotoCoreError, ClientError) as exc:
            raise OSError(f"could not delete {rel}: {exc}") from exc
        return
    try:
        os.remove(absolute_path(rel))
    except FileNotFoundError:
        pass


def send_stored(rel: str, *, mimetype: str | None = None, download_name: str | None = None,
                as_attachment: bool = False, max_age: int = 0):
    """The response for a download the caller has already authorised. FileNotFoundError (or
    ValueError for a bad key) when there is nothing to send: callers answer 404."""
    _check_key(rel)
    if not _s3_configured():
        return send_file(absolute_path(rel), mimetype=mimetype, as_attachment=as_attachment,
                         download_name=download_name, max_age=max_age)
    client, bucket, prefix = _s3()
    disposition = _disposition(download_name, as_attachment)
    if current_app.config.get("S3_SIGNED_URLS"):
        params = {"Bucket": bucket, "Key": prefix + rel, "ResponseContentDisposition": disposition}
        if mimetype:
            params["ResponseContentType"] = mimetype
        url = client.generate_presigned_url("get_object", Params=params,
                                            ExpiresIn=int(current_app.config.get("S3_URL_SECONDS", 60)))
        response = redirect(url, code=302)
    else:
        try:
            obj = client.get_object(Bucket=bucket, Key=prefix + rel)
        except client.exceptions.NoSuchKey:
            raise FileNotFoundError(rel) from None
        body = obj["Body"]
        response = Response(body.iter_chunks(64 * 1024), mimetype=mimetype or obj.get("ContentType"),
                            direct_passthrough=True)
        response.headers["Content-Length"] = str(obj["ContentLength"])
        response.headers["Content-Disposition"] = disposition
        response.call_on_close(body.close)
    response.headers["Cache-Control"] = f"private, max-age={max_age}" if max_age else "private, no-store"
    return response


# Types a page may show inline (`?preview=1`): images and PDFs, both checked by content on upload.
PREVIEW_MIMES = ("image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf")


def send_upload(rel: str, *, mimetype: str, download_name: str, preview: bool = False):
    """An uploaded file the caller has authorised: a download, or with `preview` and an image or a
    PDF, shown inline in this site's pages. An inline image runs nothing (a sandboxed, script-free
    policy); an inline PDF may be framed by this site's own pages only (the page that embeds it),
    never by another site. Everything else is always a download. FileNotFoundError / ValueError as
    `send_stored`."""
    inline = preview and mimetype in PREVIEW_MIMES
    response = send_stored(rel, mimetype=mimetype, as_attachment=not inline, download_name=download_name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    if inline and mimetype.startswith("image/"):
        response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    elif inline:
        response.headers["Content-Security-Policy"] = "frame-ancestors 'self'"
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


def _disposition(download_name: str | None, as_attachment: bool) -> str:
    kind = "attachment" if as_attachment else "inline"
    if not download_name:
        return kind
    ascii_name = download_name.encode("ascii", "ignore").decode().replace('"', "") or "file"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(download_name)}"
