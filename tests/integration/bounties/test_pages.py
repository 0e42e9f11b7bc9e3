"""Bounty pages: the bounty section (prize table, countdown, count), entering with co-authors and a
file, my entries with receipts, judging and comparing, awarding, results, amend, receipt lookup,
the operator review, and form errors that keep the input."""
from __future__ import annotations

import io

from marketplace.bounties.models import BountyReview, Submission
from marketplace.extensions import db
from tests.factories import login, make_operator, make_user
from tests.factories_bounties import enter, pass_deadline, pass_selection, post_bounty, release_prizes, reload
from tests.integration.contracts.helpers import wallet


def _browser(app, user):
    c = app.test_client()
    login(c, user)
    return c


def test_enter_judge_award_and_results_through_the_pages(app, client):
    poster = make_user(display_name="楚光光纤")
    task = post_bounty(client, poster, structure="ranked", prizes=(5_000, 3_000, 2_000),
                       criteria="创新性与可行性")
    solver, co = make_user(display_name="李明"), make_user(email="co@example.com", display_name="王芳")
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert 'data-testid="prize-table"' in page and "¥50.00" in page and 'data-testid="countdown"' in page
    assert "创新性与可行性" in page
    browser = _browser(app, solver)
    form = browser.get(f"/tasks/{task.id}/submit")
    assert form.status_code == 200
    # A bad co-author line: the form comes back with the field error and the input kept.
    bad = browser.post(f"/tasks/{task.id}/submit", data={"text": "我的方案", "coauthors": "nobody@example.com 40"},
                       content_type="multipart/form-data")
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert 'data-field="coauthors"' in html and "我的方案" in html
    assert db.session.scalar(db.select(db.func.count(Submission.id))) == 0
    r = browser.post(f"/tasks/{task.id}/submit",
                     data={"text": "我的方案", "coauthors": "co@example.com 40",
                           "files": (io.BytesIO(b"%PDF-1.4 test"), "方案.pdf")},
                     content_type="multipart/form-data")
    assert r.status_code == 303, r.get_data(as_text=True)
    sub = db.session.scalar(db.select(Submission))
    assert sorted((a.user_id, a.share_bps) for a in db.session.scalars(
        db.select(type(sub).authors.property.mapper.class_))) == sorted([(solver.id, 6000), (co.id, 4000)])
    detail = browser.get(f"/submissions/{sub.public_id}").get_data(as_text=True)
    assert sub.sha256 in detail and "方案.pdf" in detail and "60.00%" in detail
    mine = browser.get("/me/submissions").get_data(as_text=True)
    assert sub.sha256[:16] in mine
    receipt = browser.get(f"/submissions/{sub.public_id}/receipt.json")
    assert receipt.status_code == 200 and receipt.headers["Content-Disposition"].startswith("attachment")
    assert receipt.get_json()["sha256"] == sub.sha256
    # The co-author sees it too.
    assert _browser(app, co).get(f"/submissions/{sub.public_id}").status_code == 200
    other_solver, other = enter(client, task)
    judge = _browser(app, poster)
    judging = judge.get(f"/tasks/{task.id}/judging").get_data(as_text=True)
    assert "我的方案" in judging and "李明" in judging
    compare = judge.get(f"/tasks/{task.id}/judging/compare?s={sub.public_id}&s={other['id']}").get_data(as_text=True)
    assert "我的方案" in compare and compare.count('class="card"') == 2
    assert judge.post(f"/submissions/{sub.public_id}/eligible").status_code == 303
    assert judge.post(f"/submissions/{sub.public_id}/note", data={"note": "思路好"}).status_code == 303
    assert db.session.get(Submission, sub.id).note == "思路好"
    pass_deadline(task)
    r = judge.post(f"/tasks/{task.id}/winners", data={f"rank-{sub.public_id}": "1", f"rank-{other['id']}": "2"})
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/tasks/{task.id}/results")
    assert wallet(solver) == 0 and wallet(poster) == 2_000  # prizes held for the dispute window
    held = client.get(f"/tasks/{task.id}/results").get_data(as_text=True)
    assert 'data-testid="prize-held"' in held
    release_prizes()
    assert wallet(solver) == 2_700 and wallet(co) == 1_800 and wallet(other_solver) == 2_700
    assert wallet(poster) == 2_000
    results = client.get(f"/tasks/{task.id}/results").get_data(as_text=True)
    assert 'data-testid="results"' in results and "李明" in results and "王芳" in results
    assert "我的方案" not in results
    assert results.count('data-testid="vacant-prize"') == 1  # the third prize went back
    lookup = client.get(f"/receipts?sha256={sub.sha256}")
    assert lookup.status_code == 303
    verify = client.get(lookup.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="receipt-found"' in verify and task.title in verify and "我的方案" not in verify


def test_amend_page_and_errors(app, client):
    poster = make_user()
    task = post_bounty(client, poster, structure="single", prizes=(5_000,), top_up_extra=1_000)
    judge = _browser(app, poster)
    assert judge.get(f"/tasks/{task.id}/amend").status_code == 200
    r = judge.post(f"/tasks/{task.id}/amend", data={"prizes": "40.00"})
    assert r.status_code == 422 and 'data-field="prizes"' in r.get_data(as_text=True)
    r = judge.post(f"/tasks/{task.id}/amend", data={"prizes": "60.00"})
    assert r.status_code == 303
    assert reload(task).prizes == [6_000]


def test_operator_review_page_refund_needs_a_reason(app, client):
    poster = make_user()
    task = post_bounty(client, poster, structure="single", prizes=(5_000,))
    enter(client, task)
    pass_deadline(task)
    pass_selection(task)
    review = db.session.scalar(db.select(BountyReview))
    operator = _browser(app, make_operator())
    queue = operator.get("/operator/").get_data(as_text=True)
    assert 'data-testid="queue-bounty-reviews"' in queue and task.title in queue
    page = operator.get(f"/operator/bounty-reviews/{review.id}")
    assert page.status_code == 200 and "我的方案" in page.get_data(as_text=True)
    r = operator.post(f"/operator/bounty-reviews/{review.id}/refund", data={"reason": ""})
    assert r.status_code == 422 and 'data-field="reason"' in r.get_data(as_text=True)
    r = operator.post(f"/operator/bounty-reviews/{review.id}/refund", data={"reason": "不符合评审标准"})
    assert r.status_code == 303
    assert reload(task).status == "refunded" and wallet(poster) == 5_000
    assert _browser(app, make_user()).get(f"/operator/bounty-reviews/{review.id}").status_code == 403


def test_bounties_in_the_common_list_and_filters(app, client):
    task = post_bounty(client, structure="piece", unit_price=500, max_pieces=4)
    listing = client.get("/tasks/?mode=bounty").get_data(as_text=True)
    assert task.title in listing
    api = client.get("/api/v1/tasks?mode=bounty").get_json()["items"]
    assert [i["id"] for i in api] == [task.id] and api[0]["prize_structure"] == "piece"


def test_dashboard_lists_my_entries_and_the_posters_next_step(app, client):
    poster = make_user()
    task = post_bounty(client, poster, structure="single", prizes=(5_000,))
    solver, _body = enter(client, task, text="仪表盘里的稿件")
    mine = _browser(app, solver).get("/dashboard/").get_data(as_text=True)
    assert 'data-testid="my-bounty-entries"' in mine and task.title in mine
    pass_deadline(task)
    theirs = _browser(app, poster).get("/dashboard/").get_data(as_text=True)
    assert f"/tasks/{task.id}/judging" in theirs and "Choose the winners" in theirs
