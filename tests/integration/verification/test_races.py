"""Concurrent requests: one pending request per person, one decision per request, one use per
invitation, and an organisation never loses its last owner."""
from __future__ import annotations

import threading

from marketplace.extensions import db
from marketplace.organisations.models import Membership
from marketplace.verification.models import VerificationRequest
from tests.factories import api_headers, make_operator, make_user
from tests.factories_orgs import make_org, make_verification, resident_id
from tests.integration.organisations.helpers import audit_rows, invite_token, notifications

N = 8


def _race(app, calls):
    """Run each (method, url, headers, json) in its own thread and app context, released at once."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, method, url, headers, body):
        with app.app_context():
            client = app.test_client()
            barrier.wait()
            response = client.open(url, method=method, json=body, headers=headers)
            results[i] = response.status_code
            db.session.remove()

    threads = [threading.Thread(target=run, args=(i, *call)) for i, call in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return sorted(results)


def test_concurrent_submissions_make_one_pending_request(app):
    user = make_user()
    number = resident_id()
    calls = [("POST", "/api/v1/me/verification", api_headers(user), {"real_name": "李明", "id_number": number})
             for _ in range(N)]
    assert _race(app, calls) == [201] + [409] * (N - 1)
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count(VerificationRequest.id))) == 1


def test_concurrent_approvals_decide_once(app):
    req = make_verification(make_user())
    operator = make_operator()
    calls = [("POST", f"/api/v1/operator/verifications/{req.id}/approve", api_headers(operator), {})
             for _ in range(N)]
    assert _race(app, calls) == [200] + [409] * (N - 1)
    assert len(audit_rows("verification.approve")) == 1
    assert len(notifications(req.user, "verification.approved")) == 1


def test_concurrent_accepts_of_one_invitation_make_one_membership(app, client):
    owner = make_user()
    invitee = make_user("race@example.com")
    org = make_org(owner)
    assert client.post(f"/api/v1/orgs/{org.id}/invites", json={"email": "race@example.com"},
                       headers=api_headers(owner)).status_code == 201
    token = invite_token("race@example.com")
    calls = [("POST", f"/api/v1/invites/{token}/accept", api_headers(invitee), {}) for _ in range(N)]
    codes = _race(app, calls)
    assert codes.count(200) == 1 and all(c == 409 for c in codes if c != 200), codes
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count(Membership.id)).where(Membership.user_id == invitee.id)) == 1


def test_two_owners_leaving_at_once_leave_one_owner(app):
    a, b = make_user(), make_user()
    org = make_org(a, members={b: "owner"})
    codes = _race(app, [("POST", f"/api/v1/orgs/{org.id}/leave", api_headers(u), {}) for u in (a, b)])
    assert codes == [200, 409], codes
    db.session.expire_all()
    owners = db.session.scalar(db.select(db.func.count(Membership.id)).where(
        Membership.org_id == org.id, Membership.role == "owner"))
    assert owners == 1


def test_concurrent_org_submissions_keep_one_request_and_one_file(app):
    import io
    import os

    from tests.factories_orgs import PDF_BYTES, uscc

    owner = make_user()
    org = make_org(owner)
    code = uscc()
    root = app.config["UPLOAD_DIR"]

    def files():
        return sum(len(f) for _d, _s, f in os.walk(root))

    before = files()
    org_id = org.id
    headers = api_headers(owner)  # commits, so this thread holds no transaction while the others run
    barrier = threading.Barrier(N)
    codes: list = []

    def run():
        with app.app_context():
            client = app.test_client()
            barrier.wait()
            response = client.post("/api/v1/me/verification", headers=headers, content_type="multipart/form-data",
                                   data={"org_id": str(org_id), "org_name": "楚光", "uscc": code,
                                         "licence": (io.BytesIO(PDF_BYTES), "licence.pdf")})
            codes.append(response.status_code)
            db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(N)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sorted(codes) == [201] + [409] * (N - 1), codes
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count(VerificationRequest.id))) == 1
    assert files() == before + 1
