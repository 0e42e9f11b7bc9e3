"""Credit records (信用记录) and the credit score.

    append(subject_type, subject_id, kind, data, *, at=None) -> CreditRecord
        add a record to the subject's chain (locks its standing row, so appends are ordered) and
        rebuild the standing (aggregates, score, level) from the chain
    standing_of(subject_type, subject_id) -> CreditStanding | None
    explain(standing) -> [(label, points, words)]   the "why is my score N?" lines
    verify_chains() -> [problem, ...]                recompute every chain; empty when clean

The formula is documented in docs/credit.md; `score_parts` is its single implementation.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import math

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from ..core.db import iso, utcnow
from ..extensions import db
from .models import GENESIS_HASH, CreditRecord, CreditStanding

# Kinds of credit records.
ENGAGEMENT_COMPLETED = "engagement_completed"
REVIEW_PUBLISHED = "review_published"
DISPUTE_DECIDED = "dispute_decided"
CLAIM_ABANDONED = "claim_abandoned"
CONTRACT_CANCELLED = "contract_cancelled"
VIOLATION = "violation"
BLOCKLIST_LIFTED = "blocklist_lifted"
VERIFICATION_APPROVED = "verification_approved"

KIND_LABELS = {
    ENGAGEMENT_COMPLETED: _l("Engagement completed"),
    REVIEW_PUBLISHED: _l("Review published"),
    DISPUTE_DECIDED: _l("Dispute decided"),
    CLAIM_ABANDONED: _l("Claim abandoned"),
    CONTRACT_CANCELLED: _l("Contract cancelled"),
    VIOLATION: _l("Violation (blocklist)"),
    BLOCKLIST_LIFTED: _l("Blocklist lifted"),
    VERIFICATION_APPROVED: _l("Verification approved"),
}

# The formula (docs/credit.md).
BASE = 600
MIN_SCORE, MAX_SCORE = 350, 950
PER_COMPLETED, COMPLETED_CAP = 12, 120
VALUE_FACTOR, VALUE_CAP = 20, 80
ON_TIME_SPAN = 60
REVIEW_FACTOR = 40
VERIFIED_POINTS = 30
DISPUTE_LOST_POINTS = 60
ABANDONMENT_POINTS = 30
CANCELLATION_POINTS = 10
VIOLATION_POINTS = 100
RECENCY_HALF_LIFE_DAYS = 365

LEVELS = (  # (lowest score, key) from the top
    (800, "excellent"),
    (700, "very_good"),
    (650, "good"),
    (550, "fair"),
    (MIN_SCORE, "poor"),
)
LEVEL_LABELS = {
    "excellent": _l("Excellent credit"),
    "very_good": _l("Very good credit"),
    "good": _l("Good credit"),
    "fair": _l("Fair credit"),
    "poor": _l("Poor credit"),
}


def level_for(score: int | None) -> str | None:
    if score is None:
        return None
    for lowest, key in LEVELS:
        if score >= lowest:
            return key
    return "poor"


def level_label(level: str | None) -> str:
    return str(LEVEL_LABELS.get(level, _l("No credit history yet")))


# --- the chain ------------------------------------------------------------------------------------

def canonical(data: dict) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _at(value: dt.datetime) -> dt.datetime:
    return value.replace(microsecond=0, tzinfo=None)


def record_hash(subject_type: str, subject_id: int, seq: int, kind: str, at: dt.datetime,
                data_text: str, prev_hash: str) -> str:
    body = "\n".join([f"{subject_type}:{subject_id}", str(seq), kind, _at(at).isoformat(), data_text, prev_hash])
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _standing_for_update(subject_type: str, subject_id: int) -> CreditStanding:
    query = db.select(CreditStanding).where(CreditStanding.subject_type == subject_type,
                                            CreditStanding.subject_id == subject_id)
    standing = db.session.execute(query.with_for_update()).scalar_one_or_none()
    if standing is None:
        standing = CreditStanding(subject_type=subject_type, subject_id=subject_id, seq=0,
                                  head=GENESIS_HASH, parts={})
        try:
            with db.session.begin_nested():
                db.session.add(standing)
                db.session.flush()
        except IntegrityError:  # a concurrent first append for the same subject made it first
            standing = db.session.execute(query.with_for_update()).scalar_one()
    return standing


def append(subject_type: str, subject_id: int, kind: str, data: dict, *, at=None) -> CreditRecord:
    """Append one record to a subject's chain and rebuild its standing. Never commits."""
    at = _at(at or utcnow())
    standing = _standing_for_update(subject_type, subject_id)
    text = canonical(data)
    seq = standing.seq + 1
    record = CreditRecord(subject_type=subject_type, subject_id=subject_id, seq=seq, kind=kind, at=at,
                          data=text, prev_hash=standing.head,
                          hash=record_hash(subject_type, subject_id, seq, kind, at, text, standing.head))
    db.session.add(record)
    db.session.flush()
    standing.seq, standing.head = seq, record.hash
    rebuild(standing, now=at)
    return record


def records_of(subject_type: str, subject_id: int, *, newest_first: bool = False, limit: int | None = None):
    query = db.select(CreditRecord).where(CreditRecord.subject_type == subject_type,
                                          CreditRecord.subject_id == subject_id)
    query = query.order_by(CreditRecord.seq.desc() if newest_first else CreditRecord.seq)
    if limit:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def standing_of(subject_type: str, subject_id: int) -> CreditStanding | None:
    return db.session.execute(db.select(CreditStanding).where(
        CreditStanding.subject_type == subject_type, CreditStanding.subject_id == subject_id)
    ).scalar_one_or_none()


# --- aggregates and score -------------------------------------------------------------------------

def _review_weight(amount: int, at: dt.datetime, now: dt.datetime) -> float:
    value = 1 + math.log10(1 + max(amount, 0) / 10_000)  # ¥100 → 1.3, ¥10,000 → 3.0
    age_days = max((now - at).total_seconds() / 86400, 0)
    return value * 0.5 ** (age_days / RECENCY_HALF_LIFE_DAYS)


def rebuild(standing: CreditStanding, *, now=None) -> CreditStanding:
    """Recompute the standing's aggregates from its whole chain (run on append, not per view)."""
    now = now or utcnow()
    agg = dict(completed=0, completed_value=0, on_time=0, timed=0, reviews=0, disputes_lost=0,
               abandonments=0, cancellations=0, violations=0, verified=False)
    weighted = weights = plain = 0.0
    for record in records_of(standing.subject_type, standing.subject_id):
        data = json.loads(record.data)
        if record.kind == ENGAGEMENT_COMPLETED:
            agg["completed"] += 1
            agg["completed_value"] += int(data.get("amount") or 0)
            if data.get("on_time") is not None:
                agg["timed"] += 1
                agg["on_time"] += 1 if data["on_time"] else 0
        elif record.kind == REVIEW_PUBLISHED:
            weight = _review_weight(int(data.get("amount") or 0), record.at, now)
            weighted += weight * int(data["rating"])
            weights += weight
            plain += int(data["rating"])
            agg["reviews"] += 1
        elif record.kind == DISPUTE_DECIDED and data.get("lost"):
            agg["disputes_lost"] += 1
        elif record.kind == CLAIM_ABANDONED:
            agg["abandonments"] += 1
        elif record.kind == CONTRACT_CANCELLED:
            agg["cancellations"] += 1
        elif record.kind == VIOLATION:
            agg["violations"] += 1
        elif record.kind == VERIFICATION_APPROVED:
            agg["verified"] = True
    for key, value in agg.items():
        setattr(standing, key, value)
    standing.rating = round(weighted / weights, 3) if weights else None
    standing.plain_rating = round(plain / agg["reviews"], 2) if agg["reviews"] else None
    parts = score_parts(standing)
    standing.parts = parts
    standing.score = score_from_parts(parts) if standing.seq else None
    standing.level = level_for(standing.score)
    standing.updated_at = now
    return standing


def score_parts(s) -> dict[str, int]:
    """Points per part of the formula (docs/credit.md). Missing data adds nothing."""
    value_yuan = (s.completed_value or 0) / 100
    parts = {
        "base": BASE,
        "completed": min(COMPLETED_CAP, PER_COMPLETED * (s.completed or 0)),
        "value": min(VALUE_CAP, round(VALUE_FACTOR * math.log10(1 + value_yuan / 100))),
        "on_time": round(ON_TIME_SPAN * (s.on_time / s.timed) - ON_TIME_SPAN / 2) if s.timed else 0,
        "reviews": round(REVIEW_FACTOR * (s.rating - 3)) if s.rating is not None else 0,
        "verified": VERIFIED_POINTS if s.verified else 0,
        "disputes_lost": -DISPUTE_LOST_POINTS * (s.disputes_lost or 0),
        "abandonments": -ABANDONMENT_POINTS * (s.abandonments or 0),
        "cancellations": -CANCELLATION_POINTS * (s.cancellations or 0),
        "violations": -VIOLATION_POINTS * (s.violations or 0),
    }
    return parts


def score_from_parts(parts: dict) -> int:
    return max(MIN_SCORE, min(MAX_SCORE, sum(parts.values())))


def explain(s) -> list[dict]:
    """The score in plain words, one line per part that counts: {key, points, text}."""
    if s is None or s.score is None:
        return []
    parts = s.parts or score_parts(s)
    money = "¥{:,.2f}".format((s.completed_value or 0) / 100)
    average = "{:.2f}".format(s.rating or 0)
    lines = [
        ("base", _l("Everyone starts from %(n)d points.", n=BASE)),
        ("completed", _l("%(n)d completed engagements that moved money (%(per)d points each, at most %(cap)d).",
                         n=s.completed, per=PER_COMPLETED, cap=COMPLETED_CAP)),
        ("value", _l("Work worth %(money)s in total (more value, more points, at most %(cap)d).",
                     money=money, cap=VALUE_CAP)),
        ("on_time", _l("%(on)d of %(n)d deliveries on time.", on=s.on_time, n=s.timed)),
        ("reviews", _l("An average review of %(avg)s stars from %(n)d reviews, weighted by value and recency "
                       "(3 stars counts zero).", avg=average, n=s.reviews)),
        ("verified", _l("Identity or organisation verified.")),
        ("disputes_lost", _l("%(n)d disputes lost (%(p)d points each).", n=s.disputes_lost, p=DISPUTE_LOST_POINTS)),
        ("abandonments", _l("%(n)d claims abandoned (%(p)d points each).", n=s.abandonments, p=ABANDONMENT_POINTS)),
        ("cancellations", _l("%(n)d contracts cancelled (%(p)d points each).", n=s.cancellations,
                             p=CANCELLATION_POINTS)),
        ("violations", _l("%(n)d violations that put the account on the blocklist (%(p)d points each).",
                          n=s.violations, p=VIOLATION_POINTS)),
    ]
    shown = []
    for key, text in lines:
        points = int(parts.get(key, 0))
        if key != "base" and points == 0:
            continue
        shown.append({"key": key, "points": points, "text": str(text)})
    total = sum(int(v) for v in parts.values())
    if total != s.score:
        shown.append({"key": "bounds", "points": s.score - total,
                      "text": str(_l("Scores stay between %(lo)d and %(hi)d.", lo=MIN_SCORE, hi=MAX_SCORE))})
    return shown


def record_payload(record: CreditRecord) -> dict:
    return {"seq": record.seq, "kind": record.kind, "at": iso(record.at), "data": json.loads(record.data),
            "prev_hash": record.prev_hash, "hash": record.hash}


# --- verification ---------------------------------------------------------------------------------

def verify_chains(progress=None) -> list[str]:
    """Recompute every chain in (subject, seq) order; one problem line per broken chain, naming
    its first broken record. Streams the table, so memory stays flat however many records."""
    problems: list[str] = []
    broken: set[tuple[str, int]] = set()
    current = None
    prev = GENESIS_HASH
    expected_seq = 1
    query = (db.select(CreditRecord)
             .order_by(CreditRecord.subject_type, CreditRecord.subject_id, CreditRecord.seq)
             .execution_options(yield_per=1000))
    heads: dict[tuple[str, int], tuple[int, str]] = {}
    for n, record in enumerate(db.session.scalars(query), start=1):
        subject = (record.subject_type, record.subject_id)
        if subject != current:
            current, prev, expected_seq = subject, GENESIS_HASH, 1
        if subject not in broken:
            problem = None
            if record.seq != expected_seq:
                problem = f"seq {record.seq} where {expected_seq} was expected (a record is missing)"
            elif record.prev_hash != prev:
                problem = "prev_hash does not match the previous record's hash"
            elif record.hash != record_hash(record.subject_type, record.subject_id, record.seq, record.kind,
                                            record.at, record.data, record.prev_hash):
                problem = "hash does not match the record's contents (it was changed)"
            if problem:
                broken.add(subject)
                problems.append(f"{record.subject_type}:{record.subject_id} record #{record.seq} "
                                f"(id {record.id}, {record.kind}): {problem}")
        prev, expected_seq = record.hash, record.seq + 1
        heads[subject] = (record.seq, record.hash)
        if progress and n % 1000 == 0:
            progress(n)
    for standing in db.session.scalars(db.select(CreditStanding)):
        subject = (standing.subject_type, standing.subject_id)
        if subject in broken:
            continue
        if heads.get(subject, (0, GENESIS_HASH)) != (standing.seq, standing.head):
            problems.append(f"{standing.subject_type}:{standing.subject_id}: the chain head does not match "
                            f"the standing (seq {standing.seq}); a record is missing or was added by hand")
    return problems
