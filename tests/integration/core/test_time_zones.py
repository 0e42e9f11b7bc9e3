"""One time zone (the user's, Asia/Shanghai unless they chose another) and one format
(2026-12-31 18:00) on pages, in mails and in notifications, in both languages."""
from __future__ import annotations

import datetime as dt

from marketplace.accounts.models import User
from marketplace.core.i18n import for_reader, format_clock, format_day, format_when
from marketplace.extensions import db
from marketplace.notifications.models import Notification, OutboxMail
from tests.factories import api_headers, login, make_user
from tests.factories_bounties import enter, post_bounty

MOMENT = dt.datetime(2026, 12, 31, 10, 30)  # naive UTC


def test_one_format_in_the_default_zone_and_in_a_chosen_one(app):
    assert format_when(MOMENT) == "2026-12-31 18:30"  # Asia/Shanghai, UTC+8
    assert format_day(dt.datetime(2026, 12, 31, 20, 0)) == "2027-01-01"
    assert format_clock(MOMENT) == "18:30"
    assert format_when(MOMENT, "America/New_York") == "2026-12-31 05:30"
    with for_reader(User(email="x@example.com", timezone="Europe/London", locale="en")):
        assert format_when(MOMENT) == "2026-12-31 10:30"
    assert format_when(MOMENT) == "2026-12-31 18:30"  # back to the default afterwards
    with for_reader(User(email="y@example.com", timezone="Mars/Olympus")):  # not on the list
        assert format_when(MOMENT) == "2026-12-31 18:30"


def test_the_profile_page_saves_a_time_zone_and_refuses_an_unknown_one(client):
    user = make_user()
    login(client, user)
    page = client.get("/me", headers={"Accept-Language": "en"})
    assert page.status_code == 200 and "Time zone" in page.text and "Europe/London" in page.text
    form = {"display_name": user.display_name, "bio": "", "skills": "", "city": "", "locale": "en"}
    r = client.post("/me", data={**form, "timezone": "Mars/Olympus"})
    assert r.status_code == 422 and db.session.get(User, user.id).timezone is None
    r = client.post("/me", data={**form, "timezone": "Europe/London"})
    assert r.status_code == 303
    db.session.expire_all()
    assert db.session.get(User, user.id).timezone == "Europe/London"


def test_the_api_reads_and_changes_the_time_zone(client):
    user = make_user()
    headers = api_headers(user)
    assert client.get("/api/v1/me", headers=headers).json["timezone"] == "Asia/Shanghai"
    r = client.patch("/api/v1/me", json={"timezone": "America/New_York"}, headers=headers)
    assert r.status_code == 200 and r.json["timezone"] == "America/New_York"
    r = client.patch("/api/v1/me", json={"timezone": "Moon/Base"}, headers=headers)
    assert r.status_code == 422 and "timezone" in r.json["errors"]
    db.session.expire_all()
    assert db.session.get(User, user.id).timezone == "America/New_York"
    r = client.patch("/api/v1/me", json={"timezone": None}, headers=headers)
    assert r.status_code == 200 and r.json["timezone"] == "Asia/Shanghai"


def test_pages_show_times_in_the_readers_zone(client):
    user = make_user(timezone="America/New_York", locale="en")
    note = Notification(user_id=user.id, kind="unknown.kind", params={}, created_at=MOMENT)
    db.session.add(note)
    db.session.commit()
    login(client, user)
    text = client.get("/notifications/").text
    assert "2026-12-31" in text and "05:30" in text and "18:30" not in text


def test_a_bounty_change_is_told_in_each_readers_language_and_zone(client):
    poster = make_user()
    task = post_bounty(client, poster, structure="single", prizes=(5_000,))
    london, _ = enter(client, task, make_user(timezone="Europe/London", locale="en"))
    shanghai, _ = enter(client, task, make_user(locale="zh_CN"))
    later = (task.submission_deadline + dt.timedelta(days=3)).replace(hour=10, minute=30, second=0, microsecond=0)
    r = client.post(f"/api/v1/tasks/{task.id}/amend",
                    json={"submission_deadline": later.replace(tzinfo=dt.timezone.utc).isoformat()},
                    headers=api_headers(poster, **{"Accept-Language": "en"}))
    assert r.status_code == 200, r.get_json()
    day = later.strftime("%Y-%m-%d")

    mail = db.session.scalar(db.select(OutboxMail).where(OutboxMail.to == london.email)
                             .order_by(OutboxMail.id.desc()))
    assert f"entries are taken until {day} 10:30" in mail.body and "UTC" not in mail.body
    mail = db.session.scalar(db.select(OutboxMail).where(OutboxMail.to == shanghai.email)
                             .order_by(OutboxMail.id.desc()))
    assert f"{day} 18:30" in mail.body and "投稿截止时间延至" in mail.body

    login(client, london)
    page = client.get("/notifications/", headers={"Accept-Language": "en"}).text
    assert f"entries are taken until {day} 10:30" in page
    login(client, shanghai)
    page = client.get("/notifications/", headers={"Accept-Language": "zh-CN"}).text
    assert f"投稿截止时间延至 {day} 18:30" in page


def test_a_time_typed_on_a_page_is_in_the_users_zone(app):
    from marketplace.tasks.forms import _local_zone
    with app.test_request_context("/"):
        from flask_login import login_user
        login_user(make_user(timezone="Asia/Tokyo"))
        assert str(_local_zone()) == "Asia/Tokyo"
