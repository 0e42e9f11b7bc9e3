"""Matching: tasks for a solver, solvers for a task."""
from marketplace.extensions import db
from marketplace.tasks.service import recommended_for, suggested_solvers
from tests.factories import make_user
from tests.factories_tasks import approve_identity, make_task


def test_recommended_tasks_by_skills_then_city():
    solver = make_user(skills=["翻译", "Python"], city="wuhan-hongshan")
    both = make_task(title="both", skills=["python", "翻译"], city="yichang")
    one_near = make_task(title="one near", skills=["Python"], city="wuhan-hongshan")
    one_far = make_task(title="one far", skills=["翻译"], city="shiyan")
    make_task(title="nothing shared", skills=["焊接"], city="shiyan")
    make_task(poster=solver, title="own task", skills=["翻译"])
    make_task(title="invite only", skills=["翻译"], visibility="invite")
    make_task(title="draft", skills=["翻译"], status="draft")
    assert [t.title for t in recommended_for(solver, 10)] == [both.title, one_near.title, one_far.title]
    assert len(recommended_for(solver, 2)) == 2


def test_claims_elsewhere_are_not_recommended():
    solver = make_user(skills=["跑腿"], city="yichang")
    make_task(mode="claim", title="wuhan errand", skills=["跑腿"], city="wuhan")
    near = make_task(mode="claim", title="yichang errand", skills=["跑腿"], city="yichang", district=None)
    assert [t.id for t in recommended_for(solver, 5)] == [near.id]


def test_suggested_solvers_rank_skills_verification_and_completed_work():
    from tests.factories_contracts import make_contract
    poster = make_user()
    task = make_task(poster=poster, skills=["光学", "FPGA"], city="wuhan-donghu")
    plain = make_user(display_name="plain", skills=["光学"], city="shiyan")
    approve_identity(make_user(display_name="verified", skills=["光学"], city="shiyan"))
    experienced = make_user(display_name="experienced", skills=["光学"], city="shiyan")
    make_user(display_name="expert", skills=["光学", "fpga"], city="wuhan-donghu")
    make_user(display_name="unrelated", skills=["烹饪"], city="shiyan")
    done = make_contract(make_task(skills=["x"]), experienced)
    done.status = "completed"
    db.session.commit()
    ranked = suggested_solvers(task, 10)
    assert [s.user.display_name for s in ranked] == ["expert", "verified", "experienced", "plain"]
    by_name = {s.user.display_name: s for s in ranked}
    assert by_name["experienced"].completed == 1 and by_name["verified"].verified
    assert by_name["expert"].shared_skills == ["fpga", "光学"] and by_name["expert"].same_city
    assert poster.id not in [s.user.id for s in ranked] and plain.id in [s.user.id for s in ranked]


# --- ranked in SQL over indexed candidates ------------------------------------------------------

def _selects(fn):
    """(number of SELECT statements run, result)."""
    from sqlalchemy import event
    statements = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        result = fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return len(statements), result


def test_skill_rows_follow_the_skills_of_users_and_tasks():
    from marketplace.accounts.models import UserSkill
    from marketplace.tasks.models import TaskSkill
    user = make_user(skills=[" FPGA ", "光学", "fpga"])
    task = make_task(skills=["Python", "翻译"])

    def rows(model, column, owner_id):
        return sorted(db.session.scalars(db.select(model.skill).where(column == owner_id)))

    assert rows(UserSkill, UserSkill.user_id, user.id) == ["fpga", "光学"]
    assert rows(TaskSkill, TaskSkill.task_id, task.id) == ["python", "翻译"]
    user.skills = ["嵌入式"]
    task.skills = []
    db.session.commit()
    assert rows(UserSkill, UserSkill.user_id, user.id) == ["嵌入式"]
    assert rows(TaskSkill, TaskSkill.task_id, task.id) == []
    user.display_name = "renamed"  # an update that leaves the skills alone keeps their rows
    db.session.commit()
    assert rows(UserSkill, UserSkill.user_id, user.id) == ["嵌入式"]


def test_recommended_ranking_order_ties_newest_first_and_closed_or_past_tasks_left_out():
    import datetime as dt

    from marketplace.core.db import utcnow
    solver = make_user(skills=["fpga", "光学", "嵌入式"], city="yichang")
    two_far = make_task(title="two skills far", skills=["FPGA", "光学"], city="shiyan")
    one_here = make_task(title="one skill here", skills=["嵌入式"], city="yichang")
    one_far_old = make_task(title="one skill far, older", skills=["光学"], city="shiyan")
    one_far_new = make_task(title="one skill far, newer", skills=["fpga"], city="shiyan")
    here_only = make_task(title="here, no skill", skills=["焊接"], city="yichang")
    make_task(title="closed", skills=["fpga", "光学", "嵌入式"], city="yichang", status="completed")
    make_task(title="past deadline", skills=["fpga", "光学", "嵌入式"], city="yichang",
              bid_deadline=utcnow() - dt.timedelta(hours=1))
    make_task(title="hidden", skills=["fpga"], hidden_at=utcnow(), hidden_reason="spam")
    db.session.refresh(solver)  # as a request has its user loaded
    count, ranked = _selects(lambda: recommended_for(solver, 10))
    # 3 per shared skill + 2 same city: 6, 5, 3, 3 (newer first), then the city alone (2).
    assert [t.title for t in ranked] == [two_far.title, one_here.title, one_far_new.title, one_far_old.title,
                                         here_only.title]
    assert count == 1  # the ranking, however many tasks there are (a list names posters in its own query)
    for _ in range(30):
        make_task(skills=["fpga"], city="shiyan")
    db.session.refresh(solver)
    count, ranked = _selects(lambda: recommended_for(solver, 6))
    assert count == 1 and len(ranked) == 6 and ranked[0].id == two_far.id


def test_recommended_tasks_for_a_solver_without_skills_are_those_of_their_place():
    solver = make_user(skills=[], city="wuhan-hongshan")
    district = make_task(mode="claim", title="same district", city="wuhan", district="wuhan-hongshan")
    prefecture = make_task(title="same prefecture", city="wuhan")
    make_task(title="elsewhere", city="yichang")
    assert [t.title for t in recommended_for(solver, 5)] == [district.title, prefecture.title]
    assert recommended_for(make_user(skills=[], city=None), 5) == []


def test_suggested_solvers_credit_breaks_ties_and_queries_stay_two():
    from marketplace.reputation.models import CreditStanding
    task = make_task(skills=["翻译"], city="shiyan")
    low = make_user(display_name="low credit", skills=["翻译"], city="yichang")
    high = make_user(display_name="high credit", skills=["翻译"], city="yichang")
    none = make_user(display_name="no credit", skills=["翻译"], city="yichang")
    newest = make_user(display_name="no credit, newest", skills=["翻译"], city="yichang")
    for user, score in ((low, 560), (high, 820)):
        db.session.add(CreditStanding(subject_type="user", subject_id=user.id, score=score, completed=0))
    make_user(display_name="suspended", skills=["翻译"], suspended_at=task.created_at)
    make_user(display_name="operator", skills=["翻译"], role="operator")
    db.session.commit()
    db.session.refresh(task)
    count, ranked = _selects(lambda: suggested_solvers(task, 10))
    assert [s.user.display_name for s in ranked] == [high.display_name, low.display_name, newest.display_name,
                                                     none.display_name]
    assert count == 2  # the ranking and the invitations of the page
    assert all(s.score == 3 and not s.same_city and s.shared_skills == ["翻译"] for s in ranked)


def test_suggested_solvers_for_a_task_without_skills_come_from_its_prefecture():
    task = make_task(skills=[], city="wuhan", district="wuhan-hongshan", mode="claim")
    district = make_user(display_name="district", skills=["x"], city="wuhan-hongshan")
    prefecture = make_user(display_name="prefecture", skills=[], city="wuhan")
    make_user(display_name="elsewhere", skills=[], city="yichang")
    ranked = suggested_solvers(task, 10)
    # The task's city and its district count 2 both; equal scores, the newer account first.
    assert [(s.user.id, s.score, s.same_city) for s in ranked] == [(prefecture.id, 2, True), (district.id, 2, True)]


def test_completed_engagements_count_half_up_to_ten_and_a_standing_overrides_contracts():
    from marketplace.reputation.models import CreditStanding
    task = make_task(skills=["光学"], city="shiyan")
    busy = make_user(display_name="busy", skills=["光学"], city="yichang")
    some = make_user(display_name="some", skills=["光学"], city="yichang")
    db.session.add(CreditStanding(subject_type="user", subject_id=busy.id, score=700, completed=25))
    db.session.add(CreditStanding(subject_type="user", subject_id=some.id, score=700, completed=3))
    db.session.commit()
    ranked = suggested_solvers(task, 10)
    assert [(s.user.display_name, s.completed, s.score) for s in ranked] == [("busy", 25, 8.0), ("some", 3, 4.5)]


def test_the_candidates_per_skill_are_the_newest_open_tasks(monkeypatch):
    from marketplace.tasks import recommend
    monkeypatch.setattr(recommend, "CANDIDATES_PER_PART", 2)
    solver = make_user(skills=["光学"], city=None)
    older = [make_task(title=f"open {i}", skills=["光学"], city="shiyan") for i in range(2)]
    for i in range(3):  # newer, but no longer open: they must not use up the candidates
        make_task(title=f"closed {i}", skills=["光学"], city="shiyan", status="completed")
    assert [t.title for t in recommend.recommended_for(solver, 5)] == [older[1].title, older[0].title]
    newest = make_task(title="open newest", skills=["光学"], city="shiyan")
    # Equal scores: the newest two open tasks are the candidates, the oldest is left out.
    assert [t.title for t in recommend.recommended_for(solver, 5)] == [newest.title, older[1].title]
