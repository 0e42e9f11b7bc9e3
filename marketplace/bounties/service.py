"""Bounty use cases: submissions into the vault, judging, awards, piece acceptance, deadlines,
operator review, raising the reward and extending the deadline.

Money moves only through the ledger (release / release_shared / refund / fund_escrow); task
status only through `transitions.move`. Services never commit.

    sub = submit(solver, task, text="方案…", files=[...], coauthors=[{"user_id": 7, "share_bps": 4000}])
    award(poster, task, [{"submission_id": sub.public_id, "rank": 1}])
"""
from __future__ import annotations

import datetime as dt
import json
import os

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from ..accounts.models import User
from ..accounts.policies import ensure_not_blocklisted
from ..core.db import utcnow
from ..core.errors import Conflict, Forbidden, NotFound, ValidationFailed, WrongState
from ..core.files import ATTACHMENT_KINDS, KINDS, delete_stored, open_stored, store_upload
from ..core.money import MAX_AMOUNT, format_money
from ..extensions import db
from ..jobs import service as jobs
from ..ledger import service as ledger
from ..notifications.service import notify, register_kind
from ..tasks import policies as task_policies
from ..tasks.funding import escrow_ref
from ..tasks.models import Task, TaskInvite
from . import events, policies, receipts, transitions
from .models import (
    CONTENDING_STATUSES,
    LIVE_STATUSES,
    BountyReview,
    Submission,
    SubmissionAuthor,
    SubmissionFile,
)

DEADLINE_TIMER = "bounty.deadline"
SELECTION_TIMER = "bounty.selection_end"

TEXT_MAX = 20_000
FILES_MAX = 10
COAUTHORS_MAX = 10
REASON_MAX = 2_000
NOTE_MAX = 2_000

register_kind("bounty.submitted", _l("A new entry for “%(task)s”."))
register_kind("bounty.ineligible", _l("Your entry for “%(task)s” was not accepted: %(reason)s"))
register_kind("bounty.eligible", _l("Your entry for “%(task)s” was marked eligible."))
register_kind("bounty.won", _l("Your entry won %(prize)s in “%(task)s”."))
register_kind("bounty.not_won", _l("The winners of “%(task)s” have been chosen."))
register_kind("bounty.piece_accepted", _l("Your entry for “%(task)s” was accepted and paid %(prize)s."))
register_kind("bounty.changed", _l("“%(task)s” changed: %(change)s"))
register_kind("bounty.selecting", _l("Submissions to “%(task)s” are closed; choose the winners by %(until)s."))
register_kind("bounty.review", _l("“%(task)s” ended without a choice; an operator reviews it."))
register_kind("bounty.refunded", _l("The unspent reward of “%(task)s” (%(amount)s) went back to the payer."))
register_kind("bounty.closed", _l("“%(task)s” closed: %(reason)s"))


# --- loading ----------------------------------------------------------------------------------

def get_bounty(task_id, *, lock: bool = False) -> Task:
    try:
        pk = int(task_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    query = db.select(Task).where(Task.id == pk, Task.mode == "bounty")
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    task = db.session.execute(query).scalar_one_or_none()
    if task is None:
        raise NotFound()
    return task


def get_visible_bounty(user, task_id) -> Task:
    task = get_bounty(task_id)
    task_policies.require_view(user, task)
    return task


def get_submission(public_id, *, lock: bool = False) -> Submission:
    if not isinstance(public_id, str) or not public_id or len(public_id) > 32:
        raise NotFound()
    query = db.select(Submission).where(Submission.public_id == public_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    sub = db.session.execute(query).scalar_one_or_none()
    if sub is None:
        raise NotFound()
    return sub


def get_visible_submission(user, public_id) -> tuple[Submission, Task]:
    """The entry and its bounty, or 404 for anyone who may not see it."""
    sub = get_submission(public_id)
    task = get_bounty(sub.task_id)
    policies.require_see(user, sub, task)
    return sub, task


def get_visible_file(user, public_id) -> tuple[SubmissionFile, str]:
    if not isinstance(public_id, str) or not public_id or len(public_id) > 32:
        raise NotFound()
    file = db.session.scalar(db.select(SubmissionFile).where(SubmissionFile.public_id == public_id))
    if file is None:
        raise NotFound()
    sub = db.session.get(Submission, file.submission_id)
    policies.require_see(user, sub, get_bounty(sub.task_id))
    return file, file.path


def _load(query):
    return list(db.session.scalars(query.options(selectinload(Submission.files),
                                                 selectinload(Submission.authors).selectinload(SubmissionAuthor.user),
                                                 selectinload(Submission.solver))))


def load_full(sub: Submission) -> Submission:
    """The entry with its files and authors loaded (after flushing pending changes)."""
    db.session.flush()
    return _load(db.select(Submission).where(Submission.id == sub.id)
                 .execution_options(populate_existing=True))[0]


def entries_for(user, task: Task) -> list[Submission]:
    """What `user` may see of a bounty's entries: everything the poster's side may judge (or, after
    the award, what passed to it); a solver only its own (withdrawn ones included)."""
    query = db.select(Submission).where(Submission.task_id == task.id).order_by(Submission.id)
    if policies.poster_side(user, task):
        if task.status not in policies.JUDGING_STATUSES:
            query = query.where(Submission.status.in_(("winner", "accepted")))
        else:
            query = query.where(Submission.status != "withdrawn")
        return _load(query)
    if getattr(user, "is_operator", False) and task.status == "review":
        return _load(query.where(Submission.status != "withdrawn"))
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    authored = db.select(SubmissionAuthor.submission_id).where(SubmissionAuthor.user_id == user.id)
    return _load(query.where(db.or_(Submission.solver_id == user.id, Submission.id.in_(authored))))


def my_submissions(user) -> list[tuple[Submission, Task]]:
    authored = db.select(SubmissionAuthor.submission_id).where(SubmissionAuthor.user_id == user.id)
    subs = _load(db.select(Submission).where(db.or_(Submission.solver_id == user.id, Submission.id.in_(authored)))
                 .order_by(Submission.id.desc()))
    tasks = {t.id: t for t in db.session.scalars(db.select(Task).where(Task.id.in_({s.task_id for s in subs})))}
    return [(s, tasks[s.task_id]) for s in subs]


def live_count(task: Task) -> int:
    return db.session.scalar(db.select(db.func.count(Submission.id)).where(
        Submission.task_id == task.id, Submission.status.in_(LIVE_STATUSES))) or 0


def live_counts(task_ids) -> dict[int, int]:
    rows = db.session.execute(db.select(Submission.task_id, db.func.count(Submission.id)).where(
        Submission.task_id.in_(list(task_ids)), Submission.status.in_(LIVE_STATUSES)).group_by(Submission.task_id))
    return dict(rows.all())


def selection_ends_at(task: Task) -> dt.datetime | None:
    if task.submission_deadline is None:
        return None
    return task.submission_deadline + dt.timedelta(days=task.selection_days or current_app.config["SELECTION_DAYS"])


def results(task: Task) -> list[Submission]:
    """The public results: winners by rank, or accepted pieces (names and amounts only)."""
    return _load(db.select(Submission).where(Submission.task_id == task.id,
                                             Submission.status.in_(("winner", "accepted")))
                 .order_by(Submission.rank, Submission.piece_no, Submission.id))


def find_receipt(sha256: str) -> tuple[Submission, Task]:
    value = (sha256 or "").strip().lower()
    if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
        raise NotFound()
    sub = db.session.scalar(db.select(Submission).where(Submission.sha256 == value))
    if sub is None:
        raise NotFound()
    return sub, db.session.get(Task, sub.task_id)


# --- submitting ---------------------------------------------------------------------------------

def _check_text(text) -> str:
    if text is not None and not isinstance(text, str):
        raise ValidationFailed(errors={"text": [_l("Enter text.")]})
    text = (text or "").strip()
    if len(text) > TEXT_MAX:
        raise ValidationFailed(errors={"text": [_l("At most %(max)s characters.", max=TEXT_MAX)]})
    return text


def parse_coauthors(raw) -> list[dict]:
    """[{user_id, share_bps}] from a list or its JSON text; 422 on `coauthors` otherwise."""
    if raw in (None, "", []):
        return []
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise ValidationFailed(errors={"coauthors": [_l("Give co-authors as a list of user ids and shares.")]}) \
                from None
    if not isinstance(raw, list) or any(not isinstance(i, dict) for i in raw):
        raise ValidationFailed(errors={"coauthors": [_l("Give co-authors as a list of user ids and shares.")]})
    result = []
    for item in raw:
        uid, share = item.get("user_id"), item.get("share_bps")
        if isinstance(uid, str) and uid.isdigit():
            uid = int(uid)
        if isinstance(share, str) and share.isdigit():
            share = int(share)
        if isinstance(uid, bool) or not isinstance(uid, int) or isinstance(share, bool) or not isinstance(share, int):
            raise ValidationFailed(errors={"coauthors": [_l("Each co-author needs a user id and a share.")]})
        result.append({"user_id": uid, "share_bps": share})
    return result


def _authors(submitter, coauthors: list[dict]) -> list[tuple[int, int]]:
    """[(user_id, share_bps)] including the submitter, whose share is what the others leave
    (or as declared); shares above zero, summing to exactly 100%."""
    if not coauthors:
        return [(submitter.id, 10000)]
    if len(coauthors) > COAUTHORS_MAX:
        raise ValidationFailed(errors={"coauthors": [_l("At most %(max)s co-authors.", max=COAUTHORS_MAX)]})
    ids = [c["user_id"] for c in coauthors]
    if len(set(ids)) != len(ids):
        raise ValidationFailed(errors={"coauthors": [_l("Each co-author may be named once.")]})
    if any(c["share_bps"] <= 0 or c["share_bps"] > 10000 for c in coauthors):
        raise ValidationFailed(errors={"coauthors": [_l("Each share must be above 0% and at most 100%.")]})
    found = set(db.session.scalars(db.select(User.id).where(User.id.in_(ids), User.suspended_at.is_(None))))
    if set(ids) - found:
        raise ValidationFailed(errors={"coauthors": [_l("Unknown co-author.")]})
    total = sum(c["share_bps"] for c in coauthors)
    authors = [(c["user_id"], c["share_bps"]) for c in coauthors]
    if submitter.id not in ids:
        if total >= 10000:
            raise ValidationFailed(errors={"coauthors": [_l("The shares must add up to 100%, yours included.")]})
        authors.insert(0, (submitter.id, 10000 - total))
    elif total != 10000:
        raise ValidationFailed(errors={"coauthors": [_l("The shares must add up to 100%, yours included.")]})
    return authors


def _file_kind_matches_name(name: str, mime: str) -> bool:
    """The extension of the uploaded name must agree with what the content is (an executable or
    a script named .pdf is refused)."""
    ext = os.path.splitext(name or "")[1].lower()
    allowed = {KINDS[k][1] for k, v in KINDS.items() if v[0] == mime}
    if mime == "image/jpeg":
        allowed |= {".jpeg"}
    if mime == "text/plain":
        allowed |= {".md", ".csv", ".txt", ".json", ".tex", ""}
    return ext in allowed


def _store_files(files) -> list:
    files = [f for f in (files or []) if f is not None and getattr(f, "filename", "")]
    if len(files) > FILES_MAX:
        raise ValidationFailed(errors={"files": [_l("At most %(max)s files.", max=FILES_MAX)]})
    stored = []
    try:
        for f in files:
            item = store_upload(f, field="files", kinds=ATTACHMENT_KINDS,
                                max_bytes=current_app.config.get("SUBMISSION_MAX_BYTES",
                                                                 current_app.config["ATTACHMENT_MAX_BYTES"]),
                                subdir="vault")
            stored.append(item)
            if not _file_kind_matches_name(item.name, item.mime) or _looks_executable(item):
                raise ValidationFailed(errors={"files": [
                    _l("“%(name)s” is not what its name says; this file type is not accepted.", name=item.name)]})
    except ValidationFailed:
        _discard(stored)
        raise
    return stored


def _looks_executable(item) -> bool:
    if item.mime != "text/plain":
        return False
    with open_stored(item.path) as fh:
        return fh.read(2) == b"#!"


def _discard(stored) -> None:
    for item in stored:
        try:
            delete_stored(item.path)
        except OSError:
            pass


def _check_can_submit(actor, task: Task, now: dt.datetime) -> None:
    if task.status != "open" or (task.submission_deadline and task.submission_deadline <= now):
        raise WrongState(_l("This bounty no longer takes entries."))
    if policies.poster_side(actor, task):
        raise Forbidden(_l("The poster's side cannot enter its own bounty."))
    ensure_not_blocklisted(actor)
    if task.eligibility == "verified":
        from ..verification.service import is_verified
        if not is_verified(actor):
            raise Forbidden(_l("Only verified solvers may enter this bounty. Verify your identity first."))
    elif task.eligibility == "invited" and not task_policies.is_invited(actor, task):
        raise Forbidden(_l("Only invited solvers may enter this bounty."))


def submit(actor, task: Task, *, text=None, files=None, coauthors=None, now: dt.datetime | None = None,
           replaces: Submission | None = None) -> Submission:
    """File an entry: text and/or files (checked by content and size), optional co-authors.
    One live entry per solver: a second one is 409 (replace or withdraw the first)."""
    now = now or utcnow()
    task_policies.require_view(actor, task)
    _check_can_submit(actor, task, now)
    text = _check_text(text)
    authors = _authors(actor, parse_coauthors(coauthors))
    if not text and not [f for f in (files or []) if f is not None and getattr(f, "filename", "")]:
        raise ValidationFailed(errors={"text": [_l("Describe your solution or attach files.")]})
    if replaces is None:
        live = db.session.scalar(db.select(Submission.id).where(
            Submission.task_id == task.id, Submission.solver_id == actor.id,
            Submission.status.in_(LIVE_STATUSES)))
        if live is not None:
            raise Conflict(_l("You already have an entry for this bounty; replace or withdraw it."))
    stored = _store_files(files)
    sha = receipts.fingerprint(text, [s.sha256 for s in stored], now)
    sub = Submission(task_id=task.id, solver_id=actor.id, text=text, sha256=sha, received_at=now,
                     status="submitted", replaces_id=replaces.id if replaces else None)
    sub.files = [SubmissionFile(path=s.path, name=s.name, size=s.size, sha256=s.sha256, mime=s.mime)
                 for s in stored]
    sub.authors = [SubmissionAuthor(user_id=uid, share_bps=share) for uid, share in authors]
    db.session.add(sub)
    try:
        db.session.flush()
    except Exception:
        _discard(stored)
        raise
    _notify_judges(task, "bounty.submitted")
    return sub


def replace(actor, sub: Submission, *, text=None, files=None, coauthors=None,
            now: dt.datetime | None = None) -> Submission:
    """Withdraw the entry and file a new one in its place (a new fingerprint; the old receipt
    stays valid). Co-authors carry over unless given again."""
    now = now or utcnow()
    policies.require_submitter(actor, sub)
    task = get_bounty(sub.task_id, lock=True)
    sub = get_submission(sub.public_id, lock=True)
    if sub.status not in CONTENDING_STATUSES:
        raise WrongState(_l("Only an entry still under consideration can be replaced."))
    _check_can_submit(actor, task, now)
    if coauthors in (None, ""):  # the co-authors carry over; the submitter keeps what they leave
        coauthors = [{"user_id": a.user_id, "share_bps": a.share_bps}
                     for a in db.session.scalars(db.select(SubmissionAuthor)
                                                 .where(SubmissionAuthor.submission_id == sub.id))
                     if a.user_id != actor.id] or None
    _check_text(text)
    sub.status = "withdrawn"
    sub.withdrawn_at = now
    db.session.flush()
    return submit(actor, task, text=text, files=files, coauthors=coauthors, now=now, replaces=sub)


def withdraw(actor, sub: Submission, *, now: dt.datetime | None = None) -> Submission:
    now = now or utcnow()
    policies.require_submitter(actor, sub)
    task = get_bounty(sub.task_id, lock=True)
    sub = get_submission(sub.public_id, lock=True)
    if sub.status not in CONTENDING_STATUSES:
        raise WrongState(_l("Only an entry still under consideration can be withdrawn."))
    if task.status != "open" or (task.submission_deadline and task.submission_deadline <= now):
        raise WrongState(_l("Entries can be withdrawn only until the submission deadline."))
    sub.status = "withdrawn"
    sub.withdrawn_at = now
    return sub


# --- judging ------------------------------------------------------------------------------------

def _judgeable(actor, sub: Submission) -> Task:
    task = get_bounty(sub.task_id)
    policies.require_see(actor, sub, task)
    policies.require_judge(actor, task)
    if task.status not in ("open", "selecting"):
        raise WrongState(_l("Entries can be judged only while the bounty is open or being judged."))
    return task


def _reason(value, field: str = "reason", maximum: int = REASON_MAX) -> str:
    value = value.strip() if isinstance(value, str) else ""
    if not value:
        raise ValidationFailed(errors={field: [_l("Give a reason.")]})
    if len(value) > maximum:
        raise ValidationFailed(errors={field: [_l("At most %(max)s characters.", max=maximum)]})
    return value


def mark_eligible(actor, sub: Submission, *, now: dt.datetime | None = None) -> Submission:
    task = _judgeable(actor, sub)
    sub = get_submission(sub.public_id, lock=True)
    if sub.status not in ("submitted", "eligible"):
        raise WrongState(_l("Only an entry under consideration can be marked eligible."))
    sub.status = "eligible"
    sub.reason = None
    sub.decided_at = now or utcnow()
    _notify_authors(sub, "bounty.eligible", task)
    return sub


def reject(actor, sub: Submission, reason, *, now: dt.datetime | None = None) -> Submission:
    """Mark an entry ineligible (piece bounties: rejected) with a reason its authors read."""
    reason = _reason(reason)
    task = _judgeable(actor, sub)
    sub = get_submission(sub.public_id, lock=True)
    if sub.status not in CONTENDING_STATUSES:
        raise WrongState(_l("Only an entry under consideration can be rejected."))
    sub.status = "rejected" if task.prize_structure == "piece" else "ineligible"
    sub.reason = reason
    sub.shortlisted = False
    sub.decided_at = now or utcnow()
    _notify_authors(sub, "bounty.ineligible", task, reason=reason)
    return sub


def set_note(actor, sub: Submission, note) -> Submission:
    task = get_bounty(sub.task_id)
    policies.require_see(actor, sub, task)
    policies.require_judge(actor, task)
    note = note.strip() if isinstance(note, str) else ""
    if len(note) > NOTE_MAX:
        raise ValidationFailed(errors={"note": [_l("At most %(max)s characters.", max=NOTE_MAX)]})
    sub.note = note or None
    return sub


def set_shortlisted(actor, sub: Submission, on: bool) -> Submission:
    _judgeable(actor, sub)
    if on and sub.status not in CONTENDING_STATUSES:
        raise WrongState(_l("Only an entry under consideration can be shortlisted."))
    sub.shortlisted = bool(on)
    return sub


def _prize_holds(task: Task) -> dict[int, list[str]]:
    """Open prize holds by rank: the prize itself and any top-ups of it."""
    base = f"{escrow_ref(task)}:prize:"
    by_rank: dict[int, list[str]] = {}
    for hold in ledger.escrow_holds(escrow_ref(task)):
        if hold.is_open and hold.ref.startswith(base):
            rank = int(hold.ref[len(base):].split(":")[0])
            by_rank.setdefault(rank, []).append(hold.ref)
    return by_rank


def _hold_amount(ref: str) -> int:
    return ledger.get_hold(ref).amount


def _pay(task: Task, sub: Submission, hold_ref: str, actor, key: str) -> int:
    """Release one hold to the entry's authors (co-authors by their shares). Returns the gross."""
    authors = list(db.session.scalars(db.select(SubmissionAuthor).where(SubmissionAuthor.submission_id == sub.id)
                                      .order_by(SubmissionAuthor.id)))
    amount = _hold_amount(hold_ref)
    if len(authors) <= 1:
        ledger.release(hold_ref, db.session.get(User, sub.solver_id), idempotency_key=key, actor=actor,
                       category=task.category)
    else:
        users = {u.id: u for u in db.session.scalars(db.select(User).where(User.id.in_([a.user_id for a in authors])))}
        ledger.release_shared(hold_ref, [(users[a.user_id], a.share_bps) for a in authors], idempotency_key=key,
                              actor=actor, category=task.category)
    return amount


def _parse_awards(task: Task, awards) -> list[tuple[Submission, int]]:
    if not isinstance(awards, list) or not awards:
        raise ValidationFailed(errors={"awards": [_l("Choose at least one winner.")]})
    prizes = list(task.prizes or [])
    result, seen_subs, seen_ranks = [], set(), set()
    for item in awards:
        if not isinstance(item, dict):
            raise ValidationFailed(errors={"awards": [_l("Each award names an entry and a rank.")]})
        sid, rank = item.get("submission_id"), item.get("rank")
        if isinstance(rank, str) and rank.isdigit():
            rank = int(rank)
        if isinstance(rank, bool) or not isinstance(rank, int) or not 1 <= rank <= len(prizes):
            raise ValidationFailed(errors={"awards": [_l("A rank must be from 1 to %(n)s.", n=len(prizes))]})
        if not isinstance(sid, str):
            raise ValidationFailed(errors={"awards": [_l("Unknown entry.")]})
        sub = db.session.scalar(db.select(Submission).where(Submission.public_id == sid,
                                                            Submission.task_id == task.id))
        if sub is None:
            raise ValidationFailed(errors={"awards": [_l("Unknown entry.")]})
        if sub.status not in CONTENDING_STATUSES:
            raise ValidationFailed(errors={"awards": [_l("Only an eligible entry can win.")]})
        if sub.id in seen_subs or rank in seen_ranks:
            raise ValidationFailed(errors={"awards": [_l("Each entry and each rank may be chosen once.")]})
        seen_subs.add(sub.id)
        seen_ranks.add(rank)
        result.append((sub, rank))
    contenders = db.session.scalar(db.select(db.func.count(Submission.id)).where(
        Submission.task_id == task.id, Submission.status.in_(CONTENDING_STATUSES))) or 0
    needed = min(len(prizes), contenders)
    if seen_ranks != set(range(1, needed + 1)):
        raise ValidationFailed(errors={"awards": [
            _l("Award the prizes 1 to %(n)s: every prize goes to an eligible entry while there are enough.",
               n=needed)]})
    return sorted(result, key=lambda p: p[1])


def award(actor, task: Task, awards, *, now: dt.datetime | None = None, operator: bool = False,
          reason: str | None = None) -> Task:
    """Pick the winners of a single or ranked bounty (the poster's side while selecting, an
    operator in review): prizes minus the fee go to the winners' wallets at once, prizes left
    empty return to the payer's wallet, everyone who entered is told. A second award is 409."""
    now = now or utcnow()
    if operator:
        from ..accounts.policies import require_operator
        require_operator(actor)
    else:
        task_policies.require_view(actor, task)
        policies.require_judge(actor, task)
    task = get_bounty(task.id, lock=True)
    if task.prize_structure == "piece":
        raise WrongState(_l("A piece bounty pays entries one by one as they are accepted."))
    expected = ("review",) if operator else ("selecting",)
    if task.status not in expected:
        if task.status == "open" and not operator:
            raise WrongState(_l("Winners are chosen after the submission deadline."))
        raise WrongState(_l("The winners of this bounty have already been chosen or it is closed."))
    if not operator and task.submission_deadline and now > selection_ends_at(task):
        raise WrongState(_l("The selection window has ended."))
    chosen = _parse_awards(task, awards)
    transitions.move(task, "awarded", expected=expected)
    holds = _prize_holds(task)
    winners, total = [], 0
    for sub, rank in chosen:
        gross = 0
        for ref in holds.pop(rank, []):
            gross += _pay(task, sub, ref, actor, key=f"bounty:award:{ref}")
        sub.status = "winner"
        sub.rank = rank
        sub.paid_amount = gross
        sub.decided_at = now
        total += gross
        winners.append({"submission_id": sub.public_id, "rank": rank, "amount": gross,
                        "user_ids": sorted(policies.author_ids(sub))})
    returned = 0
    for refs in holds.values():
        for ref in refs:
            returned += _hold_amount(ref)
            ledger.refund(ref, idempotency_key=f"bounty:unawarded:{ref}", actor=actor)
    db.session.flush()
    _close_escrow_amount(task)
    _notify_results(task, winners)
    if returned:
        _notify_payer(task, "bounty.refunded", amount=format_money(returned, task.currency))
    if operator:
        _close_review(task, actor, "awarded", reason, now)
        for user in _judge_users(task):
            notify(user, "bounty.closed", link=f"/tasks/{task.id}/results", task=task.title,
                   reason=str(_l("an operator chose the winners by your criteria")) + (f": {reason}" if reason else ""))
    events.bounty_awarded.send(task, task=task, winners=winners, amount=total)
    return task


def accept_piece(actor, sub: Submission, *, now: dt.datetime | None = None) -> Submission:
    """Accept one entry of a piece bounty and pay it at once, up to the maximum number of pieces
    (the task row lock serialises concurrent accepts; the piece number is unique per task)."""
    now = now or utcnow()
    task = get_bounty(sub.task_id)
    policies.require_see(actor, sub, task)
    policies.require_judge(actor, task)
    task = get_bounty(sub.task_id, lock=True)
    sub = get_submission(sub.public_id, lock=True)
    if task.prize_structure != "piece":
        raise WrongState(_l("Only entries of a piece bounty are accepted one by one."))
    if task.status not in ("open", "selecting"):
        raise WrongState(_l("This bounty no longer accepts entries."))
    if sub.status not in CONTENDING_STATUSES:
        raise WrongState(_l("This entry was already decided."))
    base = f"{escrow_ref(task)}:piece:"
    open_pieces = sorted((h for h in ledger.escrow_holds(escrow_ref(task)) if h.is_open and h.ref.startswith(base)),
                         key=lambda h: int(h.ref[len(base):].split(":")[0]))
    if not open_pieces:
        raise WrongState(_l("All pieces of this bounty are already paid."))
    hold = open_pieces[0]
    piece_no = int(hold.ref[len(base):].split(":")[0])
    sub.status = "accepted"
    sub.piece_no = piece_no
    sub.decided_at = now
    db.session.flush()
    sub.paid_amount = _pay(task, sub, hold.ref, actor, key=f"bounty:accept:{hold.ref}")
    _close_escrow_amount(task)
    _notify_authors(sub, "bounty.piece_accepted", task, prize=format_money(sub.paid_amount, task.currency))
    if len(open_pieces) == 1:  # the cap is reached: nothing is left to pay
        transitions.move(task, "awarded", expected=(task.status,))
        jobs.cancel(DEADLINE_TIMER, _ref(task))
        jobs.cancel(SELECTION_TIMER, _ref(task))
    events.piece_accepted.send(task, task=task, submission=sub, amount=sub.paid_amount)
    return sub


def _close_escrow_amount(task: Task) -> None:
    task.escrow_amount = ledger.escrow_balance(escrow_ref(task))


# --- raising the reward, extending the deadline -------------------------------------------------

def amend(actor, task: Task, *, prizes=None, max_pieces=None, submission_deadline=None,
          now: dt.datetime | None = None) -> Task:
    """While open: raise prizes (each at least as before, still descending) or the number of
    pieces, paid into escrow from the payer's wallet at once; extend the submission deadline.
    Lowering or shortening is refused with a field error; every participant is told."""
    now = now or utcnow()
    task_policies.require_view(actor, task)
    policies.require_judge(actor, task)
    task = get_bounty(task.id, lock=True)
    if task.status != "open":
        raise WrongState(_l("Only an open bounty can be changed."))
    errors: dict[str, list] = {}
    top_ups: list[tuple[str, int]] = []
    changes = []
    new_prizes = None
    if prizes not in (None, "", []) and task.prize_structure != "piece":
        old = list(task.prizes or [])
        if not isinstance(prizes, list) or any(isinstance(p, bool) or not isinstance(p, int) or p <= 0
                                               for p in prizes):
            errors["prizes"] = [_l("Enter a list of amounts.")]
        elif len(prizes) < len(old) or any(new < was for new, was in zip(prizes, old, strict=False)):
            errors["prizes"] = [_l("A prize can be raised, never lowered or removed.")]
        elif task.prize_structure == "single" and len(prizes) != 1:
            errors["prizes"] = [_l("A single-winner bounty has exactly one prize.")]
        elif any(a < b for a, b in zip(prizes, prizes[1:], strict=False)):
            errors["prizes"] = [_l("A lower rank may not win more than a higher one.")]
        elif sum(prizes) > MAX_AMOUNT:
            errors["prizes"] = [_l("The amount is too large.")]
        elif prizes != old:
            new_prizes = prizes
            ref = escrow_ref(task)
            for rank, amount in enumerate(prizes, start=1):
                was = old[rank - 1] if rank <= len(old) else 0
                if amount > was:
                    suffix = f":top:{int(now.timestamp() * 1000)}" if was else ""
                    top_ups.append((f"{ref}:prize:{rank}{suffix}", amount - was))
            changes.append(str(_l("the prizes are now %(prizes)s",
                                  prizes=", ".join(format_money(p, task.currency) for p in prizes))))
    new_pieces = None
    if max_pieces not in (None, "") and task.prize_structure == "piece":
        if isinstance(max_pieces, bool) or not isinstance(max_pieces, int) or max_pieces <= 0:
            errors["max_pieces"] = [_l("Enter a whole number.")]
        elif max_pieces < (task.max_pieces or 0):
            errors["max_pieces"] = [_l("The number of pieces can be raised, never lowered.")]
        elif max_pieces > 1000 or max_pieces * task.unit_price > MAX_AMOUNT:
            errors["max_pieces"] = [_l("The amount is too large.")]
        elif max_pieces != task.max_pieces:
            new_pieces = max_pieces
            ref = escrow_ref(task)
            top_ups += [(f"{ref}:piece:{n}", task.unit_price) for n in range((task.max_pieces or 0) + 1, max_pieces + 1)]
            changes.append(str(_l("up to %(n)s pieces are paid", n=max_pieces)))
    new_deadline = None
    if submission_deadline not in (None, ""):
        when = submission_deadline
        if not isinstance(when, dt.datetime):
            errors["submission_deadline"] = [_l("Enter a valid date and time.")]
        else:
            if when.tzinfo is not None:
                when = when.astimezone(dt.timezone.utc).replace(tzinfo=None)
            if when < task.submission_deadline:
                errors["submission_deadline"] = [_l("The deadline can be extended, never shortened.")]
            elif when <= now:
                errors["submission_deadline"] = [_l("The time must be in the future.")]
            elif when != task.submission_deadline:
                new_deadline = when
                changes.append(str(_l("entries are taken until %(when)s", when=when.strftime("%Y-%m-%d %H:%M UTC"))))
    if errors:
        raise ValidationFailed(errors=errors)
    if not changes:
        raise ValidationFailed(errors={"prizes" if task.prize_structure != "piece" else "max_pieces":
                                       [_l("Nothing to change.")]})
    if top_ups:
        from ..tasks.funding import TaskFundable
        payer = TaskFundable(task).payer
        amount = sum(a for _r, a in top_ups)
        try:
            ledger.move_wallet_to_escrow(escrow_ref(task), payer, amount, task.currency,
                                         idempotency_key=f"bounty:topup:{task.id}:{now.isoformat()}",
                                         actor=actor, holds=top_ups)
        except ValidationFailed:
            field = "max_pieces" if task.prize_structure == "piece" else "prizes"
            raise ValidationFailed(errors={field: [_l("The wallet balance is not enough to raise the reward by "
                                                      "%(amount)s.", amount=format_money(amount, task.currency))]}) \
                from None
        task.escrow_amount = (task.escrow_amount or 0) + amount
    if new_prizes is not None:
        task.prizes = list(new_prizes)
    if new_pieces is not None:
        task.max_pieces = new_pieces
    if new_deadline is not None:
        task.submission_deadline = new_deadline
        jobs.schedule(DEADLINE_TIMER, _ref(task), new_deadline)
    task.updated_at = now
    _notify_participants(task, "bounty.changed", change="; ".join(changes))
    return task


# --- deadlines ----------------------------------------------------------------------------------

def _ref(task: Task) -> str:
    return jobs.subject_ref("task", task.id)


def on_task_published(task: Task) -> None:
    if task.mode == "bounty" and task.submission_deadline is not None:
        jobs.schedule(DEADLINE_TIMER, _ref(task), task.submission_deadline)


def refuse_cancel_with_entries(task: Task) -> None:
    if task.mode == "bounty" and live_count(task):
        raise WrongState(_l("A bounty with entries cannot be cancelled; choose the winners, or it goes to "
                            "operator review."))


def _refund_rest(task: Task, key: str, actor=None) -> int:
    """Return every open hold of the bounty to the payer's wallet; the amount returned."""
    left = ledger.escrow_balance(escrow_ref(task))
    if left:
        ledger.refund_escrow(escrow_ref(task), idempotency_key=key, actor=actor)
    task.escrow_amount = 0
    if left:
        _notify_payer(task, "bounty.refunded", amount=format_money(left, task.currency))
        events.bounty_refunded.send(task, task=task, amount=left)
    return left


def deadline_passed(subject: str, now: dt.datetime) -> None:
    """Timer: submissions close. No live entries → full refund; else → selecting, and the
    selection window's timer starts."""
    _name, pk = jobs.parse_subject_ref(subject)
    task = get_bounty(pk, lock=True)
    if task.status != "open":
        raise WrongState("not open")
    if task.submission_deadline and task.submission_deadline > now:
        jobs.schedule(DEADLINE_TIMER, subject, task.submission_deadline)  # extended meanwhile
        return
    if not live_count(task):
        transitions.move(task, "refunded", expected=("open",))
        _refund_rest(task, key=f"bounty:no-entries:{task.id}")
        return
    transitions.move(task, "selecting", expected=("open",))
    until = selection_ends_at(task)
    jobs.schedule(SELECTION_TIMER, subject, until)
    from ..core.money import WhenParam  # read in the reader's time zone
    _notify_judges(task, "bounty.selecting", until=WhenParam(until))


def selection_ended(subject: str, now: dt.datetime) -> None:
    """Timer: the selection window ends. Piece: the unspent remainder returns. Single / ranked
    without a choice: eligible entries → operator review (never a silent refund); none → refund."""
    _name, pk = jobs.parse_subject_ref(subject)
    task = get_bounty(pk, lock=True)
    if task.status != "selecting":
        raise WrongState("not selecting")
    contenders = db.session.scalar(db.select(db.func.count(Submission.id)).where(
        Submission.task_id == task.id, Submission.status.in_(CONTENDING_STATUSES))) or 0
    if task.prize_structure == "piece":
        accepted = db.session.scalar(db.select(db.func.count(Submission.id)).where(
            Submission.task_id == task.id, Submission.status == "accepted")) or 0
        if accepted:
            transitions.move(task, "awarded", expected=("selecting",))
            _refund_rest(task, key=f"bounty:piece-rest:{task.id}")
            _notify_participants(task, "bounty.closed", reason=str(_l("the unspent pieces went back to the poster")))
            return
        if not contenders:
            transitions.move(task, "refunded", expected=("selecting",))
            _refund_rest(task, key=f"bounty:none-eligible:{task.id}")
            return
    elif not contenders:
        transitions.move(task, "refunded", expected=("selecting",))
        _refund_rest(task, key=f"bounty:none-eligible:{task.id}")
        _notify_participants(task, "bounty.closed", reason=str(_l("no eligible entries; the reward went back")))
        return
    transitions.move(task, "review", expected=("selecting",))
    db.session.add(BountyReview(task_id=task.id, status="open", opened_at=now))
    _notify_participants(task, "bounty.review", include_payer=True)


# --- operator review ----------------------------------------------------------------------------

def open_reviews(limit: int = 50) -> list[BountyReview]:
    return list(db.session.scalars(db.select(BountyReview).where(BountyReview.status == "open")
                                   .options(selectinload(BountyReview.task))
                                   .order_by(BountyReview.opened_at, BountyReview.id).limit(limit)))


def get_review(review_id) -> BountyReview:
    try:
        review = db.session.get(BountyReview, int(review_id))
    except (TypeError, ValueError):
        review = None
    if review is None:
        raise NotFound()
    return review


def _require_review_operator(actor, task: Task) -> None:
    from ..accounts.policies import require_operator
    require_operator(actor)
    if policies.poster_side(actor, task):
        raise Forbidden(_l("Nobody decides an operator item about their own task."))


def review_award(actor, review: BountyReview, awards, reason=None, *, now: dt.datetime | None = None) -> Task:
    """The operator chooses by the published criteria: winners by rank (single / ranked), or the
    entries to accept (piece: each paid a piece, the rest of the reward refunded)."""
    task = get_bounty(review.task_id)
    _require_review_operator(actor, task)
    reason = (reason or "").strip() or None
    if task.prize_structure == "piece":
        return _review_accept_pieces(actor, task, awards, reason, now or utcnow())
    return award(actor, task, awards, now=now, operator=True, reason=reason)


def _review_accept_pieces(actor, task: Task, awards, reason, now: dt.datetime) -> Task:
    task = get_bounty(task.id, lock=True)
    if task.status != "review":
        raise WrongState(_l("This review was already decided."))
    if not isinstance(awards, list) or not awards or any(not isinstance(a, dict) for a in awards):
        raise ValidationFailed(errors={"awards": [_l("Choose at least one winner.")]})
    ids = [a.get("submission_id") for a in awards]
    if len(set(map(str, ids))) != len(ids):
        raise ValidationFailed(errors={"awards": [_l("Each entry and each rank may be chosen once.")]})
    subs = []
    for sid in ids:
        sub = db.session.scalar(db.select(Submission).where(Submission.public_id == str(sid),
                                                            Submission.task_id == task.id).with_for_update())
        if sub is None:
            raise ValidationFailed(errors={"awards": [_l("Unknown entry.")]})
        if sub.status not in CONTENDING_STATUSES:
            raise ValidationFailed(errors={"awards": [_l("Only an eligible entry can win.")]})
        subs.append(sub)
    base = f"{escrow_ref(task)}:piece:"
    pieces = sorted((h for h in ledger.escrow_holds(escrow_ref(task)) if h.is_open and h.ref.startswith(base)),
                    key=lambda h: int(h.ref[len(base):].split(":")[0]))
    if len(subs) > len(pieces):
        raise ValidationFailed(errors={"awards": [_l("At most %(n)s entries can be accepted.", n=len(pieces))]})
    transitions.move(task, "awarded", expected=("review",))
    winners, total = [], 0
    for sub, hold in zip(subs, pieces, strict=False):
        sub.status = "accepted"
        sub.piece_no = int(hold.ref[len(base):].split(":")[0])
        sub.decided_at = now
        db.session.flush()
        sub.paid_amount = _pay(task, sub, hold.ref, actor, key=f"bounty:accept:{hold.ref}")
        total += sub.paid_amount
        winners.append({"submission_id": sub.public_id, "rank": None, "amount": sub.paid_amount,
                        "user_ids": sorted(policies.author_ids(sub))})
    _refund_rest(task, key=f"bounty:review-rest:{task.id}", actor=actor)
    _close_review(task, actor, "awarded", reason, now)
    _notify_results(task, winners)
    for user in _judge_users(task):
        notify(user, "bounty.closed", link=f"/tasks/{task.id}/results", task=task.title,
               reason=str(_l("an operator chose the winners by your criteria")) + (f": {reason}" if reason else ""))
    events.bounty_awarded.send(task, task=task, winners=winners, amount=total)
    return task


def review_refund(actor, review: BountyReview, reason, *, now: dt.datetime | None = None) -> Task:
    """The operator finds no entry meets the criteria: everything goes back, with a written reason
    every participant reads."""
    reason = _reason(reason)
    now = now or utcnow()
    task = get_bounty(review.task_id)
    _require_review_operator(actor, task)
    task = get_bounty(review.task_id, lock=True)
    transitions.move(task, "refunded", expected=("review",))
    _refund_rest(task, key=f"bounty:review-refund:{task.id}", actor=actor)
    _close_review(task, actor, "refunded", reason, now)
    _notify_participants(task, "bounty.closed", reason=reason)
    return task


def _close_review(task: Task, actor, outcome: str, reason, now) -> None:
    changed = db.session.execute(
        db.update(BountyReview).where(BountyReview.task_id == task.id, BountyReview.status == "open")
        .values(status=outcome, decided_at=now, decided_by_id=actor.id, reason=reason)
        .execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        raise WrongState(_l("This review was already decided."))
    from ..core.audit import record
    record(f"bounty_review.{outcome}", actor=actor, target=task, reason=reason)


# --- notifications ------------------------------------------------------------------------------

def _link(task: Task) -> str:
    return f"/tasks/{task.id}"


def _judge_users(task: Task) -> list[User]:
    ids = {task.poster_id}
    if task.org_id is not None:
        from ..organisations.models import Membership
        ids |= set(db.session.scalars(db.select(Membership.user_id).where(
            Membership.org_id == task.org_id, Membership.role.in_(("owner", "manager")))))
    return list(db.session.scalars(db.select(User).where(User.id.in_(ids))))


def _notify_judges(task: Task, kind: str, **params) -> None:
    for user in _judge_users(task):
        notify(user, kind, link=f"/tasks/{task.id}/judging", task=task.title, **params)


def _notify_payer(task: Task, kind: str, **params) -> None:
    notify(db.session.get(User, task.poster_id), kind, link=_link(task), task=task.title, **params)


def _notify_authors(sub: Submission, kind: str, task: Task, **params) -> None:
    for user in db.session.scalars(db.select(User).where(User.id.in_(policies.author_ids(sub)))):
        notify(user, kind, link=f"/submissions/{sub.public_id}", task=task.title, **params)


def participant_ids(task: Task) -> set[int]:
    authored = db.session.scalars(db.select(SubmissionAuthor.user_id).join(
        Submission, Submission.id == SubmissionAuthor.submission_id).where(Submission.task_id == task.id))
    ids = set(authored) | set(db.session.scalars(db.select(Submission.solver_id).where(Submission.task_id == task.id)))
    ids |= set(db.session.scalars(db.select(TaskInvite.solver_id).where(TaskInvite.task_id == task.id)))
    return ids


def _notify_participants(task: Task, kind: str, *, include_payer: bool = False, **params) -> None:
    ids = participant_ids(task)
    if include_payer:
        ids |= {u.id for u in _judge_users(task)}
    for user in db.session.scalars(db.select(User).where(User.id.in_(ids))):
        notify(user, kind, link=_link(task), task=task.title, **params)


def _notify_results(task: Task, winners: list[dict]) -> None:
    prize_of = {}
    for w in winners:
        for uid in w["user_ids"]:
            prize_of[uid] = w["amount"]
    for user in db.session.scalars(db.select(User).where(User.id.in_(participant_ids(task)))):
        if user.id in prize_of:
            notify(user, "bounty.won", link=f"/tasks/{task.id}/results", task=task.title,
                   prize=format_money(prize_of[user.id], task.currency))
        else:
            notify(user, "bounty.not_won", link=f"/tasks/{task.id}/results", task=task.title)
