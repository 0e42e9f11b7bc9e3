"""The task pages: posting form, edit, task page, list."""
import datetime as dt
import io
from zoneinfo import ZoneInfo

from marketplace.core.db import utcnow
from marketplace.extensions import db
from marketplace.tasks.models import Task, TaskAttachment
from tests.factories import login, make_operator, make_user
from tests.factories_orgs import make_org, make_verification
from tests.factories_tasks import make_task

LOCAL = ZoneInfo("Asia/Shanghai")


def _local(days=7, hours=0):
    return (dt.datetime.now(LOCAL) + dt.timedelta(days=days, hours=hours)).strftime("%Y-%m-%dT%H:%M")


def _form(**over):
    data = {"mode": "tender", "title": "科普微电影《光的旅程》", "description": "## 需求\n\n三分钟微电影。",
            "category": "micro_film", "skills": "剪辑, 动画", "city": "wuhan", "visibility": "public",
            "ip_terms": "transfer", "currency": "CNY", "budget_min": "8,000", "budget_max": "12000.50",
            "bid_deadline": _local()}
    data.update(over)
    return data


def _count():
    return db.session.scalar(db.select(db.func.count(Task.id)))


def test_nav_links_to_tasks_and_posting(client):
    login(client, make_user())
    html = client.get("/").get_data(as_text=True)
    assert 'href="/tasks/"' in html and 'href="/tasks/new"' in html


def test_post_a_tender_draft_through_the_form(client):
    poster = make_user()
    login(client, poster)
    r = client.post("/tasks/new", data=_form())
    assert r.status_code == 303, r.get_data(as_text=True)
    task = db.session.scalars(db.select(Task)).one()
    assert (task.status, task.mode, task.poster_id) == ("draft", "tender", poster.id)
    assert (task.budget_min, task.budget_max) == (800_000, 1_200_050)
    assert task.skills == ["剪辑", "动画"] and task.ip_terms == "transfer"
    # The local (Asia/Shanghai) time is stored as naive UTC.
    assert abs((task.bid_deadline - (utcnow() + dt.timedelta(days=7))).total_seconds()) < 120
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "科普微电影《光的旅程》" in page and "<h2>需求</h2>" in page


def test_every_bad_field_is_named_and_nothing_is_written(client):
    login(client, make_user())
    r = client.post("/tasks/new", data=_form(title="", category="casino", city="atlantis", budget_min="500",
                                             budget_max="400", bid_deadline="2001-01-01T10:00"))
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    for name in ("title", "category", "city", "budget_min", "bid_deadline"):
        assert f'data-field="{name}"' in html, name
    assert "500" in html  # the input is kept
    assert _count() == 0


def test_unparsable_amounts_and_dates_are_field_errors(client):
    login(client, make_user())
    r = client.post("/tasks/new", data=_form(budget_max="-5", budget_min="abc", bid_deadline="tomorrow"))
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    for name in ("budget_min", "budget_max", "bid_deadline"):
        assert f'data-field="{name}"' in html, name
    assert _count() == 0


def test_claim_form_checks_window_and_price(client):
    login(client, make_user())
    r = client.post("/tasks/new", data=_form(mode="claim", category="delivery", price="0", district="wuhan-hongshan",
                                             address="", window_start=_local(2), window_end=_local(1)))
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    for name in ("price", "address", "window_end"):
        assert f'data-field="{name}"' in html, name
    assert _count() == 0


def test_district_must_be_in_the_city(client):
    login(client, make_user())
    r = client.post("/tasks/new", data=_form(mode="claim", category="delivery", price="30", city="yichang",
                                             district="wuhan-hongshan", address="x", window_start=_local(1),
                                             window_end=_local(1, 2)))
    assert r.status_code == 422 and 'data-field="district"' in r.get_data(as_text=True)


def test_bounty_form_checks_prizes(client):
    login(client, make_user())
    r = client.post("/tasks/new", data=_form(mode="bounty", prize_structure="ranked", prizes="100, 300",
                                             submission_deadline=_local(10)))
    assert r.status_code == 422 and 'data-field="prizes"' in r.get_data(as_text=True)
    r = client.post("/tasks/new", data=_form(mode="bounty", prize_structure="ranked", prizes="3000, 1000",
                                             submission_deadline=_local(10)))
    assert r.status_code == 303
    task = db.session.scalars(db.select(Task)).one()
    assert task.prizes == [300_000, 100_000] and task.reward_total == 400_000 and task.selection_days == 7


def test_attachment_type_is_checked_and_nothing_is_written(client):
    login(client, make_user())
    data = _form()
    data["files"] = (io.BytesIO(b"MZ\x90\x00binary"), "tool.exe")
    r = client.post("/tasks/new", data=data, content_type="multipart/form-data")
    assert r.status_code == 422
    assert "files" in r.get_data(as_text=True)
    assert _count() == 0 and db.session.scalar(db.select(db.func.count(TaskAttachment.id))) == 0
    data = _form()
    data["files"] = (io.BytesIO(b"%PDF-1.4 spec"), "spec.pdf")
    assert client.post("/tasks/new", data=data, content_type="multipart/form-data").status_code == 303
    attachment = db.session.scalars(db.select(TaskAttachment)).one()
    assert attachment.name == "spec.pdf" and attachment.mime == "application/pdf"
    download = client.get(f"/tasks/attachments/{attachment.public_id}")
    assert download.status_code == 200 and download.data == b"%PDF-1.4 spec"


def test_on_behalf_of_lists_only_managed_orgs_and_member_is_refused(client):
    user = make_user()
    managed = make_org(user, name="楚光光纤")
    other = make_org(make_user(), name="别家公司", members={user: "member"})
    login(client, user)
    html = client.get("/tasks/new").get_data(as_text=True)
    assert "楚光光纤" in html and "别家公司" not in html
    r = client.post("/tasks/new", data=_form(org_id=str(other.id)))
    assert r.status_code == 403
    assert _count() == 0
    assert client.post("/tasks/new", data=_form(org_id=str(managed.id))).status_code == 303
    assert db.session.scalars(db.select(Task)).one().org_id == managed.id


def test_edit_a_draft_keeps_input_on_error(client):
    poster = make_user()
    task = make_task(poster=poster, status="draft")
    login(client, poster)
    page = client.get(f"/tasks/{task.id}/edit")
    assert page.status_code == 200 and "3000.00" in page.get_data(as_text=True)
    r = client.post(f"/tasks/{task.id}/edit", data=_form(title="新标题", budget_min="9000", budget_max="1000"))
    assert r.status_code == 422 and "新标题" in r.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Task, task.id).title != "新标题"
    assert client.post(f"/tasks/{task.id}/edit", data=_form(title="新标题")).status_code == 303
    db.session.expire_all()
    assert db.session.get(Task, task.id).title == "新标题"


def test_others_cannot_edit(client):
    task = make_task(poster=make_user())
    login(client, make_user())
    assert client.get(f"/tasks/{task.id}/edit").status_code == 403
    assert client.post(f"/tasks/{task.id}/cancel").status_code == 403


def test_publish_and_cancel_from_the_page(client):
    poster = make_user()
    task = make_task(poster=poster, status="draft")
    login(client, poster)
    assert client.post(f"/tasks/{task.id}/publish").status_code == 303
    db.session.expire_all()
    assert db.session.get(Task, task.id).status == "open"
    assert client.post(f"/tasks/{task.id}/cancel").status_code == 303
    db.session.expire_all()
    assert db.session.get(Task, task.id).status == "cancelled"


def test_task_page_shows_what_a_solver_needs(client):
    poster = make_user(display_name="王工")
    make_verification(poster, status="approved")
    task = make_task(poster=poster, title="英译中技术文档", description="<script>alert(1)</script>**术语表**",
                     skills=["翻译"], budget_min=None, budget_max=200_000)
    html = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "英译中技术文档" in html and "王工" in html and 'data-testid="poster-verified"' in html
    assert "<strong>术语表</strong>" in html and "<script>alert(1)</script>" not in html
    assert "翻译" in html


def test_unverified_poster_has_no_badge(client):
    task = make_task(poster=make_user())
    html = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert 'data-testid="poster-unverified"' in html and 'data-testid="poster-verified"' not in html


def test_claim_address_hidden_from_others_on_the_page(client):
    poster, claimant = make_user(), make_user()
    task = make_task(poster=poster, mode="claim", address="洪山区珞喻路1037号")
    assert "洪山区珞喻路1037号" not in client.get(f"/tasks/{task.id}").get_data(as_text=True)
    login(client, make_user())
    assert "洪山区珞喻路1037号" not in client.get(f"/tasks/{task.id}").get_data(as_text=True)
    login(client, poster)
    assert "洪山区珞喻路1037号" in client.get(f"/tasks/{task.id}").get_data(as_text=True)
    task.claimant_id = claimant.id
    db.session.commit()
    login(client, claimant)
    assert "洪山区珞喻路1037号" in client.get(f"/tasks/{task.id}").get_data(as_text=True)


def test_invite_only_and_draft_pages_are_404_for_others(client):
    poster, invitee = make_user(), make_user()
    hidden = make_task(poster=poster, visibility="invite", title="邀标任务")
    draft = make_task(poster=poster, status="draft")
    assert client.get(f"/tasks/{hidden.id}").status_code == 404
    login(client, make_user())
    assert client.get(f"/tasks/{hidden.id}").status_code == 404
    assert client.get(f"/tasks/{draft.id}").status_code == 404
    assert "邀标任务" not in client.get("/tasks/").get_data(as_text=True)
    login(client, make_operator())
    assert client.get(f"/tasks/{hidden.id}").status_code == 200
    login(client, poster)
    assert client.post(f"/tasks/{hidden.id}/invites", data={"solver_id": invitee.id}).status_code == 303
    login(client, invitee)
    assert client.get(f"/tasks/{hidden.id}").status_code == 200
    assert "邀标任务" in client.get("/tasks/").get_data(as_text=True)


def test_poster_sees_suggested_solvers_with_invite_buttons(client):
    poster = make_user()
    make_user(display_name="光学专家", skills=["光学"], city="wuhan-donghu")
    task = make_task(poster=poster, skills=["光学"], city="wuhan-donghu")
    login(client, poster)
    html = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert 'data-testid="suggested-solvers"' in html and "光学专家" in html


def test_question_from_the_page(client):
    poster, solver = make_user(), make_user()
    task = make_task(poster=poster)
    login(client, solver)
    assert client.post(f"/tasks/{task.id}/questions", data={"text": "可以远程吗？"}).status_code == 303
    assert "可以远程吗？" in client.get(f"/tasks/{task.id}").get_data(as_text=True)


def test_home_shows_recommended_tasks(client):
    solver = make_user(skills=["翻译"], city="wuhan")
    make_task(title="英译中技术文档", skills=["翻译"])
    make_task(title="无关任务", skills=["焊接"], city="shiyan")
    login(client, solver)
    html = client.get("/").get_data(as_text=True)
    assert 'data-testid="home-tasks"' in html and "英译中技术文档" in html and "无关任务" not in html


def test_list_page_renders_and_paginates(client):
    for i in range(25):
        make_task(title=f"任务{i:02d}")
    first = client.get("/tasks/")
    html = first.get_data(as_text=True)
    assert first.status_code == 200 and html.count('data-testid="task-card"') == 20
    assert "任务24" in html and "任务04" not in html
    import re
    next_url = re.search(r'href="(/tasks/\?cursor=[^"]+)"', html).group(1).replace("&amp;", "&")
    second = client.get(next_url).get_data(as_text=True)
    assert second.count('data-testid="task-card"') == 5 and "任务04" in second and "任务24" not in second


def test_bad_filters_on_the_page_are_422(client):
    r = client.get("/tasks/?min_amount=abc")
    assert r.status_code == 422 and 'data-field="min_amount"' in r.get_data(as_text=True)


def test_mine_lists_own_drafts(client):
    poster = make_user()
    make_task(poster=poster, status="draft", title="我的草稿")
    make_task(title="别人的任务")
    login(client, poster)
    html = client.get("/tasks/mine").get_data(as_text=True)
    assert "我的草稿" in html and "别人的任务" not in html


def test_new_form_renders_every_mode_section(client):
    login(client, make_user())
    r = client.get("/tasks/new?mode=claim")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    for mode in ("tender", "claim", "bounty"):
        assert f'data-mode="{mode}"' in html
    assert '<option selected value="claim">' in html or 'value="claim" selected' in html


def test_new_form_needs_login(client):
    r = client.get("/tasks/new")
    assert r.status_code in (302, 303) and "/login" in r.headers["Location"]


def test_oversized_attachment_is_refused(client, app):
    login(client, make_user())
    app.config["ATTACHMENT_MAX_BYTES"] = 1024
    try:
        data = _form()
        data["files"] = (io.BytesIO(b"%PDF-1.4 " + b"x" * 2048), "big.pdf")
        r = client.post("/tasks/new", data=data, content_type="multipart/form-data")
    finally:
        app.config["ATTACHMENT_MAX_BYTES"] = 10 * 1024 * 1024
    assert r.status_code == 422 and "files" in r.get_data(as_text=True)
    assert _count() == 0


def test_claim_and_bounty_pages_in_english(client):
    claim = make_task(mode="claim", title="Errand", price=4_000)
    bounty = make_task(mode="bounty", title="Poster design", prize_structure="ranked", prizes=[300_000, 100_000])
    client.set_cookie("lang", "en")
    html = client.get(f"/tasks/{claim.id}").get_data(as_text=True)
    assert "Errand" in html and "40.00" in html and "Shown to the solver who claims the task." in html
    html = client.get(f"/tasks/{bounty.id}").get_data(as_text=True)
    assert "4,000.00" in html and "3,000.00" in html
    listing = client.get("/tasks/?sort=amount").get_data(as_text=True)
    listing = listing[listing.index('data-testid="task-list"'):]  # the results, not the filters
    assert listing.index("Poster design") < listing.index("Errand")


def test_operator_can_show_a_hidden_task_again(client):
    task = make_task(hidden_at=utcnow(), hidden_reason="spam")
    login(client, make_operator())
    assert 'data-testid="operator-unhide"' in client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert client.post(f"/operator/tasks/{task.id}/unhide").status_code == 303
    db.session.expire_all()
    assert db.session.get(Task, task.id).hidden_at is None
