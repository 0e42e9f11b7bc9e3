"""Fingerprints and signed receipts: deterministic, sensitive to every byte, the time and the
order of files; a signature breaks when any field changes."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from marketplace.bounties import receipts

WHEN = dt.datetime(2026, 11, 30, 1, 2, 3, 456789)


def test_fingerprint_is_deterministic_and_sensitive():
    base = receipts.fingerprint("方案", ["a" * 64, "b" * 64], WHEN)
    assert base == receipts.fingerprint("方案", ["a" * 64, "b" * 64], WHEN)
    assert len(base) == 64 and int(base, 16) >= 0
    assert base != receipts.fingerprint("方案 ", ["a" * 64, "b" * 64], WHEN)
    assert base != receipts.fingerprint("方案", ["b" * 64, "a" * 64], WHEN)
    assert base != receipts.fingerprint("方案", ["a" * 64], WHEN)
    assert base != receipts.fingerprint("方案", ["a" * 64, "b" * 64], WHEN + dt.timedelta(microseconds=1))
    assert receipts.received_at_text(WHEN) == "2026-11-30T01:02:03.456789+00:00"


def test_signed_receipt_verifies_and_breaks_when_changed(app):
    sub = SimpleNamespace(public_id="abc", sha256="f" * 64, received_at=WHEN,
                          files=[SimpleNamespace(name="a.pdf", size=3, sha256="a" * 64)])
    task = SimpleNamespace(id=7, title="挑战")
    with app.app_context():
        signed = receipts.signed_receipt(sub, task)
        assert receipts.signature_valid(signed)
        for key, value in (("task_id", 8), ("sha256", "e" * 64), ("received_at", "2020-01-01T00:00:00+00:00")):
            assert not receipts.signature_valid({**signed, key: value})
        assert not receipts.signature_valid({k: v for k, v in signed.items() if k != "signature"})
        assert "text" not in receipts.public_view(sub, task)
