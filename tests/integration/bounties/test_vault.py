"""The vault: confidentiality (404 by page, API and file URL for anyone but the authors and the
poster's side), downloads as attachments with nosniff, fingerprint receipts, one live entry per
solver, replace and withdraw until the deadline."""
from __future__ import annotations

import datetime as dt
import hashlib

from marketplace.bounties import receipts
from marketplace.bounties.models import Submission
from marketplace.extensions import db
from tests.factories import api_headers, login, make_operator, make_user
from tests.factories_bounties import enter, pass_deadline, post_bounty
from tests.factories_orgs import make_org

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _file_url(body):
    return f"/submissions/files/{body['files'][0]['id']}"


def test_confidentiality_page_api_and_file_url(app, client):
    owner = make_user()
    org = make_org(owner)
    manager_side = owner
    outsider_org = make_org(make_user())
    task = post_bounty(client, owner, structure="single", prizes=(10_000,), org=org)
    solver, body = enter(client, task, files=[("方案.pdf", PDF)])
    other_solver, _ = enter(client, task)
    non_member = make_user()
    # Authors and the poster's side see the entry, its file and the list.
    for user in (solver, manager_side):
        assert client.get(f"/api/v1/submissions/{body['id']}", headers=api_headers(user)).status_code == 200
        assert client.get(f"/api/v1/submission-files/{body['files'][0]['id']}",
                          headers=api_headers(user)).status_code == 200
    fresh = app.test_client()
    login(fresh, solver)
    page = fresh.get(f"/submissions/{body['id']}")
    assert page.status_code == 200 and "我的方案" in page.get_data(as_text=True)
    download = fresh.get(_file_url(body))
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    # Another solver, an anonymous visitor, a non-member and a member of another organisation: 404.
    assert outsider_org is not None
    for user in (other_solver, non_member):
        headers = api_headers(user)
        assert client.get(f"/api/v1/submissions/{body['id']}", headers=headers).status_code == 404
        assert client.get(f"/api/v1/submission-files/{body['files'][0]['id']}", headers=headers).status_code == 404
        assert client.post(f"/api/v1/submissions/{body['id']}/withdraw", headers=headers).status_code == 404
        browser = app.test_client()
        login(browser, user)
        assert browser.get(f"/submissions/{body['id']}").status_code == 404
        assert browser.get(_file_url(body)).status_code == 404
        assert browser.get(f"/tasks/{task.id}/judging").status_code == 404
        listed = client.get(f"/api/v1/tasks/{task.id}/submissions", headers=headers).get_json()["items"]
        assert body["id"] not in [i["id"] for i in listed]
    anonymous = app.test_client()
    assert anonymous.get(f"/api/v1/submissions/{body['id']}").status_code == 401
    assert anonymous.get(f"/api/v1/submission-files/{body['files'][0]['id']}").status_code == 401
    assert anonymous.get(f"/submissions/{body['id']}").status_code == 404
    assert anonymous.get(_file_url(body)).status_code == 404
    assert anonymous.get(f"/submissions/{body['id']}/receipt.json").status_code == 404
    # The public task page shows the count, never the contents.
    public = anonymous.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "2" in public and "我的方案" not in public and "方案.pdf" not in public
    # An operator sees it only when a review needs it.
    operator = make_operator()
    assert client.get(f"/api/v1/submissions/{body['id']}", headers=api_headers(operator)).status_code == 404


def test_after_the_award_only_winners_pass_to_the_poster(app, client):
    poster = make_user()
    task = post_bounty(client, poster, structure="single", prizes=(10_000,))
    _winner, win = enter(client, task, files=[("a.pdf", PDF)])
    loser, lose = enter(client, task, files=[("b.pdf", PDF)])
    pass_deadline(task)
    assert client.post(f"/api/v1/tasks/{task.id}/winners", json={"awards": [{"submission_id": win["id"], "rank": 1}]},
                       headers=api_headers(poster)).status_code == 200
    headers = api_headers(poster)
    assert client.get(f"/api/v1/submission-files/{win['files'][0]['id']}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/submission-files/{lose['files'][0]['id']}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/submissions/{lose['id']}", headers=headers).status_code == 404
    # The loser still sees its own entry.
    assert client.get(f"/api/v1/submissions/{lose['id']}", headers=api_headers(loser)).status_code == 200
    results = client.get(f"/api/v1/tasks/{task.id}/results").get_json()
    assert [w["solver_id"] for w in results["winners"]] == [win["solver_id"]]
    assert "text" not in results["winners"][0]


def test_receipts_fingerprint_verify_and_survive_withdrawal(app, client):
    task = post_bounty(client, structure="single", prizes=(10_000,))
    solver, body = enter(client, task, text="光纤光栅解调方案", files=[("a.pdf", PDF)])
    assert set(body) >= {"id", "sha256", "received_at"}
    sub = db.session.scalar(db.select(Submission).where(Submission.public_id == body["id"]))
    # The fingerprint is recomputable from the content and time; one changed byte changes it.
    file_sha = hashlib.sha256(PDF).hexdigest()
    assert receipts.fingerprint("光纤光栅解调方案", [file_sha], sub.received_at) == body["sha256"]
    changed = hashlib.sha256(PDF[:-1] + b"\n\n").hexdigest()
    assert receipts.fingerprint("光纤光栅解调方案", [changed], sub.received_at) != body["sha256"]
    assert receipts.fingerprint("光纤光栅解调方案。", [file_sha], sub.received_at) != body["sha256"]
    later = sub.received_at + dt.timedelta(microseconds=1)
    assert receipts.fingerprint("光纤光栅解调方案", [file_sha], later) != body["sha256"]
    # Anyone verifies: time and task, never the content.
    check = client.get(f"/api/v1/receipts/{body['sha256']}")
    assert check.status_code == 200
    assert check.get_json()["task_id"] == task.id and check.get_json()["received_at"] == body["received_at"]
    assert "光纤" not in check.get_data(as_text=True) and "files" not in check.get_json()
    # The signed receipt verifies; a tampered one does not.
    signed = client.get(f"/api/v1/submissions/{body['id']}/receipt", headers=api_headers(solver)).get_json()
    assert signed["sha256"] == body["sha256"] and receipts.signature_valid(signed)
    assert not receipts.signature_valid({**signed, "received_at": "2020-01-01T00:00:00+00:00"})
    # Withdrawn: the receipt still verifies (page and API).
    assert client.post(f"/api/v1/submissions/{body['id']}/withdraw",
                       headers=api_headers(solver)).get_json()["status"] == "withdrawn"
    assert client.get(f"/api/v1/receipts/{body['sha256']}").status_code == 200
    page = client.get(f"/receipts/{body['sha256']}")
    assert page.status_code == 200 and task.title in page.get_data(as_text=True)
    # Unknown or malformed fingerprints: 404.
    assert client.get(f"/api/v1/receipts/{'0' * 64}").status_code == 404
    assert client.get("/api/v1/receipts/not-a-hash").status_code == 404
    assert client.get(f"/receipts/{'0' * 64}").status_code == 404


def test_one_live_entry_replace_and_withdraw_until_the_deadline(app, client):
    task = post_bounty(client, structure="single", prizes=(10_000,))
    solver, first = enter(client, task, text="第一版")
    headers = api_headers(solver)
    r = client.post(f"/api/v1/tasks/{task.id}/submissions", data={"text": "第二份"}, headers=headers,
                    content_type="multipart/form-data")
    assert r.status_code == 409
    r = client.post(f"/api/v1/submissions/{first['id']}/replace", data={"text": "第二版"}, headers=headers,
                    content_type="multipart/form-data")
    assert r.status_code == 201, r.get_json()
    second = r.get_json()
    assert second["sha256"] != first["sha256"] and second["text"] == "第二版"
    statuses = dict(db.session.execute(db.select(Submission.public_id, Submission.status)).all())
    assert statuses == {first["id"]: "withdrawn", second["id"]: "submitted"}
    mine = client.get("/api/v1/me/submissions", headers=headers).get_json()["items"]
    assert {i["id"] for i in mine} == {first["id"], second["id"]}
    pass_deadline(task)
    r = client.post(f"/api/v1/submissions/{second['id']}/withdraw", headers=headers)
    assert r.status_code == 409
    r = client.post(f"/api/v1/submissions/{second['id']}/replace", data={"text": "第三版"}, headers=headers,
                    content_type="multipart/form-data")
    assert r.status_code == 409


def test_poster_side_cannot_enter_and_eligibility_is_checked(app, client):
    poster = make_user()
    task = post_bounty(client, poster, structure="single", prizes=(10_000,), eligibility="verified")
    enter(client, task, poster, expect=403)
    enter(client, task, expect=403)  # not verified
    from tests.factories_tasks import approve_identity
    enter(client, task, approve_identity(make_user()), expect=201)
    invited_only = post_bounty(client, structure="single", prizes=(5_000,), eligibility="invited")
    enter(client, invited_only, expect=404 if invited_only.visibility == "invite" else 403)


def test_blocklisted_solver_cannot_enter(app, client):
    import pytest

    from marketplace.bounties import service
    from marketplace.core.db import utcnow
    from marketplace.core.errors import Forbidden
    task = post_bounty(client, structure="single", prizes=(10_000,))
    solver = make_user()
    if hasattr(type(solver), "blocklisted_at"):  # the column the credit domain adds
        solver.blocklisted_at = utcnow()
    else:
        solver.is_blocklisted = True
    with pytest.raises(Forbidden):
        service.submit(solver, task, text="方案")
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count(Submission.id))) == 0
