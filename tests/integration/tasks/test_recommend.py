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
