"""Disputes through the JSON API and the pages: permissions (404 for outsiders, files included),
field errors, the operator queue section and decision."""
from __future__ import annotations

import io

from marketplace.disputes.models import Dispute, Evidence
from marketplace.extensions import db
from marketplace.ledger.verify import verify
from tests.factories import api_headers, login, make_operator, make_user, png_bytes
from tests.integration.contracts.helpers import wallet

from .helpers import delivered_milestone


def _post(client, url, user, json=None, **kw):
    return client.post(url, json=json if json is not None else {}, headers=api_headers(user), **kw)


def _open(client, solver, milestone, **body):
    payload = {"milestone_id": milestone.id, "amount": 100_000, "reason": "The poster does not answer."}
    payload.update(body)
    return _post(client, "/api/v1/disputes", solver, payload)


def test_open_evidence_and_decide_through_the_api(client):
    poster, solver, task, contract, milestone = delivered_milestone(100_000)
    r = _open(client, solver, milestone)
    assert r.status_code == 201, r.json
    d = r.json
    assert d["subject"] == "milestone" and d["subject_id"] == milestone.id and d["status"] == "open"
    kinds = [i["kind"] for i in d["timeline"]]
    assert kinds[:2] == ["contract.created", "contract.accepted"]
    assert {"milestone.funded", "delivery", "timer.scheduled", "timer.cancelled"} <= set(kinds)
    assert set(kinds[-2:]) == {"dispute.opened", "timer.cancelled"}

    r = client.post(f"/api/v1/disputes/{d['id']}/evidence", headers=api_headers(poster),
                    data={"text": "Screenshot of the broken page", "files": (io.BytesIO(png_bytes()), "shot.png")},
                    content_type="multipart/form-data")
    assert r.status_code == 201, r.json
    file_url = r.json["files"][0]["url"]
    assert client.get(file_url, headers=api_headers(solver)).status_code == 200
    assert client.get(file_url, headers=api_headers(make_user())).status_code == 404
    assert client.get(f"/api/v1/disputes/{d['id']}", headers=api_headers(make_user())).status_code == 404

    operator = make_operator()
    queue = client.get("/api/v1/operator/queue", headers=api_headers(operator)).json
    assert [(i["id"], i["sla"]) for i in queue["disputes"]] == [(d["id"], "ok")]
    assert queue["disputes"][0]["user_id"] == solver.id

    # Parties cannot decide; the decision endpoint is operators only.
    assert _post(client, f"/api/v1/operator/disputes/{d['id']}/decision", solver,
                 {"solver_share_bps": 10000, "reason": "Mine"}).status_code == 403
    r = _post(client, f"/api/v1/operator/disputes/{d['id']}/decision", operator,
              {"solver_share_bps": 10_001, "reason": ""})
    assert r.status_code == 422 and set(r.json["errors"]) == {"solver_share_bps", "reason"}
    r = _post(client, f"/api/v1/operator/disputes/{d['id']}/decision", operator,
              {"solver_share_bps": "lots", "reason": "x"})
    assert r.status_code == 422 and "solver_share_bps" in r.json["errors"]
    r = _post(client, f"/api/v1/operator/disputes/{d['id']}/decision", operator,
              {"solver_share_bps": 3700, "reason": "Part of the work matches the brief."})
    assert r.status_code == 200, r.json
    assert r.json["status"] == "decided" and r.json["solver_amount"] == 37_000 and r.json["payer_amount"] == 63_000
    assert wallet(solver) == 33_300 and wallet(poster) == 63_000
    r = _post(client, f"/api/v1/operator/disputes/{d['id']}/decision", operator,
              {"solver_share_bps": 5000, "reason": "Again"})
    assert r.status_code == 409
    assert client.get("/api/v1/operator/queue", headers=api_headers(operator)).json["disputes"] == []
    assert verify().ok


def test_opening_refuses_bad_input_with_field_errors(client):
    poster, solver, task, contract, milestone = delivered_milestone(100_000)
    r = _open(client, solver, milestone, amount="x", reason="")
    assert r.status_code == 422 and "amount" in r.json["errors"]
    r = _open(client, solver, milestone, amount=0, reason="")
    assert r.status_code == 422 and set(r.json["errors"]) == {"amount", "reason"}
    r = _post(client, "/api/v1/disputes", solver, {"reason": "x", "amount": 5})
    assert r.status_code == 422 and "subject" in r.json["errors"]
    r = _post(client, "/api/v1/disputes", solver, {"contract_id": contract.id, "reason": "x", "amount": 5})
    assert r.status_code == 422 and "contract_id" in r.json["errors"]
    assert _open(client, make_user(), milestone).status_code == 404
    assert db.session.scalar(db.select(db.func.count(Dispute.id))) == 0


def test_settlement_through_the_api(client):
    poster, solver, task, contract, milestone = delivered_milestone(100_000)
    d = _open(client, solver, milestone).json
    r = _post(client, f"/api/v1/disputes/{d['id']}/settlement", solver, {"solver_share_bps": 8000})
    assert r.status_code == 200 and r.json["status"] == "open" and r.json["offers"]["solver"] == 8000
    r = _post(client, f"/api/v1/disputes/{d['id']}/settlement", poster, {"solver_share_bps": 8000})
    assert r.status_code == 200 and r.json["status"] == "settled"
    assert wallet(solver) == 72_000 and wallet(poster) == 20_000


def test_case_page_permissions_and_the_operator_decision_page(client):
    poster, solver, task, contract, milestone = delivered_milestone(100_000)
    login(client, solver)
    r = client.get(f"/contracts/{contract.id}")
    assert f"/disputes/new?milestone_id={milestone.id}" in r.text
    r = client.post(f"/disputes/new?milestone_id={milestone.id}", data={"reason": "", "amount": "2000.00"})
    assert r.status_code == 422 and "amount" in r.text
    r = client.post(f"/disputes/new?milestone_id={milestone.id}", data={"reason": "Unpaid", "amount": "1000.00"})
    assert r.status_code == 303
    dispute = db.session.scalars(db.select(Dispute)).one()
    r = client.post(f"/disputes/{dispute.id}/evidence",
                    data={"text": "Chat log", "files": (io.BytesIO(png_bytes()), "log.png")},
                    content_type="multipart/form-data")
    assert r.status_code == 303
    evidence = db.session.scalars(db.select(Evidence)).one()
    public_id = db.session.scalars(db.select(Evidence).where(Evidence.id == evidence.id)).one().id
    assert public_id
    page = client.get(f"/disputes/{dispute.id}")
    assert page.status_code == 200 and "Chat log" in page.text and "decision-form" not in page.text

    for outsider in (make_user(),):
        login(client, outsider)
        assert client.get(f"/disputes/{dispute.id}").status_code == 404
        from marketplace.disputes.models import EvidenceFile
        f = db.session.scalars(db.select(EvidenceFile)).one()
        assert client.get(f"/disputes/evidence/files/{f.public_id}").status_code == 404
        assert client.post(f"/operator/disputes/{dispute.id}/decision",
                           data={"percent": "100", "reason": "x"}).status_code == 403

    operator = make_operator()
    login(client, operator)
    queue = client.get("/operator/")
    assert "queue-disputes" in queue.text and f"/disputes/{dispute.id}" in queue.text
    page = client.get(f"/disputes/{dispute.id}")
    assert "decision-form" in page.text
    r = client.post(f"/operator/disputes/{dispute.id}/decision", data={"percent": "101", "reason": ""})
    assert r.status_code == 422
    assert db.session.get(Dispute, dispute.id).status == "open"
    r = client.post(f"/operator/disputes/{dispute.id}/decision", data={"percent": "60", "reason": "Mostly done."})
    assert r.status_code == 303
    db.session.expire_all()
    assert db.session.get(Dispute, dispute.id).solver_share_bps == 6000
    assert wallet(solver) == 54_000 and wallet(poster) == 40_000


def test_evidence_of_text_alone_through_the_api_is_answered_with_no_files(client):
    # Found by the schema fuzzer: evidence without files was stored and then answered with a 500
    # (its lazy="raise" `files` collection was read before it was ever set).
    poster, solver, task, contract, milestone = delivered_milestone(100_000)
    dispute_id = _open(client, solver, milestone).json["id"]
    r = client.post(f"/api/v1/disputes/{dispute_id}/evidence", headers=api_headers(poster),
                    data={"text": "The page worked when I tested it."}, content_type="multipart/form-data")
    assert r.status_code == 201, r.get_data(as_text=True)
    assert r.json["files"] == [] and r.json["text"] == "The page worked when I tested it."
    r = client.post(f"/api/v1/disputes/{dispute_id}/evidence", headers=api_headers(solver),
                    json={"text": "JSON works too."})
    assert r.status_code == 201 and r.json["files"] == []
    evidence = client.get(f"/api/v1/disputes/{dispute_id}", headers=api_headers(poster)).json["evidence"]
    assert [e["text"] for e in evidence][-2:] == ["The page worked when I tested it.", "JSON works too."]
