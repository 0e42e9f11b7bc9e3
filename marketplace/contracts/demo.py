"""Demo bids, a contract half-way and a claim for `flask demo load` (idempotent): Li and Wang bid on
the open demo tenders; the translation tender is awarded to Wang with three milestones, the first
released and the second delivered and waiting for review; Wang claims the errand in Hongshan."""
from __future__ import annotations

from flask import current_app

from ..accounts.models import User
from ..bids import service as bids
from ..bids.models import Bid
from ..core.errors import DomainError
from ..core.ids import resident_id_check_char
from ..extensions import db
from ..payments.service import start_funding
from ..tasks.models import Task
from ..verification import service as verification
from . import service
from .models import LIVE_STATUSES, Contract

YUAN = 100

FIBRE = "光纤传感器研发：桥梁健康监测用分布式光纤应变传感"
FILM = "科普微电影《光谷里的光》拍摄制作"
TRANSLATION = "英译中翻译包：光通信技术白皮书（约 3 万词）"
ERRAND = "跑腿：从光谷广场取文件送至华科大南三门"

BIDS = [
    (FIBRE, "solver_li", 120_000 * YUAN, 60,
     "团队有 5 年分布式光纤传感（BOTDA）研发经验，方案：脉冲预泵浦 + FPGA 实时解调，分两期交付样机与现场测试。"),
    (FIBRE, "solver_wang", 135_000 * YUAN, 75, "与高校实验室合作，提供 OFDR 方案对比及完整测试报告。"),
    (FILM, "solver_li", 32_000 * YUAN, 30, "有三部科普短片作品，可提供分镜与 4K 拍摄设备。"),
    (TRANSLATION, "solver_wang", 7_500 * YUAN, 20,
     "通信工程背景，CATTI 二级，已译光通信文献 20 万字；按三批交付，每批附术语对照表。"),
    (TRANSLATION, "solver_li", 8_800 * YUAN, 25, "可提供中英对照排版。"),
]
MILESTONES = [("第一批：白皮书一（约 1 万词）", 2_500 * YUAN), ("第二批：白皮书二（约 1 万词）", 2_500 * YUAN),
              ("第三批：白皮书三与术语表", 2_500 * YUAN)]


def _user(context, key: str, email: str):
    user = (context.get("users") or {}).get(key)
    if user is None:
        user = db.session.scalars(db.select(User).where(User.email == email)).first()
    return user


def _task(title: str) -> Task | None:
    return db.session.scalars(db.select(Task).where(Task.title == title).order_by(Task.id).limit(1)).first()


def _ensure_verified(user, operator) -> None:
    if verification.is_verified(user) or operator is None:
        return
    first17 = "420111" + "19900608" + f"{user.id % 1000:03d}"
    req = verification.submit_individual(user, real_name="王芳", id_number=first17 + resident_id_check_char(first17))
    verification.approve(operator, req)


def _poster(task):
    return db.session.get(User, task.poster_id)


def _fund_from_wallet(milestone, poster) -> bool:
    try:
        start_funding(poster, "milestone", milestone.id, "wallet")
    except DomainError:  # not enough wallet balance: leave it waiting for funding
        return False
    return True


def load(context: dict) -> None:
    with current_app.test_request_context():  # notifications and payments build page links
        _load(context)


def _load(context: dict) -> None:
    users = {"solver_li": _user(context, "solver_li", "solver.li@huizhong.example"),
             "solver_wang": _user(context, "solver_wang", "solver.wang@huizhong.example")}
    operator = _user(context, "operator", "operator@huizhong.example")
    for title, key, amount, days, proposal in BIDS:
        task, solver = _task(title), users.get(key)
        if task is None or solver is None or task.mode != "tender":
            continue
        exists = db.session.scalar(db.select(Bid.id).where(Bid.task_id == task.id, Bid.solver_id == solver.id))
        if exists or task.status != "open":
            continue
        try:
            bids.place_bid(solver, task, amount, days, proposal)
        except DomainError:
            continue
    db.session.flush()
    _translation_contract(users.get("solver_wang"))
    _claim_errand(users.get("solver_wang"), operator)
    db.session.flush()


def _translation_contract(solver) -> None:
    task = _task(TRANSLATION)
    if task is None or solver is None:
        return
    existing = db.session.scalar(db.select(Contract.id).where(Contract.task_id == task.id,
                                                              Contract.status.in_(LIVE_STATUSES)))
    if existing or task.status != "open":
        return
    bid = db.session.execute(db.select(Bid).where(Bid.task_id == task.id, Bid.solver_id == solver.id,
                                                  Bid.status == "submitted")).scalar_one_or_none()
    if bid is None:
        return
    poster = _poster(task)
    contract = service.award_bid(poster, bid, [{"title": t, "amount": a} for t, a in MILESTONES])
    service.accept_contract(solver, contract)
    first, second, _third = service.milestones_of(contract)
    if not _fund_from_wallet(first, poster):
        return
    service.deliver_milestone(solver, first, "第一批译文已上传，附术语对照表（共 312 条）。")
    service.accept_milestone(poster, first)
    if not _fund_from_wallet(second, poster):
        return
    service.deliver_milestone(solver, second, "第二批译文完成，图表标题已统一译法，请审阅。")


def _claim_errand(solver, operator) -> None:
    task = _task(ERRAND)
    if task is None or solver is None or task.status != "open" or not task.escrow_funded:
        return
    _ensure_verified(solver, operator)
    try:
        service.claim_task(solver, task)
    except DomainError:
        return
