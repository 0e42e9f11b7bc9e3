"""A decided dispute is recorded in both parties' credit chains: the side that got less than half
lost it (docs/credit.md), which costs points; an even split is lost by nobody. Each subject type
(milestone, claim) gives the same records; `flask credit verify` stays clean."""
from __future__ import annotations

import json

import pytest

# The disputes domain lands on its own; these examples run from the build that has it.
disputes = pytest.importorskip("marketplace.disputes.service")

from marketplace.core.db import commit  # noqa: E402
from marketplace.reputation import credit  # noqa: E402
from tests.factories import make_operator  # noqa: E402
from tests.integration.disputes.helpers import delivered_milestone, done_claim  # noqa: E402


def _dispute_records(user_id):
    return [json.loads(r.data) for r in credit.records_of("user", user_id) if r.kind == credit.DISPUTE_DECIDED]


def test_a_37_percent_decision_is_lost_by_the_solver(app):
    poster, solver, _task, _contract, milestone = delivered_milestone(100_000)
    dispute = disputes.open_dispute(solver, milestone_id=milestone.id, amount=100_000, reason="No answer.")
    commit()
    disputes.decide(make_operator(), dispute, 3700, "Part of the work matches the brief.")
    commit()
    [solver_record] = _dispute_records(solver.id)
    [poster_record] = _dispute_records(poster.id)
    assert solver_record == {"dispute_id": dispute.id, "subject": "milestone", "subject_id": milestone.id,
                             "role": "solver", "solver_share_bps": 3700, "amount": 100_000, "lost": True}
    assert poster_record["role"] == "poster" and poster_record["lost"] is False
    solver_standing = credit.standing_of("user", solver.id)
    assert solver_standing.disputes_lost == 1
    assert solver_standing.parts["disputes_lost"] == -credit.DISPUTE_LOST_POINTS
    assert credit.standing_of("user", poster.id).disputes_lost == 0
    result = app.test_cli_runner().invoke(args=["credit", "verify"])
    assert result.exit_code == 0, result.output


def test_a_claim_decided_for_the_solver_is_lost_by_the_poster():
    poster, solver, _task, contract, _milestone = done_claim()
    dispute = disputes.open_dispute(poster, contract_id=contract.id, amount=5_000, reason="Not delivered.")
    commit()
    disputes.decide(make_operator(), dispute, 8000, "The parcel was delivered; photo in evidence.")
    commit()
    assert _dispute_records(poster.id)[0]["lost"] is True and _dispute_records(poster.id)[0]["subject"] == "claim"
    assert _dispute_records(solver.id)[0]["lost"] is False
    assert credit.standing_of("user", poster.id).disputes_lost == 1


def test_an_even_split_is_lost_by_nobody():
    poster, solver, _task, _contract, milestone = delivered_milestone(100_000)
    dispute = disputes.open_dispute(poster, milestone_id=milestone.id, amount=100_000, reason="Half done.")
    commit()
    disputes.decide(make_operator(), dispute, 5000, "Half of it is there.")
    commit()
    assert credit.standing_of("user", poster.id).disputes_lost == 0
    assert credit.standing_of("user", solver.id).disputes_lost == 0
    assert len(_dispute_records(solver.id)) == 1


def test_the_organisation_side_of_a_decided_dispute_gets_the_record_too():
    from marketplace.contracts import service as contracts
    from tests.factories import make_user
    from tests.factories_contracts import fund_milestone, make_contract, make_solver
    from tests.factories_ledger import fund_wallet
    from tests.factories_orgs import make_org
    from tests.factories_tasks import make_task
    owner = make_user()
    org = make_org(owner)
    task = make_task(poster=owner, org_id=org.id, budget_min=50_000, budget_max=50_000)
    solver = make_solver()
    contract = make_contract(task, solver, amount=50_000)
    milestone = contracts.milestones_of(contract)[0]
    fund_wallet(("org", org.id), 50_000)
    fund_milestone(milestone, owner)
    contracts.deliver_milestone(solver, milestone, "Done.")
    commit()
    dispute = disputes.open_dispute(owner, milestone_id=milestone.id, amount=50_000, reason="Incomplete.")
    commit()
    disputes.decide(make_operator(), dispute, 9000, "The work is complete.")
    commit()
    org_records = [json.loads(r.data) for r in credit.records_of("org", org.id) if r.kind == credit.DISPUTE_DECIDED]
    assert org_records and org_records[0]["role"] == "poster" and org_records[0]["lost"] is True
    assert credit.standing_of("org", org.id).disputes_lost == 1
