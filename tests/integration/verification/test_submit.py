"""Submitting verifications: field errors and nothing written on bad input, one pending at a time,
the same number refused for another account, and the full number never in a response."""
import io
import os

import pytest
from flask import current_app

from marketplace.extensions import db
from marketplace.verification.models import VerificationRequest
from tests.factories import api_headers, login, make_user
from tests.factories_orgs import PDF_BYTES, make_org, make_verification, resident_id, uscc, wrong_check_digit
from tests.integration.organisations.helpers import count, english

GOOD_ID = resident_id("42010219900307123")
GOOD_USCC = uscc("91420100MA4K00001")


def en_headers(user) -> dict:
    return {**api_headers(user), "Accept-Language": "en"}


def uploaded_files() -> list[str]:
    root = current_app.config["UPLOAD_DIR"]
    found = []
    for dirpath, _dirs, files in os.walk(root):
        found += [os.path.join(dirpath, f) for f in files]
    return sorted(found)


def assert_never_shown(resp, *numbers):
    for number in numbers:
        assert number not in resp.get_data(as_text=True)


@pytest.fixture
def web(client):
    return english(client)


# --- individuals ----------------------------------------------------------------------------------

def test_page_submission_stores_only_the_masked_number(web, caplog):
    caplog.set_level("DEBUG")
    user = make_user()
    login(web, user)
    resp = web.post("/verification/individual", data={"real_name": "李明", "id_number": GOOD_ID})
    assert resp.status_code == 303
    req = db.session.scalars(db.select(VerificationRequest)).one()
    assert (req.subject, req.status, req.name, req.user_id) == ("individual", "pending", "李明", user.id)
    assert req.masked_number == GOOD_ID[:3] + "*" * 11 + GOOD_ID[-4:]
    stored = " ".join(str(getattr(req, c.name)) for c in VerificationRequest.__table__.columns)
    assert GOOD_ID not in stored and GOOD_ID[3:14] not in stored
    page = web.get("/verification")
    assert "Verification pending" in page.text and req.masked_number in page.text
    assert_never_shown(page, GOOD_ID)
    assert GOOD_ID not in caplog.text


def test_wrong_check_digit_is_a_field_error_and_nothing_is_written(web, caplog):
    login(web, make_user())
    bad = wrong_check_digit(GOOD_ID)
    resp = web.post("/verification/individual", data={"real_name": "李明", "id_number": bad})
    assert resp.status_code == 422
    assert 'data-field="id_number"' in resp.text and "GB 11643" in resp.text
    assert "李明" in resp.text  # the name is kept
    assert_never_shown(resp, bad)  # the number is not echoed back
    assert count(VerificationRequest) == 0
    assert bad not in caplog.text


def test_api_wrong_check_digit_names_the_field(client):
    user = make_user()
    bad = wrong_check_digit(GOOD_ID)
    resp = client.post("/api/v1/me/verification", json={"real_name": "李明", "id_number": bad},
                       headers=en_headers(user))
    assert resp.status_code == 422
    assert list(resp.json["errors"]) == ["id_number"] and "GB 11643" in resp.json["errors"]["id_number"][0]
    assert_never_shown(resp, bad)
    resp = client.post("/api/v1/me/verification", json={}, headers=en_headers(user))
    assert resp.status_code == 422 and {"real_name", "id_number"} <= set(resp.json["errors"])
    assert count(VerificationRequest) == 0


def test_api_submission_and_me(client):
    user = make_user()
    h = en_headers(user)
    resp = client.post("/api/v1/me/verification", json={"real_name": "王芳", "id_number": GOOD_ID.lower()}, headers=h)
    assert resp.status_code == 201
    assert resp.json["status"] == "pending" and resp.json["masked_number"].endswith(GOOD_ID[-4:])
    me = client.get("/api/v1/me", headers=h)
    assert me.json["verification"] == {"status": "pending", "masked_number": resp.json["masked_number"]}
    assert_never_shown(resp, GOOD_ID)
    assert_never_shown(me, GOOD_ID)
    # one pending request at a time
    again = client.post("/api/v1/me/verification", json={"real_name": "王芳", "id_number": GOOD_ID}, headers=h)
    assert again.status_code == 409
    assert count(VerificationRequest) == 1


def test_the_database_refuses_a_second_pending_request():
    user = make_user()
    make_verification(user, number=GOOD_ID)
    db.session.add(VerificationRequest(subject="individual", user_id=user.id, name="x", masked_number="x",
                                       number_digest="0" * 64, status="pending"))
    with pytest.raises(Exception) as exc:
        db.session.commit()
    assert "unique" in str(exc.value).lower()
    db.session.rollback()


def test_same_number_used_by_another_account_is_refused(client, web):
    first, second = make_user(), make_user()
    make_verification(first, number=GOOD_ID, status="approved")
    resp = client.post("/api/v1/me/verification", json={"real_name": "李明", "id_number": GOOD_ID},
                       headers=en_headers(second))
    assert resp.status_code == 422 and "another account" in resp.json["errors"]["id_number"][0]
    assert_never_shown(resp, GOOD_ID)
    login(web, second)
    page = web.post("/verification/individual", data={"real_name": "李明", "id_number": GOOD_ID})
    assert page.status_code == 422 and "another account" in page.text
    assert_never_shown(page, GOOD_ID)
    assert count(VerificationRequest) == 1


def test_resubmission_after_rejection_is_allowed(client):
    user = make_user()
    make_verification(user, number=GOOD_ID, status="rejected", reason="blurred")
    resp = client.post("/api/v1/me/verification", json={"real_name": "李明", "id_number": GOOD_ID},
                       headers=en_headers(user))
    assert resp.status_code == 201
    assert count(VerificationRequest) == 2


# --- organisations --------------------------------------------------------------------------------

def _org_post(client, user, org, *, code=GOOD_USCC, data=PDF_BYTES, filename="licence.pdf", name="楚光光纤科技有限公司"):
    return client.post("/api/v1/me/verification", headers=en_headers(user), content_type="multipart/form-data",
                       data={"org_id": str(org.id), "org_name": name, "uscc": code,
                             "licence": (io.BytesIO(data), filename)})


def test_org_submission_through_the_api_stores_the_licence(client):
    owner = make_user()
    org = make_org(owner)
    before = uploaded_files()
    resp = _org_post(client, owner, org)
    assert resp.status_code == 201, resp.json
    assert resp.json["subject"] == "organisation" and resp.json["org_id"] == org.id
    assert resp.json["licence"]["mime"] == "application/pdf"
    assert_never_shown(resp, GOOD_USCC)
    req = db.session.scalars(db.select(VerificationRequest)).one()
    assert req.masked_number == GOOD_USCC[:3] + "*" * 11 + GOOD_USCC[-4:]
    assert len(uploaded_files()) == len(before) + 1
    assert client.get(f"/api/v1/orgs/{org.id}").json["verification"] == {"status": "pending"}


@pytest.mark.parametrize("case", ["bad_uscc", "text_as_pdf", "oversized", "missing_file"])
def test_org_submission_errors_are_field_errors_and_nothing_is_written(client, case):
    owner = make_user()
    org = make_org(owner)
    before = uploaded_files()
    kwargs, field = {
        "bad_uscc": ({"code": GOOD_USCC[:-1] + ("0" if GOOD_USCC[-1] != "0" else "1")}, "uscc"),
        "text_as_pdf": ({"data": b"just some text, not a PDF\n", "filename": "licence.pdf"}, "licence"),
        "oversized": ({"data": PDF_BYTES + b"0" * (current_app.config["LICENCE_MAX_BYTES"])}, "licence"),
        "missing_file": ({"data": b"", "filename": ""}, "licence"),
    }[case]
    resp = _org_post(client, owner, org, **kwargs)
    assert resp.status_code == 422, resp.json
    assert field in resp.json["errors"]
    if case == "bad_uscc":
        assert "GB 32100" in resp.json["errors"]["uscc"][0]
    if case == "text_as_pdf":
        assert "not accepted" in resp.json["errors"]["licence"][0]
    assert count(VerificationRequest) == 0
    assert uploaded_files() == before


def test_bad_uscc_and_bad_file_are_named_together_on_the_page(web):
    owner = make_user()
    org = make_org(owner)
    login(web, owner)
    bad = GOOD_USCC[:-1] + ("0" if GOOD_USCC[-1] != "0" else "1")
    resp = web.post("/verification/org", content_type="multipart/form-data",
                    data={"org_id": str(org.id), "org_name": "楚光", "uscc": bad,
                          "licence": (io.BytesIO(b"plain text"), "licence.pdf")})
    assert resp.status_code == 422
    assert 'data-field="uscc"' in resp.text and 'data-field="licence"' in resp.text
    assert_never_shown(resp, bad)
    assert count(VerificationRequest) == 0


def test_only_owners_and_managers_verify_an_org(client):
    owner, member = make_user(), make_user()
    org = make_org(owner, members={member: "member"})
    assert _org_post(client, member, org).status_code == 403
    assert count(VerificationRequest) == 0


def test_same_uscc_for_another_org_is_refused(client):
    a_owner, b_owner = make_user(), make_user()
    a, b = make_org(a_owner), make_org(b_owner)
    assert _org_post(client, a_owner, a).status_code == 201
    resp = _org_post(client, b_owner, b)
    assert resp.status_code == 422 and "uscc" in resp.json["errors"]
    assert count(VerificationRequest) == 1


def test_org_submission_through_the_page_and_status_api(web, client):
    owner = make_user()
    org = make_org(owner, name="宜昌精工机械厂", city="yichang")
    login(web, owner)
    page = web.get("/verification")
    assert page.status_code == 200 and f'data-testid="org-verification-{org.id}"' in page.text
    resp = web.post("/verification/org", content_type="multipart/form-data",
                    data={"org_id": str(org.id), "org_name": "宜昌精工机械厂", "uscc": GOOD_USCC,
                          "licence": (io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64), "licence.png")})
    assert resp.status_code == 303
    req = db.session.scalars(db.select(VerificationRequest)).one()
    assert (req.org_id, req.licence_mime, req.status) == (org.id, "image/png", "pending")
    after = web.get("/verification")
    assert "Verification pending" in after.text and req.masked_number in after.text
    assert_never_shown(after, GOOD_USCC)
    status = client.get("/api/v1/me/verification", headers=en_headers(owner)).json
    assert status["status"] == "none" and status["request"] is None  # the person is not verified
    assert client.get(f"/api/v1/orgs/{org.id}").json["verification"]["status"] == "pending"
    # the org page is public and shows no number
    anon = web.application.test_client()
    shown = anon.get(f"/orgs/{org.id}")
    assert shown.status_code == 200 and "宜昌精工机械厂" in shown.text
    assert_never_shown(shown, GOOD_USCC)
