"""Fixtures for the core tests: compiled catalogues and a second app with probe routes."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from flask import abort

from config import TestingConfig
from marketplace import create_app
from marketplace.core import audit
from marketplace.core.errors import Forbidden, ValidationFailed, WrongState
from marketplace.extensions import db

TRANSLATIONS = Path(__file__).resolve().parents[3] / "marketplace" / "translations"


def compile_catalogues() -> None:
    """Compile every .po to .mo when the .mo is missing or older (`make` does this too, but a
    plain `pytest` run must see the same Chinese pages)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in TRANSLATIONS.glob("*/LC_MESSAGES/*.po"):
        if po.parent.parent.is_symlink():
            continue
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with open(po, "rb") as fh:
            catalog = read_po(fh)
        tmp = mo.with_suffix(".mo.tmp")
        with open(tmp, "wb") as fh:
            write_mo(fh, catalog)
        os.replace(tmp, mo)


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogues():
    compile_catalogues()


def build_probe_app(database_url: str, upload_dir: str):
    """A separate app on the same database with routes that misbehave on purpose."""
    probe = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=database_url, UPLOAD_DIR=upload_dir,
                       SERVER_NAME=None)

    @probe.post("/_probe/write/<int:status>")
    def probe_write(status):
        audit.record("probe.write", target_type="probe", target_id=status)
        return f"status {status}", status

    @probe.post("/_probe/wrong-state")
    def probe_wrong_state():
        audit.record("probe.write", target_type="probe", target_id="wrong-state")
        raise WrongState("This task was already awarded.")

    @probe.post("/_probe/validation")
    def probe_validation():
        audit.record("probe.write", target_type="probe", target_id="validation")
        raise ValidationFailed(errors={"amount": ["Too small."]})

    @probe.post("/_probe/duplicate")
    def probe_duplicate():
        # Two pending timers for one subject: refused by a unique index at commit time.
        from marketplace.core.db import utcnow
        from marketplace.jobs.models import Timer
        audit.record("probe.write", target_type="probe", target_id="duplicate")
        db.session.add(Timer(kind="probe", subject_ref="x:1", due_at=utcnow()))
        db.session.add(Timer(kind="probe", subject_ref="x:1", due_at=utcnow()))
        return "looks fine", 200

    @probe.post("/_probe/duplicate-flush")
    def probe_duplicate_flush():
        from marketplace.core.db import utcnow
        from marketplace.jobs.models import Timer
        audit.record("probe.write", target_type="probe", target_id="duplicate-flush")
        db.session.add(Timer(kind="probe", subject_ref="x:1", due_at=utcnow()))
        db.session.add(Timer(kind="probe", subject_ref="x:1", due_at=utcnow()))
        db.session.flush()
        return "unreachable", 200

    @probe.route("/_probe/boom", methods=["GET", "POST"])
    def probe_boom():
        audit.record("probe.write", target_type="probe", target_id="boom")
        raise RuntimeError("kaboom")

    @probe.get("/_probe/forbidden")
    def probe_forbidden():
        raise Forbidden()

    @probe.get("/_probe/abort403")
    def probe_abort403():
        abort(403)

    @probe.get("/api/v1/_probe/boom")
    def probe_api_boom():
        raise RuntimeError("kaboom")

    @probe.post("/api/v1/_probe/wrong-state")
    def probe_api_wrong_state():
        audit.record("probe.write", target_type="probe", target_id="api-wrong-state")
        raise WrongState("This task was already awarded.")

    @probe.post("/api/v1/_probe/validation")
    def probe_api_validation():
        raise ValidationFailed(errors={"amount": ["Too small."], "days": ["Required."]})

    @probe.post("/api/v1/_probe/duplicate")
    def probe_api_duplicate():
        from marketplace.core.db import utcnow
        from marketplace.jobs.models import Timer
        db.session.add(Timer(kind="probe", subject_ref="x:1", due_at=utcnow()))
        db.session.add(Timer(kind="probe", subject_ref="x:1", due_at=utcnow()))
        return {"ok": True}, 201

    return probe


@pytest.fixture(scope="session")
def probe_app(app):
    probe = build_probe_app(app.config["SQLALCHEMY_DATABASE_URI"], app.config["UPLOAD_DIR"])
    yield probe
    with probe.app_context():
        db.engine.dispose()


@pytest.fixture
def probe(probe_app):
    return probe_app.test_client()


def probe_rows() -> list[str]:
    """target_ids of the audit rows the probe routes wrote and committed."""
    db.session.expire_all()
    return list(db.session.scalars(
        db.select(audit.AuditEntry.target_id).where(audit.AuditEntry.action == "probe.write")
        .order_by(audit.AuditEntry.id)))


@pytest.fixture(autouse=True)
def _chinese_default(chinese_default, probe_app):
    """These tests check the product's default language, zh_CN, on both apps."""
    before = probe_app.config["BABEL_DEFAULT_LOCALE"]
    probe_app.config["BABEL_DEFAULT_LOCALE"] = "zh_CN"
    yield
    probe_app.config["BABEL_DEFAULT_LOCALE"] = before
