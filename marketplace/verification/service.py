"""Verification: submit, approve, reject; and the status other domains ask about.

    is_verified(user) -> bool            identity approved
    is_org_verified(org) -> bool         organisation approved
    verified_user_ids(ids) -> set[int]   one query for a list page
    verified_user_selects(ids), verified_org_select(ids)   the same rules, for a caller's own query
    user_verification(user) -> {"status": none|pending|approved|rejected, "masked_number": str|None}

Only the masked number and a keyed digest (numbers.digest) are stored, never the number itself,
and the number is never logged.
"""
from __future__ import annotations

import logging
import secrets
from functools import cache

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from ..accounts.models import User
from ..core import audit, links
from ..core.db import conditional_update, iso, sql_constant, utcnow
from ..core.errors import Conflict, Forbidden, NotFound, ValidationFailed, WrongState, field_error
from ..core.files import DOCUMENT_KINDS, delete_stored, detect_kind, store_upload
from ..extensions import db
from ..notifications.service import notify, register_kind
from ..organisations.duties import ensure_not_own_item
from ..organisations.models import Membership
from ..organisations.policies import can_act_for
from ..organisations.service import orgs_for_user
from . import events, numbers
from .models import VerificationRequest

log = logging.getLogger(__name__)

register_kind("verification.approved", _l("Your verification (%(name)s) was approved."))
register_kind("verification.rejected", _l("Your verification (%(name)s) was rejected: %(reason)s"))

STATUS_NAMES = {"none": _l("Not verified"), "pending": _l("Verification pending"),
                "approved": _l("Verified"), "rejected": _l("Verification rejected")}

_LIVE = ("pending", "approved")


def status_name(status: str) -> str:
    return str(STATUS_NAMES.get(status, status))


# --- reading --------------------------------------------------------------------------------------

def latest_for_user(user) -> VerificationRequest | None:
    """The user's latest identity (individual) request."""
    if user is None or not getattr(user, "id", None):
        return None
    return db.session.scalar(
        db.select(VerificationRequest)
        .where(VerificationRequest.user_id == user.id, VerificationRequest.subject == "individual")
        .order_by(VerificationRequest.id.desc()).limit(1))


def latest_for_org(org) -> VerificationRequest | None:
    if org is None:
        return None
    return db.session.scalar(
        db.select(VerificationRequest)
        .where(VerificationRequest.org_id == org.id, VerificationRequest.subject == "organisation")
        .order_by(VerificationRequest.id.desc()).limit(1))


def _summary(req) -> dict:
    if req is None:
        return {"status": "none", "masked_number": None}
    return {"status": req.status, "masked_number": req.masked_number}


def user_verification(user) -> dict:
    return _summary(latest_for_user(user))


def org_verification(org) -> dict:
    return _summary(latest_for_org(org))


def org_details(_sender=None, *, org) -> dict:
    """organisations.events.org_details receiver: the organisation's verification."""
    return {"verification": org_verification(org)}


def is_verified(user) -> bool:
    """Identity approved (or, for an organisation account, an owned organisation approved)."""
    if user is None or not getattr(user, "id", None):
        return False
    return bool(verified_user_ids([user.id]))


def verified_user_selects(user_ids) -> list:
    """The rule of a verified user, as SELECTs of one column (the user's id) among `user_ids` (an
    expanding bind parameter or a list): an approved identity, or for organisation accounts, an
    organisation they own with approved verification. A user may appear in both (or twice).
    The rule's constants are in the SQL text (sql_constant): list pages run these every time."""
    requests, members, users = VerificationRequest.__table__.c, Membership.__table__.c, User.__table__.c
    approved = sql_constant("approved")
    approved_orgs = db.select(requests.org_id).where(requests.subject == sql_constant("organisation"),
                                                     requests.status == approved)
    return [
        db.select(requests.user_id).where(requests.user_id.in_(user_ids),
                                          requests.subject == sql_constant("individual"),
                                          requests.status == approved),
        db.select(members.user_id).join_from(Membership.__table__, User.__table__, users.id == members.user_id)
        .where(members.user_id.in_(user_ids), members.role == sql_constant("owner"),
               users.account_type == sql_constant("organization"), members.org_id.in_(approved_orgs)),
    ]


def verified_org_select(org_ids):
    """The rule of a verified organisation, as a SELECT of the ids among `org_ids`."""
    requests = VerificationRequest.__table__.c
    return db.select(requests.org_id).where(requests.org_id.in_(org_ids),
                                            requests.subject == sql_constant("organisation"),
                                            requests.status == sql_constant("approved"))


@cache
def _verified_users_statement():
    """Built once: each call only binds its ids (SQLAlchemy's compiled form is reused)."""
    return db.union_all(*verified_user_selects(db.bindparam("ids", expanding=True)))


@cache
def _verified_orgs_statement():
    return verified_org_select(db.bindparam("ids", expanding=True))


def verified_user_ids(user_ids) -> set[int]:
    """Which of these users are verified (one query, whatever the number of users)."""
    ids = {int(i) for i in user_ids if i is not None}
    if not ids:
        return set()
    return set(db.session.execute(_verified_users_statement(), {"ids": sorted(ids)}).scalars())


def verified_user_condition(user_id, account_type):
    """`verified_user_ids` as a condition inside a query about the user whose id and account
    type are the SQL expressions given: an approved identity, or an organisation account owning an
    organisation with approved verification (each an indexed lookup by the user's id)."""
    identity = db.select(VerificationRequest.id).where(
        VerificationRequest.user_id == user_id, VerificationRequest.subject == "individual",
        VerificationRequest.status == "approved").exists()
    approved_orgs = db.select(VerificationRequest.org_id).where(
        VerificationRequest.subject == "organisation", VerificationRequest.status == "approved")
    organisation = db.select(Membership.id).where(
        Membership.user_id == user_id, Membership.role == "owner", Membership.org_id.in_(approved_orgs)).exists()
    return db.or_(identity, db.and_(account_type == "organization", organisation))


def is_org_verified(org) -> bool:
    if org is None:
        return False
    return bool(verified_org_ids([org.id]))


def verified_org_ids(org_ids) -> set[int]:
    ids = {int(i) for i in org_ids if i is not None}
    if not ids:
        return set()
    return set(db.session.execute(_verified_orgs_statement(), {"ids": sorted(ids)}).scalars())


def get_request(request_id) -> VerificationRequest:
    req = db.session.get(VerificationRequest, request_id)
    if req is None:
        raise NotFound()
    return req


def pending(limit: int = 50) -> list[VerificationRequest]:
    return list(db.session.scalars(
        db.select(VerificationRequest).where(VerificationRequest.status == "pending")
        .order_by(VerificationRequest.id).limit(limit)))


def earlier_requests(req) -> list[VerificationRequest]:
    """The same person's (or organisation's) other requests, newest first, for the reviewer."""
    q = db.select(VerificationRequest).where(VerificationRequest.id != req.id,
                                             VerificationRequest.subject == req.subject)
    if req.subject == "organisation":
        q = q.where(VerificationRequest.org_id == req.org_id)
    else:
        q = q.where(VerificationRequest.user_id == req.user_id)
    return list(db.session.scalars(q.order_by(VerificationRequest.id.desc()).limit(20)))


def licence_by_token(token: str) -> VerificationRequest:
    req = db.session.scalar(db.select(VerificationRequest).where(VerificationRequest.licence_token == token))
    if req is None or not req.licence_path:
        raise NotFound()
    return req


def can_see_licence(user, req) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(getattr(user, "is_operator", False) or (req.org is not None and can_act_for(user, req.org)))


def record_licence_view(user, req) -> None:
    """Operators opening someone's licence leave a trace in the audit log."""
    if getattr(user, "is_operator", False) and not (req.org is not None and can_act_for(user, req.org)):
        audit.record("verification.licence_view", actor=user, target=req, org_id=req.org_id)


# --- submitting -----------------------------------------------------------------------------------

def _number_in_use(subject: str, digest: str, *, user_id=None, org_id=None) -> bool:
    """The same number is pending or approved for another person / organisation."""
    q = db.select(VerificationRequest.id).where(
        VerificationRequest.subject == subject, VerificationRequest.number_digest == digest,
        VerificationRequest.status.in_(_LIVE))
    if subject == "individual":
        q = q.where(VerificationRequest.user_id != user_id)
    else:
        q = q.where(VerificationRequest.org_id != org_id)
    return db.session.scalar(q.limit(1)) is not None


def _require_no_live(latest) -> None:
    if latest is None:
        return
    if latest.status == "pending":
        raise WrongState(_l("A verification request is already waiting for review."))
    if latest.status == "approved":
        raise WrongState(_l("This account is already verified."))


def _insert(req: VerificationRequest) -> VerificationRequest:
    """Insert under a savepoint: the partial unique index refuses a second pending request
    that a concurrent submission slipped in."""
    try:
        with db.session.begin_nested():
            db.session.add(req)
    except IntegrityError:
        raise WrongState(_l("A verification request is already waiting for review.")) from None
    return req


def submit_individual(user, *, real_name: str, id_number: str) -> VerificationRequest:
    """Identity verification: real name + resident ID number (checked per GB 11643)."""
    real_name = (real_name or "").strip()
    errors = {}
    if not real_name:
        errors["real_name"] = [_l("Enter your name as on your ID card.")]
    elif len(real_name) > 50:
        errors["real_name"] = [_l("At most 50 characters.")]
    problem = numbers.resident_id_problem(id_number)
    if problem:
        errors["id_number"] = [problem]
    if errors:
        raise ValidationFailed(errors=errors)
    _require_no_live(latest_for_user(user))
    digest = numbers.digest("resident_id", id_number)
    if _number_in_use("individual", digest, user_id=user.id):
        raise field_error("id_number", _l("This ID number is already used by another account."))
    return _insert(VerificationRequest(subject="individual", user_id=user.id, name=real_name,
                                       masked_number=numbers.masked(id_number), number_digest=digest,
                                       status="pending"))


def _licence_problem(file):
    """The error store_upload would give, without writing anything (used when other fields
    already failed, so every bad field is named at once and nothing reaches the disk)."""
    if file is None or not getattr(file, "filename", ""):
        return _l("Choose a file.")
    max_bytes = current_app.config["LICENCE_MAX_BYTES"]
    data = file.read(max_bytes + 1)
    file.seek(0)
    if not data:
        return _l("The file is empty.")
    if len(data) > max_bytes:
        return _l("The file is larger than %(size)s MB.", size=round(max_bytes / 1024 / 1024, 1))
    if detect_kind(data[:512], DOCUMENT_KINDS) is None:
        return _l("This file type is not accepted (allowed: %(types)s).",
                  types=", ".join(k.upper() for k in DOCUMENT_KINDS))
    return None


def submit_org(user, org, *, org_name: str, uscc: str, licence) -> VerificationRequest:
    """Organisation verification: registered name + USCC (GB 32100) + business licence file."""
    if org is None:
        raise field_error("org_id", _l("Choose an organisation."))
    if not can_act_for(user, org):
        raise Forbidden(_l("Only owners and managers can verify an organisation."))
    org_name = (org_name or "").strip()
    errors = {}
    if not org_name:
        errors["org_name"] = [_l("Enter the registered name of the organisation.")]
    elif len(org_name) > 200:
        errors["org_name"] = [_l("At most 200 characters.")]
    problem = numbers.uscc_problem(uscc)
    if problem:
        errors["uscc"] = [problem]
    if errors:
        file_problem = _licence_problem(licence)
        if file_problem:
            errors["licence"] = [file_problem]
        raise ValidationFailed(errors=errors)
    _require_no_live(latest_for_org(org))
    digest = numbers.digest("uscc", uscc)
    if _number_in_use("organisation", digest, org_id=org.id):
        raise field_error("uscc", _l("This credit code is already used by another organisation."))
    kinds_check = _licence_problem(licence)
    if kinds_check:
        raise field_error("licence", kinds_check)
    stored = store_upload(licence, field="licence", kinds=DOCUMENT_KINDS,
                          max_bytes=current_app.config["LICENCE_MAX_BYTES"], subdir="licences")
    try:
        return _insert(VerificationRequest(
            subject="organisation", user_id=user.id, org_id=org.id, name=org_name,
            masked_number=numbers.masked(uscc), number_digest=digest, status="pending",
            licence_token=secrets.token_urlsafe(24), licence_path=stored.path, licence_name=stored.name,
            licence_mime=stored.mime, licence_size=stored.size, licence_sha256=stored.sha256))
    except WrongState:
        _remove_file(stored.path)  # a concurrent request won; keep no orphan licence
        raise


def _remove_file(rel: str) -> None:
    try:
        delete_stored(rel)
    except (OSError, ValueError):
        log.warning("could not remove an unused licence file")


# --- deciding (operators) -------------------------------------------------------------------------

def _decide(req, status: str, operator, reason=None) -> VerificationRequest:
    now = utcnow()
    conditional_update(VerificationRequest, req, "pending", message=_l("This request has already been decided."),
                       status=status, decided_at=now, decided_by_id=operator.id, reason=reason)
    return req


def _link_for(req) -> str:
    if req.subject == "organisation" and req.org_id:
        return links.org(req.org_id)
    return links.url("verification.index")


def approve(operator, req) -> VerificationRequest:
    if req.status != "pending":
        raise WrongState(_l("This request has already been decided."))
    ensure_not_own_item(operator, user_ids=[req.user_id], org_ids=[req.org_id])
    taken = db.session.scalar(
        db.select(VerificationRequest.id).where(
            VerificationRequest.subject == req.subject, VerificationRequest.number_digest == req.number_digest,
            VerificationRequest.status == "approved", VerificationRequest.id != req.id).limit(1))
    if taken is not None:
        raise Conflict(_l("This number is already verified for another account."))
    try:
        with db.session.begin_nested():
            _decide(req, "approved", operator)
    except IntegrityError:
        raise Conflict(_l("This number is already verified for another account.")) from None
    audit.record("verification.approve", actor=operator, target=req, subject=req.subject,
                 user_id=req.user_id, org_id=req.org_id, masked_number=req.masked_number)
    notify(req.user, "verification.approved", link=_link_for(req), name=req.name)
    events.verification_approved.send(VerificationRequest, request=req)
    return req


def reject(operator, req, reason: str) -> VerificationRequest:
    reason = (reason or "").strip()
    if not reason:
        raise field_error("reason", _l("Give the reason for the rejection."))
    if len(reason) > 1000:
        raise field_error("reason", _l("At most 1000 characters."))
    if req.status != "pending":
        raise WrongState(_l("This request has already been decided."))
    ensure_not_own_item(operator, user_ids=[req.user_id], org_ids=[req.org_id])
    _decide(req, "rejected", operator, reason)
    audit.record("verification.reject", actor=operator, target=req, subject=req.subject,
                 user_id=req.user_id, org_id=req.org_id, reason=reason)
    notify(req.user, "verification.rejected", link=_link_for(req), name=req.name, reason=reason)
    return req


# --- hooks for accounts -------------------------------------------------------------------------

def account_verification(user) -> dict:
    """The verification shown for an account: identity for individuals; for organisation
    accounts, the organisation they own (when they have not verified an identity themselves)."""
    summary = user_verification(user)
    if summary["status"] == "none" and getattr(user, "account_type", None) == "organization":
        owned = [org_verification(org) for org, role in orgs_for_user(user) if role == "owner"]
        if owned:
            approved = [v for v in owned if v["status"] == "approved"]
            summary = (approved or owned)[0]
    return summary


def me_verification(_sender=None, *, user) -> dict:
    """accounts.events.me_payload receiver: the verification of /api/v1/me."""
    return {"verification": account_verification(user)}


def profile_section(_sender=None, *, user):
    """accounts.events.profile_sections receiver: the verification badge on the public profile."""
    summary = account_verification(user)
    return "verification/_profile_badge.html", {"verification": summary, "user_id": user.id,
                                                "verification_label": status_name(summary["status"])}


def serialize(req, *, with_licence: bool = False) -> dict:
    data = {"id": req.id, "subject": req.subject, "user_id": req.user_id, "org_id": req.org_id,
            "name": req.name, "masked_number": req.masked_number, "status": req.status,
            "reason": req.reason, "created_at": iso(req.created_at), "decided_at": iso(req.decided_at)}
    if with_licence and req.licence_token:
        data["licence"] = {"name": req.licence_name, "size": req.licence_size, "mime": req.licence_mime,
                           "sha256": req.licence_sha256,
                           "url": links.url("verification.licence", token=req.licence_token)}
    return data
