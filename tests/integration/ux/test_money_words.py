"""Fees told before and after (bid form, award, milestone, notification), bidder cards with a
budget flag, which wallet pays, and pages that name things instead of showing references."""
from __future__ import annotations

import re

from flask_babel import force_locale

from marketplace.contracts import service as contracts
from marketplace.extensions import db
from marketplace.ledger import service as ledger
from marketplace.notifications.models import Notification
from marketplace.notifications.service import render
from tests.factories import login, make_user
from tests.factories_contracts import fund_milestone, make_bid, make_contract, make_solver
from tests.factories_orgs import make_org
from tests.factories_tasks import make_task


def test_the_bid_form_and_a_placed_bid_tell_the_fee_and_the_net(client):
    task = make_task(mode="tender", budget_min=2_000_000, budget_max=4_000_000)
    solver = make_solver()
    login(client, solver)
    html = client.get(f"/tasks/{task.id}/bids").get_data(as_text=True)
    assert 'data-testid="live-net"' in html and 'data-bps="1000"' in html
    make_bid(task, solver, amount=800_000)
    html = client.get(f"/tasks/{task.id}/bids").get_data(as_text=True)
    assert re.search(r'data-testid="fee-fee">−CN¥800.00', html)
    assert re.search(r'data-testid="fee-net">CN¥7,200.00', html)


def test_the_release_notification_names_gross_fee_and_net(app):
    task = make_task(mode="tender")
    solver = make_solver()
    contract = make_contract(task, solver, amount=800_000)
    milestone = contracts.milestones_of(contract)[0]
    fund_milestone(milestone)
    contracts.deliver_milestone(solver, milestone, note="done", files=[])
    db.session.commit()
    from marketplace.accounts.models import User
    contracts.accept_milestone(db.session.get(User, task.poster_id), milestone)
    db.session.commit()
    assert ledger.wallet_balance(solver, "CNY") == 720_000
    note = db.session.scalars(db.select(Notification).where(
        Notification.user_id == solver.id, Notification.kind == "milestone.accepted")).one()
    with app.test_request_context(), force_locale("zh_CN"):
        text = render(note.kind, note.params)
    assert "8,000.00" in text and "800.00" in text and "7,200.00" in text


def test_bidder_cards_link_the_profile_and_flag_a_bid_far_outside_the_budget(client):
    poster = make_user()
    task = make_task(poster=poster, mode="tender", budget_min=2_000_000, budget_max=4_000_000)
    fair, wild = make_solver(), make_solver()
    ok_bid = make_bid(task, fair, amount=3_000_000)
    wild_bid = make_bid(task, wild, amount=1_000_000_000_000)
    login(client, poster)
    html = client.get(f"/tasks/{task.id}/bids").get_data(as_text=True)
    assert f'data-testid="person-{fair.id}"' in html and f'href="/users/{fair.id}"' in html
    assert f'data-testid="bid-flag-{wild_bid.id}"' in html
    assert f'data-testid="bid-flag-{ok_bid.id}"' not in html


def test_an_organisation_task_names_the_organisation_wallet_and_offers_its_top_up(client):
    owner = make_user()
    org = make_org(owner, name="楚光光纤")
    task = make_task(poster=owner, mode="claim", status="draft", org_id=org.id, escrow_funded=False)
    login(client, owner)
    html = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "楚光光纤" in html and f"/fund/org_wallet/{org.id}" in html
    page = client.get(f"/fund/org_wallet/{org.id}")
    assert page.status_code == 200
    outsider = make_user()
    login(client, outsider)
    refused = client.post(f"/fund/org_wallet/{org.id}", data={"method": "bank_transfer", "amount": "100"})
    assert refused.status_code in (403, 404, 422) or "error" in refused.get_data(as_text=True)


def test_a_refused_funding_returns_to_the_task_page_with_the_reason(client):
    poster = make_user()
    task = make_task(poster=poster, mode="claim", status="draft", escrow_funded=False)
    login(client, poster)
    response = client.post(f"/tasks/{task.id}/funding", data={"method": "wallet"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/tasks/{task.id}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "flash-error" in page


def test_delivered_images_and_pdfs_can_be_previewed_in_the_page(client):
    import io

    from tests.factories import png_bytes
    from tests.factories_orgs import PDF_BYTES
    task = make_task(mode="tender")
    solver = make_solver()
    contract = make_contract(task, solver, amount=100_000)
    milestone = contracts.milestones_of(contract)[0]
    fund_milestone(milestone)
    login(client, solver)
    response = client.post(f"/milestones/{milestone.id}/deliver", data={
        "note": "见附件", "files": [(io.BytesIO(png_bytes()), "photo.png"), (io.BytesIO(PDF_BYTES), "report.pdf")]},
        content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    html = client.get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert 'data-testid="preview-image"' in html and 'data-testid="preview-pdf"' in html
    src = re.search(r'<img src="([^"]+\?preview=1)"', html).group(1)
    inline = client.get(src)
    assert inline.status_code == 200 and inline.mimetype == "image/png"
    assert "attachment" not in inline.headers.get("Content-Disposition", "")
    assert "sandbox" in inline.headers["Content-Security-Policy"]
    download = client.get(src.replace("?preview=1", ""))
    assert "attachment" in download.headers["Content-Disposition"]
    outsider = make_user()
    login(client, outsider)
    assert client.get(src).status_code in (403, 404)
