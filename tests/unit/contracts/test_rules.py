"""Rules of contracts that need no HTTP: the milestone plan, due dates, the next action."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from marketplace.contracts.service import _schedule_due_dates, validate_milestones
from marketplace.core.errors import ValidationFailed
from marketplace.dashboard.service import _contract_next


def test_plan_must_sum_to_the_bid():
    assert validate_milestones([{"title": " A ", "amount": 40}, ("B", 60)], 100) == [("A", 40), ("B", 60)]
    with pytest.raises(ValidationFailed) as exc:
        validate_milestones([{"title": "A", "amount": 40}], 100)
    assert list(exc.value.errors) == ["milestones"]


@pytest.mark.parametrize("items,field", [
    ([{"title": "A", "amount": 0}], "milestones[0].amount"),
    ([{"title": "A", "amount": -1}], "milestones[0].amount"),
    ([{"title": "A", "amount": 1.5}], "milestones[0].amount"),
    ([{"title": "A", "amount": False}], "milestones[0].amount"),
    ([{"title": "", "amount": 100}], "milestones[0].title"),
    ([{"title": "x" * 201, "amount": 100}], "milestones[0].title"),
    ([{"title": 5, "amount": 100}], "milestones[0].title"),
    (["nonsense"], "milestones[0]"),
    ([], "milestones"),
    ([{"title": "A", "amount": 1}] * 21, "milestones"),
])
def test_bad_plans_name_the_row_and_field(items, field):
    with pytest.raises(ValidationFailed) as exc:
        validate_milestones(items, 100)
    assert field in exc.value.errors


def test_due_dates_spread_days_by_amount():
    start = dt.datetime(2026, 1, 1)
    contract = SimpleNamespace(days=10, amount=100)
    ms = [SimpleNamespace(amount=30, due_at=None), SimpleNamespace(amount=70, due_at=None)]
    _schedule_due_dates(contract, ms, start)
    assert [m.due_at for m in ms] == [start + dt.timedelta(days=3), start + dt.timedelta(days=10)]


def _contract(status="active", kind="tender", poster_cancel=None, solver_cancel=None):
    return SimpleNamespace(status=status, kind=kind, poster_cancel_at=poster_cancel, solver_cancel_at=solver_cancel)


def _m(status, title="M1", due=None, review=None):
    return SimpleNamespace(status=status, title=title, due_at=due, review_due_at=review)


def test_next_action_follows_the_first_open_milestone(app):
    review = dt.datetime(2026, 2, 1)
    with app.test_request_context():
        action, deadline, mine = _contract_next(_contract(), [_m("accepted"), _m("delivered", "M2", review=review)], True)
        assert "M2" in action and deadline == review and mine
        action, _d, mine = _contract_next(_contract(), [_m("delivered", review=review)], False)
        assert not mine
        action, _d, mine = _contract_next(_contract(), [_m("pending_funding")], True)
        assert "Fund" in action and mine
        action, _d, mine = _contract_next(_contract(), [_m("funded")], False)
        assert "Deliver" in action and mine
        action, _d, mine = _contract_next(_contract(status="proposed"), [_m("pending_funding")], False)
        assert "Accept" in action and mine
        action, _d, mine = _contract_next(_contract(solver_cancel=review), [_m("funded")], True)
        assert "cancel" in action and mine
        assert _contract_next(_contract(status="completed"), [_m("accepted")], True) == ("", None, False)
