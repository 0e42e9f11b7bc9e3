"""A list of tasks reads a constant number of queries whatever its size (the tasks, and one for
posters' and organisations' names and verification badges), and shows the same badges and names
as before; the filter form's selects are rendered once per language and value."""
from __future__ import annotations

import contextlib

from flask import render_template_string
from flask_babel import force_locale
from sqlalchemy import event

from marketplace.extensions import db
from marketplace.tasks.forms import SearchForm
from tests.factories import login, make_user
from tests.factories_orgs import make_org, make_verification
from tests.factories_tasks import make_task


@contextlib.contextmanager
def _statements():
    seen = []

    def count(conn, cursor, statement, *args):
        if statement.split(None, 1)[0].upper() not in ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def _queries(client, path) -> int:
    db.session.expunge_all()  # as in production, the request starts with an empty session
    with _statements() as seen:
        r = client.get(path)
    assert r.status_code == 200, r.status_code
    return len(seen)


def _varied_tasks(n: int) -> dict:
    """n tasks of different posters: verified individuals, owners of verified organisations,
    organisations' own tasks (verified or not) and unverified posters."""
    made = {"verified_poster": [], "org_owner": [], "verified_org": [], "plain_org": [], "plain": []}
    for i in range(n):
        kind = list(made)[i % 5]
        poster = make_user(display_name=f"发布者{i:02d}",
                           account_type="organization" if kind == "org_owner" else "individual")
        fields = {}
        if kind == "verified_poster":
            make_verification(poster, status="approved")
        elif kind == "org_owner":
            make_verification(poster, org=make_org(poster), status="approved")
        elif kind in ("verified_org", "plain_org"):
            org = make_org(poster, name=f"机构{i:02d}")
            if kind == "verified_org":
                make_verification(poster, org=org, status="approved")
            fields["org_id"] = org.id
        made[kind].append(make_task(poster=poster, title=f"任务{i:02d}", **fields))
    return made


def test_the_list_page_and_api_list_read_the_same_number_of_queries_for_2_or_40_tasks(client):
    _varied_tasks(5)
    small = {path: _queries(client, path) for path in ("/tasks/", "/api/v1/tasks?limit=50", "/")}
    _varied_tasks(35)
    large = {path: _queries(client, path) for path in ("/tasks/", "/api/v1/tasks?limit=50", "/")}
    assert large == small
    # the tasks with the names and badges of their posters and organisations, in one query.
    assert small["/tasks/"] == 1 and small["/api/v1/tasks?limit=50"] == 1


def test_a_signed_in_visitor_reads_a_constant_number_of_queries_too(client):
    login(client, make_user())
    _varied_tasks(5)
    small = _queries(client, "/tasks/"), _queries(client, "/api/v1/tasks")
    _varied_tasks(25)
    assert (_queries(client, "/tasks/"), _queries(client, "/api/v1/tasks")) == small


def test_badges_and_organisation_names_on_the_list_the_api_and_the_task_page(client):
    made = _varied_tasks(5)
    html = client.get("/tasks/").get_data(as_text=True)
    items = {item["title"]: item for item in client.get("/api/v1/tasks").get_json()["items"]}
    for kind, tasks in made.items():
        task = tasks[0]
        item = items[task.title]
        card = html.split(f'data-task-id="{task.id}"', 1)[1].split("</article>", 1)[0]
        page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
        if kind in ("verified_poster", "org_owner"):
            assert item["poster_verified"] is True and 'class="verified"' in card
            assert 'data-testid="poster-verified"' in page
        elif kind == "verified_org":
            assert item["org_verified"] is True and item["org_name"] == "机构02" and "机构02" in card
            assert 'class="verified"' in card and 'data-testid="org-verified"' in page
        elif kind == "plain_org":
            assert item["org_verified"] is False and item["org_name"] == "机构03" and "机构03" in card
            assert 'class="verified"' not in card and 'data-testid="org-verified"' not in page
        else:
            assert item["poster_verified"] is False and item["org_name"] is None
            assert 'class="verified"' not in card and 'data-testid="poster-unverified"' in page


def _select(app, query: str, field: str, locale: str) -> str:
    with app.test_request_context(f"/tasks/?{query}"), force_locale(locale):
        from flask import request
        form = SearchForm(formdata=request.args)
        form.validate()
        return render_template_string("{{ static_select(form[name]) }}", form=form, name=field)


def _by_macro(app, query: str, field: str, locale: str) -> str:
    with app.test_request_context(f"/tasks/?{query}"), force_locale(locale):
        from flask import request
        form = SearchForm(formdata=request.args)
        form.validate()
        return render_template_string('{% from "macros.html" import field %}{{ field(form[name]) }}',
                                      form=form, name=field)


def test_filter_selects_are_the_field_macro_in_each_language_and_for_each_chosen_value(app):
    assert not app.jinja_env.auto_reload  # renders are kept, as in production
    for locale in ("zh_CN", "en", "zh_CN"):
        for query, field in [("", "city"), ("city=wuhan-hongshan", "city"), ("category=software", "category"),
                             ("city=nowhere", "city"), ("sort=amount", "sort"), ("status=all", "status"),
                             ("mode=claim", "mode")]:
            assert _select(app, query, field, locale) == _by_macro(app, query, field, locale), (locale, query)
    chosen = _select(app, "city=wuhan-hongshan", "city", "zh_CN")
    assert 'selected value="wuhan-hongshan"' in chosen and "洪山" in chosen
    assert "Hongshan" in _select(app, "city=wuhan-hongshan", "city", "en")
    assert "selected" not in _select(app, "city=nowhere", "city", "en")


def _input(app, query: str, field: str, locale: str, by_macro: bool) -> str:
    with app.test_request_context(f"/tasks/?{query}"), force_locale(locale):
        from flask import request
        form = SearchForm(formdata=request.args)
        form.validate()
        call = "field(form[name], placeholder='…', inputmode='decimal')" if by_macro else \
            "static_field(form[name], placeholder='…', inputmode='decimal')"
        return render_template_string('{% from "macros.html" import field %}{{ ' + call + ' }}', form=form, name=field)


def test_filter_inputs_are_the_field_macro_whether_empty_or_filled(app):
    for locale in ("zh_CN", "en", "zh_CN"):
        for query, field in [("", "q"), ("", "min_amount"), ("q=光纤", "q"), ("min_amount=12.5", "min_amount"),
                             ("min_amount=abc", "min_amount"), ("max_amount=", "max_amount"), ("q=", "q")]:
            assert _input(app, query, field, locale, False) == _input(app, query, field, locale, True), (locale, query)
    assert 'value="光纤"' in _input(app, "q=光纤", "q", "en", False)
    assert "has-error" in _input(app, "min_amount=abc", "min_amount", "en", False)
    assert "Keywords" in _input(app, "", "q", "en", False) and "Keywords" not in _input(app, "", "q", "zh_CN", False)


def test_the_list_page_keeps_the_chosen_filters_selected(client):
    make_task(title="洪山搬家", city="wuhan-hongshan", category="moving")
    html = client.get("/tasks/?city=wuhan-hongshan&category=moving&sort=amount").get_data(as_text=True)
    assert 'selected value="wuhan-hongshan"' in html and 'selected value="moving"' in html
    assert 'selected value="amount"' in html and "洪山搬家" in html
    html = client.get("/tasks/").get_data(as_text=True)
    assert 'selected value="wuhan-hongshan"' not in html and 'selected value="newest"' in html


def test_a_task_page_reads_the_same_number_of_queries_for_one_question_or_many(client):
    from marketplace.tasks.models import TaskQuestion
    one, many = make_task(title="一个提问"), make_task(title="多人提问")
    for task, n in ((one, 1), (many, 8)):
        for i in range(n):
            db.session.add(TaskQuestion(task_id=task.id, asker_id=make_user().id, text=f"问题{i}",
                                        answer="回答" if i % 2 else None))
    db.session.commit()
    one_url, many_url = f"/tasks/{one.id}", f"/tasks/{many.id}"
    assert _queries(client, one_url) == _queries(client, many_url)
    assert "问题7" in client.get(many_url).get_data(as_text=True)


def test_a_visitor_is_sent_no_session_cookie_and_a_member_gets_the_forms_they_see(client):
    poster = make_user()
    task = make_task(poster=poster, title="只看不写")
    r = client.get(f"/tasks/{task.id}")
    assert r.status_code == 200 and "只看不写" in r.get_data(as_text=True)
    assert "session=" not in r.headers.get("Set-Cookie", "")
    assert 'data-testid="report"' not in r.get_data(as_text=True)
    login(client, make_user())
    html = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert 'data-testid="report"' in html and 'name="csrf_token"' in html and 'name="text"' in html  # ask
    login(client, poster)
    html = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert 'data-testid="poster-actions"' in html and 'data-testid="report"' not in html


def test_a_task_page_reads_the_task_with_its_badges_and_skips_attachments_and_questions_it_has_not(client):
    from marketplace.tasks.models import TaskAttachment, TaskQuestion
    poster = make_user(display_name="王工")
    make_verification(poster, status="approved")
    bare, full = make_task(poster=poster, title="没有附件"), make_task(poster=poster, title="有附件")
    db.session.add_all([TaskAttachment(task_id=full.id, path="tasks/x.pdf", name="规格书.pdf", size=2048,
                                       sha256="ab" * 32, mime="application/pdf"),
                        TaskQuestion(task_id=full.id, asker_id=make_user().id, text="可以远程吗？")])
    db.session.commit()
    bare_id, full_id = bare.id, full.id
    # the task with its poster, badges and whether it has attachments and questions; the bids section.
    assert _queries(client, f"/tasks/{bare_id}") == 2
    api = client.get(f"/api/v1/tasks/{bare_id}").get_json()
    assert api["poster_verified"] is True and api["attachments"] == [] and api["questions"] == []
    html = client.get(f"/tasks/{full_id}").get_data(as_text=True)
    assert "规格书.pdf" in html and "可以远程吗？" in html and 'data-testid="poster-verified"' in html
    api = client.get(f"/api/v1/tasks/{full_id}").get_json()
    assert [a["name"] for a in api["attachments"]] == ["规格书.pdf"]
    assert [q["text"] for q in api["questions"]] == ["可以远程吗？"]
