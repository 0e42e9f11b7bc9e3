"""Demo reputation for `flask demo load` (idempotent): a finished tutoring contract whose two
reviews are published (with a reply), a finished errand contract whose review is still hidden
(double-blind), expert-pool listings for the verified demo solvers and organisations, and one user
on the blocklist (失信名单)."""
from __future__ import annotations

import datetime as dt

from flask import current_app

from ..accounts import service as accounts
from ..accounts.demo import PASSWORD
from ..accounts.models import User
from ..bids import service as bids
from ..contracts import service as contracts
from ..core.db import utcnow
from ..core.errors import DomainError
from ..extensions import db
from ..organisations.models import Organisation
from ..payments.service import start_funding
from ..tasks import service as tasks
from ..tasks.models import Task
from . import experts, reviews
from .models import Engagement

YUAN = 100
TUTORING = ("中学英语一对一辅导（4 次课）", "初二学生，每周六下午线上辅导，重点是阅读理解与写作。")
VISIT = ("湖北省科技馆参观讲解（半天）", "带两位老人参观科技馆新馆，需要耐心讲解。")
BLOCKED_EMAIL = "blocked@huizhong.example"
BLOCKED_REASON = "组织刷单、发布虚假评价，经核实属实（2026 年 10 月）。"

LISTINGS = {  # email -> (headline, fields)
    "solver.li@huizhong.example": ("分布式光纤传感与嵌入式系统，桥梁健康监测项目经验", ["rd_challenge", "component_design"]),
    "solver.wang@huizhong.example": ("科技文献英译中、中学英语辅导", ["translation", "tutoring", "popular_science"]),
    "solver.zhao@huizhong.example": ("宜昌本地跑腿、搬运与三峡旅游向导", ["delivery", "transport", "travel_guide"]),
}


def load(context: dict) -> None:
    with current_app.test_request_context():  # notifications build page links
        _load(context)


def _user(email: str) -> User | None:
    return accounts.find_by_email(email)


def _load(context: dict) -> None:
    home = _user("household@huizhong.example")
    wang = _user("solver.wang@huizhong.example")
    zhao = _user("solver.zhao@huizhong.example")
    operator = _user("operator@huizhong.example")
    if home and wang:
        engagement = _finished_tender(home, wang, TUTORING, 600 * YUAN, "tutoring")
        if engagement is not None:
            _review(home, engagement, 5, 5, 5, 4, "王老师备课认真，孩子的阅读速度明显提高。")
            _review(wang, engagement, 5, 4, 5, 5, "家长沟通及时，付款爽快。")
            published = db.session.execute(db.select(reviews.Review).where(
                reviews.Review.engagement_id == engagement.id, reviews.Review.reviewee_id == wang.id)).scalar_one()
            if published.reply is None and engagement.published_at is not None:
                reviews.reply(wang, published, "谢谢刘阿姨，期待下次合作！")
    if home and zhao:
        engagement = _finished_tender(home, zhao, VISIT, 300 * YUAN, "travel_guide")
        if engagement is not None:
            _review(home, engagement, 4, 4, 5, 3, "讲解很耐心，就是迟到了十分钟。")
    _listings()
    _blocklisted(operator)
    db.session.flush()


def _finished_tender(poster, solver, text, amount, category) -> Engagement | None:
    title, description = text
    task = db.session.scalars(db.select(Task).where(Task.title == title).limit(1)).first()
    if task is not None:
        return db.session.execute(db.select(Engagement).where(Engagement.task_id == task.id)).scalar_one_or_none()
    now = utcnow()
    try:
        task = tasks.create_task(poster, "tender", title=title, description=description, category=category,
                                 city="wuhan", visibility="public", ip_terms="solver_keeps", currency="CNY",
                                 budget_min=amount, budget_max=amount * 2, bid_deadline=now + dt.timedelta(days=10),
                                 skills=[])
        db.session.flush()
        tasks.publish_task(poster, task)
        bid = bids.place_bid(solver, task, amount, 7, "可以按时完成。")
        contract = contracts.award_bid(poster, bid)
        contracts.accept_contract(solver, contract)
        for milestone in contracts.milestones_of(contract):
            start_funding(poster, "milestone", milestone.id, "wallet")
            db.session.refresh(milestone)
            contracts.deliver_milestone(solver, milestone, "已完成，请验收。")
            contracts.accept_milestone(poster, milestone)
    except DomainError:  # no wallet money left in this demo: skip the story
        return None
    db.session.flush()
    return reviews.engagement_for_contract(contract.id)


def _review(user, engagement, rating, quality, communication, timeliness, text) -> None:
    if any(r.reviewer_id == user.id for r in reviews.reviews_of(engagement)):
        return
    reviews.submit_review(user, engagement, rating=rating, quality=quality, communication=communication,
                          timeliness=timeliness, text=text)


def _listings() -> None:
    for email, (headline, fields) in LISTINGS.items():
        user = _user(email)
        if user is None:
            continue
        expert = experts.listing_of_user(user)
        if expert is not None and not expert.headline:
            experts.update_listing(user, expert, headline=headline, fields=fields)
    for org in db.session.scalars(db.select(Organisation)):
        expert = experts.listing_of_org(org)
        if expert is not None and not expert.fields:
            expert.fields = ["rd_challenge", "tech_transfer", "expert_consulting"]
            experts._refresh_key(expert)
    li = _user("solver.li@huizhong.example")
    listing = experts.listing_of_user(li) if li else None
    if listing is not None and listing.available and not listing.skills:
        experts.update_listing(li, listing, skills=list(li.skills or []))


def _blocklisted(operator) -> None:
    user = _user(BLOCKED_EMAIL)
    if user is None:
        user = accounts.register(email=BLOCKED_EMAIL, password=PASSWORD, display_name="钱某（失信）")
        db.session.flush()
    if user.blocklisted_at is None and operator is not None:
        accounts.set_blocklisted(user, BLOCKED_REASON, operator)
