"""Demo tasks for `flask demo load` (idempotent by title): open tenders from the demo organisations,
a draft, an invite-only tender, and funded claims in Wuhan districts. Bounties come from the
bounties domain."""
from __future__ import annotations

import datetime as dt

from flask import current_app

from ..accounts.models import User
from ..core.db import utcnow
from ..core.errors import DomainError
from ..core.ids import resident_id_check_char
from ..extensions import db
from ..organisations.models import Membership, Organisation
from ..organisations.policies import can_act_for
from ..payments.service import start_funding
from ..verification import service as verification
from . import service
from .models import Task

YUAN = 100

FIBRE = ("光纤传感器研发：桥梁健康监测用分布式光纤应变传感", """\
楚光光纤面向长江大桥健康监测项目，征集**分布式光纤应变传感**方案与样机。

## 需求
- 测量长度 ≥ 5 km，空间分辨率 ≤ 1 m，应变精度 ±5 με；
- 提供解调算法与上位机软件（可基于 FPGA 或 STM32）；
- 交付：方案报告、样机一套、现场测试报告。

## 评审
按技术方案、团队经验与报价综合评审，可分两期里程碑付款。
""")
FILM = ("科普微电影《光谷里的光》拍摄制作", """\
为全国科普日拍摄一部 **8 分钟** 科普微电影，讲述光纤通信从实验室到千家万户的故事。

- 提供剧本大纲与分镜；
- 拍摄地点在东湖高新区，可协调实验室取景；
- 交付 4K 成片、字幕文件与 1 分钟预告片。
""")
TRANSLATION = ("英译中翻译包：光通信技术白皮书（约 3 万词）", """\
将三份英文光通信技术白皮书译成中文，约 30,000 词，术语表由我方提供。

- 要求有科技文献翻译经验，译文需通顺准确；
- 分三批交付，每批经审校后付款。
""")
DRAFT = ("工业视觉检测算法优化（草稿）", "对现有产线的表面缺陷检测算法进行优化，提升召回率。细节待补充。")
INVITE = ("激光器老化测试数据分析（邀标）", """\
对 2,000 只激光器的老化测试数据进行统计分析，建立寿命预测模型。仅邀请有可靠性分析经验的解决者。
""")
ERRAND = ("跑腿：从光谷广场取文件送至华科大南三门", "取一份装订好的合同文件（A4 信封），当面交给收件人，需拍照确认。")
TUTORING = ("初二英语辅导（周六上午两小时）", "孩子初二，英语阅读和语法薄弱，希望有经验的老师上门辅导两小时。")


def _org(context, hint: str):
    for org in (context.get("orgs") or {}).values():
        if hint in getattr(org, "name", ""):
            return org
    return db.session.scalars(db.select(Organisation).where(Organisation.name.contains(hint)).limit(1)).first()


def _manager_of(org):
    return db.session.scalars(
        db.select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.org_id == org.id, Membership.role.in_(("owner", "manager")))
        .order_by(Membership.id).limit(1)).first()


def _user(context, key: str, email: str):
    user = (context.get("users") or {}).get(key)
    if user is None:
        user = db.session.scalars(db.select(User).where(User.email == email)).first()
    return user


def _exists(title: str) -> bool:
    return db.session.scalar(db.select(Task.id).where(Task.title == title).limit(1)) is not None


def _verify_poster(user, operator) -> None:
    """The demo posters publish above the unverified limit, so they verify like anyone would."""
    if verification.is_verified(user) or operator is None:
        return
    first17 = "420111" + "19850412" + f"{user.id % 1000:03d}"
    with current_app.test_request_context():
        req = verification.submit_individual(user, real_name="张伟",
                                             id_number=first17 + resident_id_check_char(first17))
        verification.approve(operator, req)


def _post(poster, mode: str, title: str, description: str, *, publish: bool = True, fund: bool = False,
          invite=None, **fields) -> Task | None:
    if poster is None or _exists(title):
        return None
    task = service.create_task(poster, mode, title=title, description=description, **fields)
    db.session.flush()
    if invite is not None:
        service.invite_solver(poster, task, invite)
    if fund:
        try:
            start_funding(poster, "task", task.id, "wallet")
        except DomainError:  # no wallet money: the claim stays a draft waiting for funding
            return task
    if publish:
        try:
            service.publish_task(poster, task)
        except DomainError:
            return task
    db.session.flush()
    return task


def load(context: dict) -> None:
    now = utcnow().replace(second=0, microsecond=0)
    days = lambda n, hours=0: now + dt.timedelta(days=n, hours=hours)  # noqa: E731
    operator = _user(context, "operator", "operator@huizhong.example")
    poster = _user(context, "poster_org", "poster@huizhong.example")
    household = _user(context, "poster_home", "household@huizhong.example")
    solver = _user(context, "solver_li", "solver.li@huizhong.example")

    fibre_org = _org(context, "楚光")
    fibre_poster = (_manager_of(fibre_org) if fibre_org else None) or poster
    park_org = _org(context, "科技园")
    if fibre_poster is not None:
        _verify_poster(fibre_poster, operator)
    if poster is not None and poster is not fibre_poster:
        _verify_poster(poster, operator)

    _post(fibre_poster, "tender", *FIBRE, category="rd_challenge", skills=["光纤传感", "信号处理", "FPGA"],
          city="wuhan-donghu", ip_terms="transfer", org_id=fibre_org.id if fibre_org else None,
          budget_min=80_000 * YUAN, budget_max=150_000 * YUAN, bid_deadline=days(21))
    _post(poster, "tender", *FILM, category="micro_film", skills=["微电影", "剪辑", "科普"], city="wuhan-donghu",
          ip_terms="transfer", org_id=park_org.id if park_org and poster and _manages(poster, park_org) else None,
          budget_min=20_000 * YUAN, budget_max=40_000 * YUAN, bid_deadline=days(14))
    _post(poster, "tender", *TRANSLATION, category="translation", skills=["翻译", "科技写作"], city="wuhan",
          ip_terms="license", budget_min=6_000 * YUAN, budget_max=9_000 * YUAN, bid_deadline=days(10))
    _post(poster, "tender", *DRAFT, publish=False, category="software", skills=["机器视觉", "Python"],
          city="wuhan-donghu", budget_min=30_000 * YUAN, budget_max=50_000 * YUAN, bid_deadline=days(30))
    _post(fibre_poster, "tender", *INVITE, category="expert_consulting", skills=["可靠性分析", "信号处理"],
          city="wuhan-donghu", visibility="invite", invite=solver, org_id=fibre_org.id if fibre_org else None,
          budget_min=10_000 * YUAN, budget_max=20_000 * YUAN, bid_deadline=days(12))
    _post(household, "claim", *ERRAND, fund=True, category="delivery", skills=["跑腿"], city="wuhan",
          district="wuhan-hongshan", price=40 * YUAN, address="洪山区珞喻路1037号 华中科技大学南三门",
          window_start=days(1, 2), window_end=days(1, 5))
    _post(household, "claim", *TUTORING, fund=True, category="tutoring", skills=["英语辅导"], city="wuhan",
          district="wuhan-wuchang", price=200 * YUAN, address="武昌区中北路 水岸星城 3 栋",
          window_start=days(2, 1), window_end=days(2, 3))


def _manages(user, org) -> bool:
    return can_act_for(user, org)
