"""Operators approve or reject; the applicant is notified; audit rows; the status everywhere."""
import io

import pytest

from marketplace.extensions import db
from marketplace.verification import service
from marketplace.verification.models import VerificationRequest
from tests.factories import api_headers, login, make_operator, make_user
from tests.factories_orgs import PDF_BYTES, make_org, make_verification, resident_id, uscc
from tests.integration.organisations.helpers import audit_rows, english, notifications

GOOD_ID = resident_id("42010219851111002")


@pytest.fixture
def web(client):
    return english(client)


def status_of(req_id):
    db.session.expire_all()
    return db.session.get(VerificationRequest, req_id).status


def test_operator_approves_on_the_page(web):
    user, operator = make_user(display_name="李明"), make_operator()
    make_verification(user, number=GOOD_ID, name="李明", status="rejected", reason="照片模糊")
    req = make_verification(user, number=GOOD_ID, name="李明")
    login(web, operator)
    queue = web.get("/operator/")
    assert queue.status_code == 200 and req.masked_number in queue.text and GOOD_ID not in queue.text
    detail = web.get(f"/operator/verifications/{req.id}")
    assert detail.status_code == 200 and req.masked_number in detail.text and GOOD_ID not in detail.text
    assert 'data-testid="earlier-requests"' in detail.text and "照片模糊" in detail.text
    resp = web.post(f"/operator/verifications/{req.id}/approve")
    assert resp.status_code == 303
    assert status_of(req.id) == "approved"
    assert [n.kind for n in notifications(user)] == ["verification.approved"]
    rows = audit_rows("verification.approve")
    assert len(rows) == 1 and rows[0].actor_id == operator.id and rows[0].target_id == str(req.id)
    assert GOOD_ID not in str(rows[0].details)
    assert service.is_verified(user) and service.verified_user_ids([user.id, operator.id]) == {user.id}
    # deciding twice is refused
    again = web.post(f"/operator/verifications/{req.id}/approve", headers={"Referer": "http://localhost/operator/"})
    assert again.status_code == 303 and len(audit_rows("verification.approve")) == 1


def test_reject_needs_a_reason_and_tells_the_applicant(web):
    user, operator = make_user(), make_operator()
    req = make_verification(user, number=GOOD_ID)
    login(web, operator)
    resp = web.post(f"/operator/verifications/{req.id}/reject", data={"reason": "  "})
    assert resp.status_code == 422 and 'data-field="reason"' in resp.text
    assert status_of(req.id) == "pending" and notifications(user) == []
    resp = web.post(f"/operator/verifications/{req.id}/reject", data={"reason": "照片模糊，请重新提交"})
    assert resp.status_code == 303 and status_of(req.id) == "rejected"
    notes = notifications(user, "verification.rejected")
    assert len(notes) == 1 and notes[0].params["reason"] == "照片模糊，请重新提交"
    assert audit_rows("verification.reject")[0].details["reason"] == "照片模糊，请重新提交"
    assert not service.is_verified(user)
    login(web, user)
    page = web.get("/verification")
    assert "照片模糊" in page.text and "Verification rejected" in page.text


def test_api_approve_and_reject(client):
    operator = make_operator()
    a, b = make_user(), make_user()
    ra = make_verification(a, number=GOOD_ID)
    rb = make_verification(b, number=resident_id("42010219851111003"))
    h = api_headers(operator)
    resp = client.post(f"/api/v1/operator/verifications/{ra.id}/approve", headers=h)
    assert resp.status_code == 200 and resp.json["status"] == "approved"
    assert client.post(f"/api/v1/operator/verifications/{ra.id}/approve", headers=h).status_code == 409
    resp = client.post(f"/api/v1/operator/verifications/{rb.id}/reject", json={}, headers=h)
    assert resp.status_code == 422 and "reason" in resp.json["errors"]
    resp = client.post(f"/api/v1/operator/verifications/{rb.id}/reject", json={"reason": "name differs"}, headers=h)
    assert resp.status_code == 200 and resp.json["status"] == "rejected" and resp.json["reason"] == "name differs"
    assert client.get("/api/v1/me", headers=api_headers(a)).json["verification"]["status"] == "approved"
    assert client.get("/api/v1/me", headers=api_headers(b)).json["verification"]["status"] == "rejected"
    assert [n.kind for n in notifications(a)] == ["verification.approved"]
    assert [n.kind for n in notifications(b)] == ["verification.rejected"]
    assert len(audit_rows("verification.approve")) == 1 and len(audit_rows("verification.reject")) == 1


def test_a_number_is_approved_for_one_account_only(client):
    operator = make_operator()
    a, b = make_user(), make_user()
    # both pending (as if submitted at the same moment): the second approval is refused
    ra = make_verification(a, number=GOOD_ID)
    rb = make_verification(b, number=GOOD_ID)
    h = api_headers(operator)
    assert client.post(f"/api/v1/operator/verifications/{ra.id}/approve", headers=h).status_code == 200
    assert client.post(f"/api/v1/operator/verifications/{rb.id}/approve", headers=h).status_code == 409
    assert status_of(rb.id) == "pending"


def test_profile_badge_shows_status_and_masked_number(web):
    user = make_user()
    login(web, make_user())
    page = web.get(f"/users/{user.id}")
    assert "Not verified" in page.text and 'data-testid="verify-link"' not in page.text
    login(web, user)
    assert 'data-testid="verify-link"' in web.get(f"/users/{user.id}").text
    req = make_verification(user, number=GOOD_ID, status="approved")
    page = web.get(f"/users/{user.id}")
    assert page.status_code == 200 and 'data-testid="verification-badge"' in page.text
    assert "Verified" in page.text and req.masked_number in page.text and GOOD_ID not in page.text


def test_org_verification_licence_access_and_badge(client, web):
    owner, manager, member, outsider = (make_user() for _ in range(4))
    operator = make_operator()
    org = make_org(owner, name="楚光光纤科技有限公司", members={manager: "manager", member: "member"})
    code = uscc("91420100MA4K00002")
    resp = client.post("/api/v1/me/verification", headers=api_headers(manager), content_type="multipart/form-data",
                       data={"org_id": str(org.id), "org_name": org.name, "uscc": code,
                             "licence": (io.BytesIO(PDF_BYTES), "营业执照.pdf")})
    assert resp.status_code == 201
    url = resp.json["licence"]["url"]
    token = url.rsplit("/", 1)[-1]
    assert token != str(resp.json["id"]) and len(token) >= 24  # opaque, not the sequence id
    for user, expected in ((owner, 200), (manager, 200), (operator, 200), (member, 404), (outsider, 404)):
        login(web, user)
        got = web.get(url)
        assert got.status_code == expected, (user, got.status_code)
        if expected == 200:
            assert got.data == PDF_BYTES and got.headers["Cache-Control"] == "private, no-store"
    views = audit_rows("verification.licence_view")
    assert [(r.actor_id, r.target_id) for r in views] == [(operator.id, str(resp.json["id"]))]
    anon = client.__class__(client.application)
    assert anon.get(url).status_code == 302

    req_id = resp.json["id"]
    queue = client.get("/api/v1/operator/queue", headers=api_headers(operator)).json
    assert [v["id"] for v in queue["verifications"]] == [req_id]
    assert queue["verifications"][0]["user_id"] == manager.id
    assert client.post(f"/api/v1/operator/verifications/{req_id}/approve", headers=api_headers(operator)).status_code == 200
    assert service.is_org_verified(org)
    body = client.get(f"/api/v1/orgs/{org.id}")
    assert body.json["verified"] is True and code not in body.get_data(as_text=True)
    login(web, outsider)
    assert "Verified organisation" in web.get(f"/orgs/{org.id}").text
    assert [n.kind for n in notifications(manager)] == ["verification.approved"]


def test_organisation_accounts_are_verified_through_the_org_they_own(client):
    org_account = make_user(account_type="organization")
    person_owner = make_user()
    org = make_org(org_account, members={person_owner: "owner"})
    make_verification(org_account, org=org, number=uscc("91420100MA4K00077"), status="approved")
    assert service.is_verified(org_account)
    assert not service.is_verified(person_owner)  # individuals verify their own identity
    assert service.verified_user_ids([org_account.id, person_owner.id]) == {org_account.id}
    me = client.get("/api/v1/me", headers=api_headers(org_account)).json
    assert me["verification"]["status"] == "approved" and me["verification"]["masked_number"].startswith("914")
