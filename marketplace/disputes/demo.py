"""Demo disputes for `flask demo load` (idempotent): three small tenders of the park's poster, each
delivered and disputed — one decided by the operator (60% to the solver), one settled by the
parties (70%), and one still open in the operator queue with evidence from both sides; and an open
dispute about the held prize of the demo's awarded single bounty, brought by the entrant who lost."""
from __future__ import annotations

import datetime as dt

from flask import current_app

from ..accounts.models import User
from ..bids import service as bids
from ..contracts import service as contracts
from ..core.db import utcnow
from ..core.errors import DomainError
from ..extensions import db
from ..payments.service import start_funding
from ..tasks import service as tasks
from ..tasks.models import Task
from . import service
from .models import Dispute

YUAN = 100

CASES = [
    # (key, title, description, category, solver key, amount, opener, delivery note, reason, evidence, outcome)
    ("decided", "科普宣传册排版设计（12 页）", "为科技园科普活动宣传册做排版设计，交付印刷版 PDF 与源文件。", "popular_science",
     "solver_li", 1_000 * YUAN, "solver", "12 页排版完成，附印刷版 PDF 与 InDesign 源文件。",
     "交付后发包方一直未验收，又要求增加 4 页新内容，超出约定范围。",
     [("solver", "原需求为 12 页，见合同与聊天记录；新增 4 页不在范围内。"),
      ("poster", "第 5–8 页的配色与企业 VI 不符，需要返工后才能验收。")],
     ("decide", 6000, "排版按约定交付，主要工作已完成；配色部分确有瑕疵，酌情扣减 40%。")),
    ("settled", "产品说明书英译（约 5 千词）", "智能传感器产品说明书中译英，要求术语统一。", "translation",
     "solver_wang", 800 * YUAN, "poster", "译文已完成，附术语表。",
     "第三章术语与我方术语表不一致，部分段落漏译。",
     [("poster", "漏译段落：3.2 节第 2–4 段。")],
     ("settle", 7000, None)),
    ("open", "小程序原型图设计（10 个页面）", "社区团购小程序的高保真原型，含交互说明。", "software",
     "solver_li", 600 * YUAN, "poster", "10 个页面的高保真原型已上传（Figma 链接见附件说明）。",
     "交付的原型只有 7 个页面有交互说明，且未适配小屏手机。",
     [("poster", "缺少交互说明的页面：订单列表、售后、个人中心。"),
      ("solver", "小屏适配不在需求说明中；交互说明已在 Figma 注释中给出。")],
     None),
]


def _user(context, key: str, email: str):
    user = (context.get("users") or {}).get(key)
    if user is None:
        user = db.session.scalars(db.select(User).where(User.email == email)).first()
    return user


EMAILS = {"operator": "operator@huizhong.example", "poster_org": "poster@huizhong.example",
          "solver_li": "solver.li@huizhong.example", "solver_wang": "solver.wang@huizhong.example"}


def load(context: dict) -> None:
    with current_app.test_request_context():  # notifications and payments build page links
        users = {k: _user(context, k, e) for k, e in EMAILS.items()}
        if any(u is None for u in users.values()):
            return
        for case in CASES:
            try:
                with db.session.begin_nested():
                    _case(users, *case)
            except DomainError:  # e.g. not enough demo wallet money: leave this case out
                continue
        try:
            with db.session.begin_nested():
                _prize_case(users)
        except DomainError:
            pass
        db.session.flush()


PRIZE_TASK = "科普海报设计：光谷里的光"  # the bounties demo's awarded single bounty


def _prize_case(users):
    """solver_li's entry lost the single bounty to solver_wang's: li disputes the held prize."""
    task = db.session.scalars(db.select(Task).where(Task.title == PRIZE_TASK).limit(1)).first()
    if task is None or task.status != "awarded":
        return
    if db.session.scalar(db.select(Dispute.id).where(Dispute.task_id == task.id)) is not None:
        return
    li, poster = users["solver_li"], users["poster_org"]
    dispute = service.open_dispute(li, task_id=task.id, rank=1, amount=750 * YUAN,
                                   reason="获奖海报的光纤全反射示意图与我提交的初稿构图高度相似，请核查原创性。")
    service.add_evidence(li, dispute, "我的稿件提交时间早于获奖稿件 2 天（见指纹回执），两张图的光路与配色一致。")
    service.add_evidence(poster, dispute, "评审时两份稿件均已查看，获奖稿件的漫画部分为其独有。")


def _case(users, key, title, description, category, solver_key, amount, opener, note, reason, evidence, outcome):
    if db.session.scalar(db.select(Task.id).where(Task.title == title)) is not None:
        return
    poster, solver, operator = users["poster_org"], users[solver_key], users["operator"]
    task = tasks.create_task(poster, "tender", title=title, description=description, category=category,
                             skills=[], city="wuhan", budget_min=amount, budget_max=amount,
                             bid_deadline=utcnow().replace(microsecond=0) + dt.timedelta(days=10))
    db.session.flush()
    tasks.publish_task(poster, task)
    bid = bids.place_bid(solver, task, amount, 7, "可按时交付。")
    contract = contracts.award_bid(poster, bid)
    contracts.accept_contract(solver, contract)
    milestone = contracts.milestones_of(contract)[0]
    start_funding(poster, "milestone", milestone.id, "wallet")
    contracts.deliver_milestone(solver, milestone, note)
    side = {"solver": solver, "poster": poster}
    dispute = service.open_dispute(side[opener], milestone_id=milestone.id, amount=amount, reason=reason)
    for who, text in evidence:
        service.add_evidence(side[who], dispute, text)
    if outcome is None:
        return
    kind, bps, why = outcome
    if kind == "decide":
        service.decide(operator, dispute, bps, why)
    else:
        service.offer_settlement(solver, dispute, bps)
        service.offer_settlement(poster, dispute, bps)
