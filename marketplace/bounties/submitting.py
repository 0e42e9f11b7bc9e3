"""Submitting an entry into the vault (text, files, co-authors), replacing and withdrawing it."""
from __future__ import annotations

import datetime as dt
import json
import os

from flask import current_app
from flask_babel import lazy_gettext as _l

from ..accounts.models import User
from ..accounts.policies import ensure_not_blocklisted
from ..core.db import utcnow
from ..core.errors import Conflict, Forbidden, ValidationFailed, WrongState
from ..core.files import ATTACHMENT_KINDS, KINDS, delete_stored, open_stored, store_upload
from ..extensions import db
from ..tasks import policies as task_policies
from ..tasks.models import Task
from ..verification.service import is_verified
from . import policies, receipts
from .loading import COAUTHORS_MAX, FILES_MAX, TEXT_MAX, get_bounty, get_submission
from .models import (
    CONTENDING_STATUSES,
    LIVE_STATUSES,
    Submission,
    SubmissionAuthor,
    SubmissionFile,
)
from .notices import _notify_judges


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
