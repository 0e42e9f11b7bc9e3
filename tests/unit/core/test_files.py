"""Uploads are checked by content, size-limited and stored under random names."""
from __future__ import annotations

import hashlib
import io
import os

import pytest
from flask import current_app
from flask_babel import force_locale
from werkzeug.datastructures import FileStorage

from marketplace.core.errors import ValidationFailed
from marketplace.core.files import (
    ATTACHMENT_KINDS,
    DOCUMENT_KINDS,
    IMAGE_KINDS,
    absolute_path,
    detect_kind,
    store_upload,
)

SAMPLES = {
    "pdf": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj",
    "jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
    "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    "gif": b"GIF89a\x01\x00\x01\x00",
    "webp": b"RIFF\x24\x00\x00\x00WEBPVP8 ",
    "zip": b"PK\x03\x04\x14\x00\x00\x00",
    "text": "任务说明：请在周五前交付。\n".encode(),
}


@pytest.mark.parametrize("kind", list(SAMPLES))
def test_detect_kind_by_magic_bytes(kind):
    assert detect_kind(SAMPLES[kind], ATTACHMENT_KINDS) == kind


def test_detect_kind_only_among_the_allowed_kinds():
    assert detect_kind(SAMPLES["zip"], DOCUMENT_KINDS) is None
    assert detect_kind(SAMPLES["pdf"], IMAGE_KINDS) is None
    assert detect_kind(b"MZ\x90\x00\x03\x00", ATTACHMENT_KINDS) is None  # a Windows executable
    assert detect_kind(b"RIFF\x24\x00\x00\x00WAVEfmt ", IMAGE_KINDS) is None  # RIFF but not WebP


def test_text_detection_allows_a_cut_multibyte_character_but_not_binary():
    text = "汇众".encode() * 10
    assert detect_kind(text[:-1], ("text",)) == "text"
    assert detect_kind(b"plain\x00text", ("text",)) is None
    assert detect_kind(b"\xff\xfe\xfa binary \xc3\x28 here", ("text",)) is None


def upload(data: bytes, name: str = "file.bin") -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=name)


def test_store_upload_keeps_content_under_a_random_name():
    data = SAMPLES["png"] + b"\x00" * 100
    stored = store_upload(upload(data, "../../etc/licence scan.png"), field="licence", kinds=DOCUMENT_KINDS)

    assert stored.name == "licence scan.png"
    assert stored.mime == "image/png"
    assert stored.size == len(data)
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.path.endswith(".png") and "licence" not in stored.path and ".." not in stored.path
    with open(absolute_path(stored.path), "rb") as fh:
        assert fh.read() == data
    other = store_upload(upload(data, "licence scan.png"), field="licence", kinds=DOCUMENT_KINDS)
    assert other.path != stored.path


def test_store_upload_extension_comes_from_content_not_the_name():
    stored = store_upload(upload(SAMPLES["pdf"], "photo.jpg"), field="f", kinds=DOCUMENT_KINDS)
    assert stored.path.endswith(".pdf") and stored.mime == "application/pdf"


@pytest.mark.parametrize("file, message", [
    (None, "Choose a file."),
    (FileStorage(stream=io.BytesIO(b""), filename=""), "Choose a file."),
    (FileStorage(stream=io.BytesIO(b""), filename="empty.pdf"), "The file is empty."),
])
def test_missing_or_empty_upload_names_the_field(file, message):
    with force_locale("en"), pytest.raises(ValidationFailed) as exc:
        store_upload(file, field="licence")
    assert exc.value.errors == {"licence": [message]}


def test_oversized_upload_is_refused_and_not_written():
    before = _stored_files()
    with pytest.raises(ValidationFailed) as exc:
        store_upload(upload(SAMPLES["pdf"] + b"x" * 2048), field="attachment", max_bytes=1024)
    assert list(exc.value.errors) == ["attachment"]
    assert "MB" in exc.value.errors["attachment"][0]
    assert _stored_files() == before


def test_wrong_type_is_refused_and_names_the_allowed_types():
    with pytest.raises(ValidationFailed) as exc:
        store_upload(upload(b"MZ\x90\x00" + b"\x00" * 64, "invoice.pdf"), field="licence", kinds=DOCUMENT_KINDS)
    message = exc.value.errors["licence"][0]
    assert "PDF" in message and "JPEG" in message and "PNG" in message


def test_absolute_path_refuses_to_leave_the_upload_dir():
    with pytest.raises(ValueError):
        absolute_path("../../etc/passwd")
    with pytest.raises(ValueError):
        absolute_path("/etc/passwd")
    assert absolute_path("files/x.pdf").startswith(os.path.realpath(current_app.config["UPLOAD_DIR"]))


def _stored_files() -> set[str]:
    root = current_app.config["UPLOAD_DIR"]
    return {os.path.join(d, f) for d, _, files in os.walk(root) for f in files}
