"""Files on an S3-compatible object store (FILE_STORE = "s3"), against a local S3 server (moto)
started by the `s3_server` fixture on 127.0.0.1: uploads land in the bucket and not on disk,
downloads pass the permission check and stream (or redirect to a short-lived signed URL), and
deletes remove the object. Two apps sharing the bucket see each other's files."""
from __future__ import annotations

import io
import os
import socket
import urllib.request
import uuid

import boto3
import pytest
from flask import current_app

from config import TestingConfig
from marketplace import create_app
from marketplace.core import files
from marketplace.extensions import db
from marketplace.tasks.models import TaskAttachment
from tests.factories import login, make_user
from tests.factories_tasks import make_task
from tests.integration.tasks.test_pages import _form

PDF = b"%PDF-1.4 object store test"


@pytest.fixture(scope="session")
def s3_server():
    """A moto S3 server in a thread, on a port the system has just given out as free (a fixed port
    would collide with another test run on the same machine)."""
    from moto.server import ThreadedMotoServer
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def _settings(endpoint: str, bucket: str) -> dict:
    return {"FILE_STORE": "s3", "S3_ENDPOINT_URL": endpoint, "S3_BUCKET": bucket, "S3_REGION": "us-east-1",
            "S3_ACCESS_KEY_ID": "test", "S3_SECRET_ACCESS_KEY": "test", "S3_PREFIX": "uploads"}


@pytest.fixture
def bucket(app, s3_server, monkeypatch):
    name = "hz-" + uuid.uuid4().hex[:12]
    client = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1",
                          aws_access_key_id="test", aws_secret_access_key="test")
    client.create_bucket(Bucket=name)
    for key, value in _settings(s3_server, name).items():
        monkeypatch.setitem(app.config, key, value)
    app.extensions.pop("file_store", None)
    yield client, name
    app.extensions.pop("file_store", None)


def _keys(client, name) -> list[str]:
    return [o["Key"] for o in client.list_objects_v2(Bucket=name).get("Contents", [])]


class Upload(io.BytesIO):
    def __init__(self, data: bytes, filename: str):
        super().__init__(data)
        self.filename = filename


def test_store_read_send_delete_through_the_bucket(bucket):
    client, name = bucket
    stored = files.store_upload(Upload(PDF, "规格书.pdf"), field="f", kinds=files.DOCUMENT_KINDS)
    assert _keys(client, name) == ["uploads/" + stored.path]
    assert not os.path.exists(os.path.join(current_app.config["UPLOAD_DIR"], stored.path))
    assert files.read_stored(stored.path) == PDF
    with current_app.test_request_context():
        response = files.send_stored(stored.path, mimetype="application/pdf", download_name="规格书.pdf",
                                     as_attachment=True)
        response.direct_passthrough = False
        assert response.status_code == 200 and response.get_data() == PDF
        assert response.headers["Content-Length"] == str(len(PDF))
        assert "attachment" in response.headers["Content-Disposition"]
        assert "%E8%A7%84" in response.headers["Content-Disposition"]  # the UTF-8 name, encoded
    files.delete_stored(stored.path)
    assert _keys(client, name) == []
    with pytest.raises(FileNotFoundError):
        files.read_stored(stored.path)
    files.delete_stored(stored.path)  # deleting twice is fine


def test_signed_url_redirect_is_short_lived_and_serves_the_file(bucket, app, monkeypatch):
    monkeypatch.setitem(app.config, "S3_SIGNED_URLS", True)
    stored = files.store_upload(Upload(PDF, "a.pdf"), field="f", kinds=files.DOCUMENT_KINDS)
    with app.test_request_context():
        response = files.send_stored(stored.path, mimetype="application/pdf", download_name="a.pdf")
    assert response.status_code == 302
    url = response.headers["Location"]
    assert "X-Amz-Expires=60" in url and "X-Amz-Signature=" in url
    with urllib.request.urlopen(url) as fetched:
        assert fetched.read() == PDF


def test_bad_keys_are_refused(bucket):
    for key in ("../etc/passwd", "/etc/passwd", "files/../../x", ""):
        with pytest.raises(ValueError):
            files.read_stored(key)


def test_task_attachment_upload_and_permission_checked_download(bucket, client):
    s3, name = bucket
    poster = make_user()
    login(client, poster)
    data = _form(visibility="invite")
    data["files"] = (io.BytesIO(PDF), "spec.pdf")
    assert client.post("/tasks/new", data=data, content_type="multipart/form-data").status_code == 303
    attachment = db.session.scalars(db.select(TaskAttachment)).one()
    assert _keys(s3, name) == ["uploads/" + attachment.path]
    download = client.get(f"/tasks/attachments/{attachment.public_id}")
    assert download.status_code == 200 and download.data == PDF
    # Someone who may not see the invite-only task gets a 404, as with local files.
    client.post("/logout")
    login(client, make_user())
    assert client.get(f"/tasks/attachments/{attachment.public_id}").status_code == 404
    # A missing object is a 404 too, not a 500.
    s3.delete_object(Bucket=name, Key="uploads/" + attachment.path)
    client.post("/logout")
    login(client, poster)
    assert client.get(f"/tasks/attachments/{attachment.public_id}").status_code == 404


def test_two_app_servers_share_one_bucket(bucket, app, s3_server, tmp_path):
    """A second app (another server: its own upload dir, its own client) serves what the first stored."""
    _client, name = bucket
    task = make_task(title="共享存储")
    stored = files.store_upload(Upload(PDF, "x.pdf"), field="f", kinds=files.DOCUMENT_KINDS)
    db.session.add(TaskAttachment(task_id=task.id, path=stored.path, name="x.pdf", size=len(PDF),
                                  sha256=stored.sha256, mime=stored.mime))
    db.session.commit()
    public_id = db.session.scalars(db.select(TaskAttachment.public_id)).one()
    other = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                       UPLOAD_DIR=str(tmp_path / "elsewhere"), SERVER_NAME=None, **_settings(s3_server, name))
    response = other.test_client().get(f"/tasks/attachments/{public_id}")
    assert response.status_code == 200 and response.data == PDF
