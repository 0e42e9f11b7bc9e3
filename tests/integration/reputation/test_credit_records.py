"""Hash-chained credit records for each subject type: users and organisations, from engagements,
reviews, abandonments, cancellations, verification and the blocklist; `flask credit verify` finds
a record changed in the database."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from marketplace.accounts import service as accounts
from marketplace.contracts import service as contracts
from marketplace.core.db import commit
from marketplace.extensions import db
from marketplace.reputation import credit
from marketplace.reputation.models import CreditRecord
from marketplace.verification import service as verification
from tests.factories import api_headers, make_operator, make_user
from tests.factories_contracts import fund_claim_escrow, make_solver
from tests.factories_orgs import make_org, make_verification
from tests.factories_reputation import complete_contract
from tests.factories_tasks import make_task


def _chain(subject_type, subject_id):
    return [(r.seq, r.kind) for r in credit.records_of(subject_type, subject_id)]


def _tamper(record_id, **values):
    """Change a row behind the application's back (on PostgreSQL the trigger has to be bypassed,
    as a superuser with direct database access could)."""
    sets = ", ".join(f"{k} = :{k}" for k in values)
    db.session.rollback()  # end the test's read transaction first (SQLite has one writer)
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text(f"UPDATE credit_records SET {sets} WHERE id = :id"), {"id": record_id, **values})
    db.session.expire_all()


def test_organisation_sides_get_their_own_chains(client):
    owner = make_user()
    org = make_org(owner)
    contract = complete_contract(owner, make_solver(), amount=50_000, org_id=org.id)
    assert contract.org_id == org.id
    assert _chain("org", org.id) == [(1, "engagement_completed")]
    r = client.get(f"/api/v1/orgs/{org.id}/credit")
    assert r.status_code == 200 and r.json["head"] == r.json["events"][0]["hash"]
    assert r.json["events"][0]["prev_hash"] == "0" * 64
    assert r.json["aggregates"]["completed"] == 1


def test_abandonment_cancellation_verification_and_blocklist_records(app):
    poster = make_user()
    task = make_task(poster=poster, mode="claim", price=5_000, category="delivery")
    fund_claim_escrow(task, poster)
    solver = make_solver()
    contract = contracts.claim_task(solver, task)
    commit()
    contracts.abandon_claim(solver, contract, "Sick")
    commit()
    operator = make_operator()
    req = make_verification(make_user())
    with app.test_request_context("/"):
        verification.approve(operator, req)
        accounts.set_blocklisted(solver, "Fake reviews (刷单)", operator)
        commit()
    assert _chain("user", solver.id) == [(1, "claim_abandoned"), (2, "violation")]
    assert _chain("user", req.user_id) == [(1, "verification_approved")]
    standing = credit.standing_of("user", solver.id)
    assert standing.abandonments == 1 and standing.violations == 1
    assert standing.score == credit.BASE - credit.ABANDONMENT_POINTS - credit.VIOLATION_POINTS
    verified = credit.standing_of("user", req.user_id)
    assert verified.score == credit.BASE + credit.VERIFIED_POINTS and verified.level == "fair"


def test_each_record_holds_the_previous_hash(client):
    poster, solver = make_user(), make_solver()
    complete_contract(poster, solver)
    complete_contract(poster, solver)
    r = client.get(f"/api/v1/users/{solver.id}/credit")
    events = list(reversed(r.json["events"]))
    assert [e["seq"] for e in events] == [1, 2]
    assert events[1]["prev_hash"] == events[0]["hash"] and r.json["head"] == events[1]["hash"]
    assert r.json["score"] == sum(r.json["parts"].values())
    assert any("completed engagements" in line["text"] for line in r.json["explanation"])


def test_a_record_changed_in_the_database_is_named_by_credit_verify(app):
    poster, solver = make_user(), make_solver()
    complete_contract(poster, solver, amount=100_000)
    complete_contract(poster, solver, amount=100_000)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["credit", "verify"]).exit_code == 0
    first = db.session.execute(db.select(CreditRecord).where(CreditRecord.subject_id == solver.id,
                                                             CreditRecord.subject_type == "user",
                                                             CreditRecord.seq == 1)).scalar_one()
    data = json.loads(first.data)
    data["amount"] = 9_900_000  # inflate the value of the work
    _tamper(first.id, data=credit.canonical(data))
    result = runner.invoke(args=["credit", "verify"])
    assert result.exit_code == 1
    assert f"user:{solver.id} record #1 (id {first.id}" in result.output
    assert "changed" in result.output
    # Only the broken chain is reported; the poster's is intact.
    assert f"user:{poster.id}" not in result.output


def test_a_rehashed_record_breaks_the_link_to_the_next(app):
    poster, solver = make_user(), make_solver()
    complete_contract(poster, solver)
    complete_contract(poster, solver)
    first = db.session.execute(db.select(CreditRecord).where(CreditRecord.subject_id == solver.id,
                                                             CreditRecord.subject_type == "user",
                                                             CreditRecord.seq == 1)).scalar_one()
    data = credit.canonical({**json.loads(first.data), "amount": 1})
    forged = credit.record_hash("user", solver.id, 1, first.kind, first.at, data, first.prev_hash)
    _tamper(first.id, data=data, hash=forged)
    result = app.test_cli_runner().invoke(args=["credit", "verify"])
    assert result.exit_code == 1 and f"user:{solver.id} record #2" in result.output
    assert "prev_hash" in result.output


def test_postgresql_refuses_updates_and_deletes(postgres_only):
    complete_contract()
    from sqlalchemy.exc import DBAPIError
    with pytest.raises(DBAPIError):
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE credit_records SET kind = 'x'"))
    with pytest.raises(DBAPIError):
        with db.engine.begin() as conn:
            conn.execute(text("DELETE FROM credit_records"))


def test_credit_of_a_suspended_user_is_hidden(client):
    from marketplace.core.db import utcnow
    user = make_user(suspended_at=utcnow())
    assert client.get(f"/api/v1/users/{user.id}/credit").status_code == 404
    assert client.get(f"/api/v1/users/{user.id}/credit", headers=api_headers(make_operator())).status_code == 200
    assert client.get("/api/v1/users/999999/credit").status_code == 404


def test_profile_explains_the_score_in_plain_words_with_a_level_badge(client):
    poster, solver = make_user(), make_solver()
    complete_contract(poster, solver, amount=200_000)
    standing = credit.standing_of("user", solver.id)
    html = client.get(f"/users/{solver.id}").get_data(as_text=True)
    assert f"Why is the score {standing.score}?" in html
    assert 'data-testid="credit-level"' in html and 'data-testid="credit-explanation"' in html
    assert "1 completed engagements that moved money" in html
    # The poster's reliability figures are on the poster's profile.
    html = client.get(f"/users/{poster.id}").get_data(as_text=True)
    assert 'data-testid="poster-reliability"' in html
    page = client.get(f"/users/{solver.id}/credit").get_data(as_text=True)
    assert standing.head in page and "Engagement completed" in page


def test_organisation_page_links_its_credit_record(client):
    owner = make_user()
    org = make_org(owner)
    complete_contract(owner, make_solver(), amount=50_000, org_id=org.id)
    html = client.get(f"/orgs/{org.id}").get_data(as_text=True)
    assert 'data-testid="org-credit-link"' in html
    page = client.get(f"/orgs/{org.id}/credit")
    assert page.status_code == 200 and credit.standing_of("org", org.id).head in page.get_data(as_text=True)


def test_out_of_range_ids_are_404(client):
    assert client.get("/api/v1/users/99999999999999999999/credit").status_code == 404
    assert client.get("/experts/0").status_code == 404
