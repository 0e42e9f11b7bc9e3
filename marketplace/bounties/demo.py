"""Demo bounties for `flask demo load` (idempotent by title): one of each prize structure, funded
from the demo poster's wallet through the real services, with entries in several states:

- ranked (open): entries submitted, eligible, ineligible with a reason, and one withdrawn;
- single (awarded): the story is told up to the award, with its submission deadline set back
  into the past so the results page shows a finished bounty (its prize is held for the dispute
  window; the disputes demo has a losing entrant dispute it);
- ranked (awarded): two prizes held for the dispute window, paid by the release timer when it ends;
- piece (open): two entries accepted and paid, one rejected, one waiting.
"""
from __future__ import annotations

import datetime as dt
import io
import struct
import zlib

from flask import current_app
from werkzeug.datastructures import FileStorage

from ..core.db import utcnow
from ..core.errors import DomainError
from ..extensions import db
from ..jobs import service as jobs
from ..payments.service import start_funding
from ..tasks import service as tasks
from ..tasks.models import Task
from . import service
from .models import Submission

YUAN = 100

RANKED = ("工业视觉缺陷检测算法挑战赛", """\
征集钢板表面缺陷（划痕、麻点、氧化皮）的**视觉检测算法**。我方提供 2,000 张标注图像作为训练集，
以保留测试集上的 mAP 排名评奖。

- 提交：算法说明（PDF）与可复现的代码包（ZIP）；
- 推理速度 ≤ 50 ms/张（RTX 3060）。
""", "测试集 mAP 70%，推理速度 20%，文档与可复现性 10%。")
SINGLE = ("科普海报设计：光谷里的光", """\
为全国科普日设计一张主题海报，讲述光纤通信的原理与应用，面向中学生。

- A2 竖版，提交 PDF 或 PNG（300 dpi）；
- 需包含“光谷里的光”标题与主办方标识位置。
""", "科学准确 40%，视觉表现 40%，面向中学生的可读性 20%。")
VIDEO = ("科普短视频脚本征集：电池里的化学", """\
为 3 分钟科普短视频撰写脚本，讲清锂离子电池的充放电原理与安全使用，面向社区居民。

- 提交：分镜脚本（PDF），含旁白与画面说明；
- 语言通俗，避免专业术语堆砌。
""", "科学准确 40%，通俗易懂 40%，画面可实现性 20%。")
PIECE = ("科普短文征集（计件）：身边的光电技术", """\
征集 800–1,500 字的科普短文，介绍生活中的光电技术（如激光测距、光纤入户、LED 照明）。
每篇录用稿件按件付酬，最多录用 10 篇。
""", "内容准确、通俗易懂、原创；录用即付酬。")

ENTRIES = {
    "solver_li": "方案概述：采用改进的 YOLOv8 + 注意力模块，对小目标麻点做多尺度增强。验证集 mAP 0.81。",
    "solver_wang": "方案概述：两阶段检测（候选区域 + 轻量分类器），对氧化皮误检率低，推理 32 ms/张。",
    "solver_zhao": "方案概述：传统图像处理（Gabor 滤波 + 形态学）结合 SVM，速度快，无需 GPU。",
}


def _png(width: int = 96, height: int = 64) -> bytes:
    """A small gradient image (an entry's result figure), made without an imaging library."""
    rows = b"".join(b"\x00" + bytes(v for x in range(width) for v in (20 + 2 * x, 60 + 3 * y, 200))
                    for y in range(height))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def _pdf(line: str) -> bytes:
    """A one-page PDF with one line of (ASCII) text: an entry's write-up."""
    stream = f"BT /F1 18 Tf 72 720 Td ({line}) Tj ET".encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _files() -> list[FileStorage]:
    """A figure and a write-up, so the judging pages show previews."""
    return [FileStorage(stream=io.BytesIO(_png()), filename="检测结果示例.png", content_type="image/png"),
            FileStorage(stream=io.BytesIO(_pdf("Two-stage defect detection: method and results")),
                        filename="算法说明.pdf", content_type="application/pdf")]


def _user(context, key):
    return (context.get("users") or {}).get(key)


def _existing(title):
    return db.session.scalars(db.select(Task).where(Task.title == title).limit(1)).first()


def _post(poster, title, description, criteria, **fields) -> Task | None:
    task = _existing(title)
    if task is not None:
        return task
    now = utcnow().replace(second=0, microsecond=0)
    task = tasks.create_task(poster, "bounty", title=title, description=description, criteria=criteria,
                             category=fields.pop("category"), city="wuhan-donghu",
                             submission_deadline=now + dt.timedelta(days=fields.pop("days")), **fields)
    db.session.flush()
    try:
        start_funding(poster, "task", task.id, "wallet")
        tasks.publish_task(poster, task)
    except DomainError:  # not enough demo money: the bounty stays a draft waiting for funding
        return None
    db.session.flush()
    return task


def _enter(task, solver, text, **kwargs) -> Submission | None:
    if solver is None:
        return None
    try:
        return service.submit(solver, task, text=text, **kwargs)
    except DomainError:
        return None


def load(context: dict) -> None:
    with current_app.test_request_context():  # notifications build page links
        _load(context)


def _load(context: dict) -> None:
    poster = _user(context, "poster_org")
    solvers = {key: _user(context, key) for key in ENTRIES}
    if poster is None or any(s is None for s in solvers.values()):
        return
    li, wang, zhao = solvers["solver_li"], solvers["solver_wang"], solvers["solver_zhao"]

    if _existing(RANKED[0]) is None:
        task = _post(poster, *RANKED, category="rd_challenge", prize_structure="ranked", days=14,
                     prizes=[3_000 * YUAN, 2_000 * YUAN, 1_000 * YUAN], skills=["机器视觉", "深度学习"],
                     ip_terms="license")
        if task is not None:
            first = _enter(task, li, "初版：" + ENTRIES["solver_li"])
            if first is not None:
                db.session.flush()
                service.replace(li, first, text=ENTRIES["solver_li"])
            eligible = _enter(task, wang, ENTRIES["solver_wang"], files=_files())
            out = _enter(task, zhao, ENTRIES["solver_zhao"])
            db.session.flush()
            if eligible is not None:
                service.mark_eligible(poster, eligible)
            if out is not None:
                service.reject(poster, out, "推理速度未达到 50 ms/张 的要求。")

    if _existing(SINGLE[0]) is None:
        task = _post(poster, *SINGLE, category="popular_science", prize_structure="single", days=10,
                     prizes=[1_500 * YUAN], skills=["平面设计", "科普"], ip_terms="transfer")
        if task is not None:
            winner = _enter(task, wang, "海报以一束光在光纤中全反射为主线，配三格漫画说明光纤入户。")
            _enter(task, li, "海报采用信息图形式，对比铜缆与光纤的带宽与损耗。")
            db.session.flush()
            if winner is not None:
                # The story up to the award: the submission deadline has passed.
                now = utcnow()
                task.submission_deadline = now - dt.timedelta(hours=1)
                jobs.cancel(service.DEADLINE_TIMER, f"task:{task.id}")
                service.deadline_passed(f"task:{task.id}", now)
                service.award(poster, task, [{"submission_id": winner.public_id, "rank": 1}], now=now)

    if _existing(VIDEO[0]) is None:
        task = _post(poster, *VIDEO, category="popular_science", prize_structure="ranked", days=10,
                     prizes=[800 * YUAN, 400 * YUAN], skills=["科普写作", "视频"], ip_terms="license")
        if task is not None:
            first = _enter(task, zhao, "分镜脚本：以手机没电的日常场景开场，动画演示锂离子在正负极间往返。")
            second = _enter(task, li, "分镜脚本：实验室实拍 + 旁白，讲解隔膜与热失控。")
            db.session.flush()
            if first is not None and second is not None:
                now = utcnow()
                task.submission_deadline = now - dt.timedelta(hours=1)
                jobs.cancel(service.DEADLINE_TIMER, f"task:{task.id}")
                service.deadline_passed(f"task:{task.id}", now)
                service.award(poster, task, [{"submission_id": first.public_id, "rank": 1},
                                             {"submission_id": second.public_id, "rank": 2}], now=now)

    if _existing(PIECE[0]) is None:
        task = _post(poster, *PIECE, category="popular_science", prize_structure="piece", days=20,
                     unit_price=200 * YUAN, max_pieces=10, skills=["科普写作"], ip_terms="transfer")
        if task is not None:
            a = _enter(task, li, "《激光测距：一束光如何量出距离》——从飞行时间讲起……")
            b = _enter(task, wang, "《光纤入户：家里的网为什么这么快》——全反射与单模光纤……")
            c = _enter(task, zhao, "《LED 为什么省电》（约 300 字）")
            db.session.flush()
            for entry in (a, b):
                if entry is not None:
                    service.accept_piece(poster, entry)
            if c is not None:
                service.reject(poster, c, "篇幅不足 800 字。")
    db.session.flush()
