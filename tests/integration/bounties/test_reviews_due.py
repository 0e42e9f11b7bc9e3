"""The operator queue's "reviews-due" (API.md; key `bounty_reviews`): bounties whose selection
window ended without a choice, oldest first, each due within BOUNTY_REVIEW_SLA_HOURS (72) of
arriving — "ok" below 75% of it, "due_soon" up to it, "overdue" after — in the page and the API."""
from __future__ import annotations

import datetime as dt

from marketplace.bounties.models import BountyReview
from marketplace.core.db import utcnow
from marketplace.extensions import db
from tests.factories import api_headers, login, make_operator, make_user
from tests.factories_bounties import enter, pass_deadline, pass_selection, post_bounty


def _in_review(client, title):
    task = post_bounty(client, make_user(), structure="single", prizes=(5_000,), title=title)
    enter(client, task)
    pass_deadline(task)
    pass_selection(task)
    return db.session.scalar(db.select(BountyReview).where(BountyReview.task_id == task.id))


def _age(review, hours):
    db.session.execute(db.update(BountyReview).where(BountyReview.id == review.id)
                       .values(opened_at=utcnow() - dt.timedelta(hours=hours)))
    db.session.commit()


def test_reviews_due_in_the_api_and_the_page(app, client):
    fresh, soon, late = (_in_review(client, t) for t in ("新到的悬赏", "将到期的悬赏", "已超期的悬赏"))
    _age(soon, 60)
    _age(late, 80)
    operator = make_operator()
    items = client.get("/api/v1/operator/queue", headers=api_headers(operator)).json["bounty_reviews"]
    assert [(i["title"], i["sla"]) for i in items] == [("已超期的悬赏", "overdue"), ("将到期的悬赏", "due_soon"),
                                                      ("新到的悬赏", "ok")]
    late_item = items[0]
    assert late_item["sla_hours"] == 72 and 79.9 <= late_item["age_hours"] <= 80.1
    due = dt.datetime.fromisoformat(late_item["due_at"]).replace(tzinfo=None)
    assert abs((due - (utcnow() - dt.timedelta(hours=8))).total_seconds()) < 60
    assert {i["task_id"] for i in items} == {fresh.task_id, soon.task_id, late.task_id}
    browser = app.test_client()
    login(browser, operator)
    page = browser.get("/operator/").get_data(as_text=True)
    assert f'data-testid="review-due-{late.id}"' in page
    row = page[page.index(f'data-testid="review-due-{late.id}"') - 60:page.index("已超期的悬赏")]
    assert 'data-sla="overdue"' in row
    assert 'data-sla="due_soon"' in page and 'data-sla="ok"' in page
    # Deciding one takes it off the list.
    r = client.post(f"/api/v1/operator/bounty-reviews/{late.id}/refund", headers=api_headers(operator),
                    json={"reason": "不符合评审标准"})
    assert r.status_code == 200, r.json
    items = client.get("/api/v1/operator/queue", headers=api_headers(operator)).json["bounty_reviews"]
    assert [i["title"] for i in items] == ["将到期的悬赏", "新到的悬赏"]
    # Others may not see the queue.
    assert client.get("/api/v1/operator/queue", headers=api_headers(make_user())).status_code == 403


def test_the_target_follows_the_setting(app, client):
    review = _in_review(client, "配置的悬赏")
    _age(review, 10)
    app.config["BOUNTY_REVIEW_SLA_HOURS"] = 12
    try:
        items = client.get("/api/v1/operator/queue", headers=api_headers(make_operator())).json["bounty_reviews"]
        assert [(i["sla"], i["sla_hours"]) for i in items] == [("due_soon", 12)]
    finally:
        app.config["BOUNTY_REVIEW_SLA_HOURS"] = 72
