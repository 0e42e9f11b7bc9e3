"""A bank transfer whose amount did not match is not a dead end: the operator confirms a differing
amount in two steps, and a mismatch stays in the queue with three ways out — correct the amount
with a reason, return the money, or ask the payer. The payer reads it in yuan."""
from __future__ import annotations

import pytest

from marketplace.core.audit import AuditEntry
from marketplace.core.errors import ValidationFailed, WrongState
from marketplace.extensions import db
from marketplace.ledger import service as ledger
from marketplace.notifications.models import Notification
from marketplace.notifications.service import render
from marketplace.payments import bank_transfers, service
from marketplace.payments.models import Funding
from tests.factories import login, make_operator, make_user
from tests.factories_payments import make_order


def _mismatch(amount=15_000, received=1_500):
    poster, operator = make_user(), make_operator()
    order = make_order(poster, amount=amount, title="空调清洗")
    funding = service.start_funding(poster, "order", order.id, "bank_transfer")
    service.confirm_bank_transfer(operator, funding.id, received)
    db.session.commit()
    return poster, operator, order, funding


def _notes(user):
    return list(db.session.scalars(db.select(Notification).where(Notification.user_id == user.id)
                                   .order_by(Notification.id)))


def test_a_mistyped_amount_is_corrected_with_a_reason_and_funds_the_escrow(app):
    poster, operator, order, funding = _mismatch()
    assert funding.status == "mismatch" and ledger.escrow_balance(order.escrow_ref) == 0
    with pytest.raises(ValidationFailed) as no_reason:
        bank_transfers.correct_amount(operator, funding.id, 15_000, "  ")
    assert "reason" in no_reason.value.errors
    bank_transfers.correct_amount(operator, funding.id, 15_000, "typed 15 instead of 150")
    db.session.commit()
    assert funding.status == "succeeded" and funding.received_amount == 15_000
    assert ledger.escrow_balance(order.escrow_ref) == 15_000
    audit = db.session.scalars(db.select(AuditEntry).where(
        AuditEntry.action == "payments.bank_transfer_corrected")).one()
    assert audit.details["reason"] == "typed 15 instead of 150" and audit.details["before"] == 1_500
    assert funding not in service.pending_bank_transfers()
    with pytest.raises(WrongState):
        bank_transfers.correct_amount(operator, funding.id, 15_000, "again")


def test_a_correction_to_another_wrong_amount_stays_a_mismatch_in_the_queue(app):
    poster, operator, order, funding = _mismatch()
    bank_transfers.correct_amount(operator, funding.id, 14_000, "statement says 140")
    db.session.commit()
    assert funding.status == "mismatch" and funding.received_amount == 14_000
    assert funding in service.pending_bank_transfers()
    assert ledger.escrow_balance(order.escrow_ref) == 0


def test_returning_the_money_ends_the_transfer_and_tells_the_payer_why(app):
    poster, operator, order, funding = _mismatch()
    bank_transfers.return_money(operator, funding.id, "returned by ICBC, ref R-88")
    db.session.commit()
    assert funding.status == "canceled" and funding not in service.pending_bank_transfers()
    note = _notes(poster)[-1]
    assert note.kind == "payments.bank_transfer_returned"
    assert "R-88" in render(note.kind, note.params) and "15.00" in render(note.kind, note.params)


def test_asking_the_payer_keeps_the_transfer_in_the_queue(app):
    poster, operator, order, funding = _mismatch()
    bank_transfers.ask_payer(operator, funding.id, "Did you send the rest separately?")
    db.session.commit()
    assert funding.status == "mismatch" and funding in service.pending_bank_transfers()
    note = _notes(poster)[-1]
    assert note.kind == "payments.bank_transfer_question"
    assert "Did you send the rest separately?" in render(note.kind, note.params)


def test_the_page_confirms_a_differing_amount_in_two_steps_then_offers_the_actions(client):
    poster, operator = make_user(), make_operator()
    order = make_order(poster, amount=15_000)
    funding = service.start_funding(poster, "order", order.id, "bank_transfer")
    db.session.commit()
    login(client, operator)
    step = client.post(f"/operator/bank-transfers/{funding.id}", data={"amount": "15"})
    html = step.get_data(as_text=True)
    assert step.status_code == 200 and 'data-testid="confirm-difference"' in html
    assert "¥15.00" in html and "¥150.00" in html and "-CN¥135.00" in html
    db.session.expire_all()
    assert db.session.get(Funding, funding.id).status == "pending"
    # The second step must name the same amount; a stale or forged one goes back to step one.
    other = client.post(f"/operator/bank-transfers/{funding.id}",
                        data={"amount": "15", "accept_difference": "1400"})
    assert 'data-testid="confirm-difference"' in other.get_data(as_text=True)
    recorded = client.post(f"/operator/bank-transfers/{funding.id}",
                           data={"amount": "15", "accept_difference": "1500"})
    assert recorded.status_code == 303
    page = client.get(recorded.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="mismatch-actions"' in page
    queue = client.get("/operator/").get_data(as_text=True)
    assert funding.reference in queue and f'data-testid="open-transfer-{funding.reference}"' in queue

    no_reason = client.post(f"/operator/bank-transfers/{funding.id}/correct", data={"amount": "150"})
    assert no_reason.status_code == 422
    fixed = client.post(f"/operator/bank-transfers/{funding.id}/correct",
                        data={"amount": "150.00", "reason": "typed 15 for 150"})
    assert fixed.status_code == 303
    db.session.expire_all()
    assert db.session.get(Funding, funding.id).status == "succeeded"
    assert ledger.escrow_balance(order.escrow_ref) == 15_000


def test_the_payer_reads_a_mismatch_in_yuan_in_their_language(client):
    poster, operator, order, funding = _mismatch()
    login(client, poster)
    client.set_cookie("lang", "zh_CN")
    html = client.get(f"/fundings/{funding.id}").get_data(as_text=True)
    assert "¥15.00" in html and "¥150.00" in html and "received 1500" not in html
    assert "金额不符" in html
