"""Organisations: create, invite by email, accept, change roles, remove, leave.

Rules: owners and managers invite and manage members; only owners grant, change or remove the
owner role; an organisation always keeps at least one owner (the last owner can neither leave
nor be demoted nor removed). Counting owners happens under a row lock on the organisation so two
concurrent demotions cannot leave it without one.
"""
from __future__ import annotations

import datetime as dt
import secrets

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from ..accounts.models import User
from ..core import links
from ..core.catalogue import CITIES
from ..core.db import conditional_update, lock_row, utcnow
from ..core.errors import Conflict, Forbidden, NotFound, ValidationFailed, WrongState, field_error
from ..core.events import collect
from ..extensions import db
from ..ledger import service as ledger
from ..notifications.service import _absolute as absolute
from ..notifications.service import notify, register_kind, send_mail
from . import events
from .models import KINDS, ROLES, Membership, Organisation, OrgInvite
from .policies import MANAGING_ROLES, role_of

INVITE_DAYS = 14

register_kind("org.invited", _l("%(inviter)s invited you to join “%(org)s” as %(role)s."))
register_kind("org.invite_accepted", _l("%(member)s joined “%(org)s”."))
register_kind("org.role_changed", _l("Your role in “%(org)s” is now %(role)s."))
register_kind("org.member_removed", _l("You were removed from “%(org)s”."))
register_kind("org.member_left", _l("%(member)s left “%(org)s”."))

ROLE_NAMES = {"owner": _l("owner"), "manager": _l("manager"), "member": _l("member")}
KIND_NAMES = {"enterprise": _l("Enterprise"), "university": _l("University"),
              "institute": _l("Research institute"), "team": _l("Team")}


def role_name(role: str) -> str:
    return str(ROLE_NAMES.get(role, role))


# --- reading --------------------------------------------------------------------------------------

def get_org(org_id) -> Organisation:
    org = db.session.get(Organisation, org_id)
    if org is None:
        raise NotFound()
    return org


def orgs_for_user(user) -> list[tuple[Organisation, str]]:
    """Every organisation the user belongs to, with the user's role, oldest first."""
    if user is None or not getattr(user, "id", None):
        return []
    rows = db.session.execute(
        db.select(Organisation, Membership.role)
        .join(Membership, Membership.org_id == Organisation.id)
        .where(Membership.user_id == user.id)
        .order_by(Organisation.id)
    ).all()
    return [(org, role) for org, role in rows]


def orgs_managed_by(user) -> list[Organisation]:
    """Organisations the user may act for (owner or manager): for "on behalf of" selects."""
    return [org for org, role in orgs_for_user(user) if role in MANAGING_ROLES]


def members_of(org) -> list[Membership]:
    order = db.case({"owner": 0, "manager": 1}, value=Membership.role, else_=2)
    return list(db.session.scalars(
        db.select(Membership).where(Membership.org_id == org.id).order_by(order, Membership.id)))


def managers_of(org) -> list:
    """The owners and managers of the organisation (the users who act for it)."""
    return [m.user for m in members_of(org) if m.role in MANAGING_ROLES]


def member_count(org) -> int:
    return db.session.scalar(
        db.select(db.func.count(Membership.id)).where(Membership.org_id == org.id)) or 0


def open_invites(org) -> list[OrgInvite]:
    now = utcnow()
    return list(db.session.scalars(
        db.select(OrgInvite).where(OrgInvite.org_id == org.id, OrgInvite.accepted_at.is_(None),
                                   OrgInvite.revoked_at.is_(None), OrgInvite.expires_at > now)
        .order_by(OrgInvite.id.desc())))


def get_membership(org, membership_id) -> Membership:
    m = db.session.get(Membership, membership_id)
    if m is None or m.org_id != org.id:
        raise NotFound()
    return m


# --- creating -------------------------------------------------------------------------------------

def create_org(creator, *, name: str, kind: str = "enterprise", city: str | None = None,
               description: str = "") -> Organisation:
    """Create an organisation; the creator becomes its first owner."""
    name = (name or "").strip()
    errors = {}
    if not name:
        errors["name"] = [_l("Enter the name of the organisation.")]
    elif len(name) > 200:
        errors["name"] = [_l("At most 200 characters.")]
    if kind not in KINDS:
        errors["kind"] = [_l("Choose a kind of organisation.")]
    if city:
        if city not in CITIES:
            errors["city"] = [_l("Choose a city from the list.")]
    if errors:
        raise ValidationFailed(errors=errors)
    org = Organisation(name=name, kind=kind, city=city or None, description=(description or "").strip(),
                       created_by_id=creator.id)
    db.session.add(org)
    db.session.flush()
    db.session.add(Membership(org_id=org.id, user_id=creator.id, role="owner"))
    db.session.flush()
    return org


def create_org_for_registration(_sender=None, *, user, form_data) -> Organisation | None:
    """accounts.events.after_register receiver: an `organization` account named at registration
    gets its organisation."""
    data = form_data

    def value(key):
        if isinstance(data, dict):
            return data.get(key)
        field = getattr(data, key, None)
        return getattr(field, "data", field)

    if (value("account_type") or user.account_type) != "organization":
        return None
    name = (value("org_name") or getattr(user, "org_name", None) or "").strip()
    if not name:
        return None
    return create_org(user, name=name[:200], kind="enterprise", city=user.city)


# --- invitations ----------------------------------------------------------------------------------

def invite(actor, org, *, email: str, role: str = "member") -> tuple[OrgInvite, str]:
    """Invite someone by email. Returns the invite and its token (sent only by mail)."""

    actor_role = role_of(actor, org)
    if actor_role not in MANAGING_ROLES:
        raise Forbidden()
    email = (email or "").strip().lower()
    if not email or "@" not in email or len(email) > 254:
        raise field_error("email", _l("Enter a valid email address."))
    if role not in ROLES:
        raise field_error("role", _l("Choose a role."))
    if role == "owner" and actor_role != "owner":
        raise field_error("role", _l("Only an owner can invite another owner."))
    existing = db.session.scalar(db.select(User).where(User.email == email))
    if existing is not None and role_of(existing, org) is not None:
        raise field_error("email", _l("This person is already a member."))
    now = utcnow()
    # A new invitation to the same address replaces any still open one.
    db.session.execute(
        db.update(OrgInvite)
        .where(OrgInvite.org_id == org.id, OrgInvite.email == email,
               OrgInvite.accepted_at.is_(None), OrgInvite.revoked_at.is_(None))
        .values(revoked_at=now))
    token = secrets.token_urlsafe(32)
    inv = OrgInvite(org_id=org.id, email=email, role=role, token_hash=OrgInvite.hash(token),
                    invited_by_id=actor.id, created_at=now, expires_at=now + dt.timedelta(days=INVITE_DAYS))
    db.session.add(inv)
    db.session.flush()
    link = links.url("organisations.accept_invite", token=token)
    subject = gettext("Huizhong: you are invited to join %(org)s", org=org.name)
    body = gettext("%(inviter)s invited you to join “%(org)s” on Huizhong as %(role)s.\n\n"
                   "Accept the invitation (valid for %(days)d days):\n%(link)s",
                   inviter=actor.display_name, org=org.name, role=role_name(role), days=INVITE_DAYS,
                   link=_absolute(link))
    send_mail(email, subject, body)
    if existing is not None:
        notify(existing, "org.invited", link=link, email=False, inviter=actor.display_name,
               org=org.name, role=role)
    return inv, token


def _absolute(link: str) -> str:
    return absolute(link)


def find_invite(token: str) -> OrgInvite:
    inv = db.session.scalar(db.select(OrgInvite).where(OrgInvite.token_hash == OrgInvite.hash(token or "")))
    if inv is None:
        raise NotFound(_l("This invitation does not exist."))
    return inv


def accept_invite(user, token: str) -> Membership:
    inv = find_invite(token)
    if inv.revoked_at is not None or inv.expires_at <= utcnow():
        raise WrongState(_l("This invitation has expired."))
    if inv.accepted_at is not None:
        raise WrongState(_l("This invitation has already been used."))
    if (user.email or "").lower() != inv.email:
        raise Forbidden(_l("This invitation was sent to another email address."))
    if role_of(user, inv.org) is not None:
        raise Conflict(_l("You are already a member of this organisation."))
    # Conditional update: a second, concurrent acceptance of the same invitation changes no row.
    conditional_update(OrgInvite, inv, where=(OrgInvite.accepted_at.is_(None),),
                       message=_l("This invitation has already been used."),
                       accepted_at=utcnow(), accepted_by_id=user.id)
    membership = Membership(org_id=inv.org_id, user_id=user.id, role=inv.role)
    db.session.add(membership)
    db.session.flush()
    db.session.refresh(inv)
    if inv.invited_by is not None and inv.invited_by.id != user.id:
        notify(inv.invited_by, "org.invite_accepted", link=links.url("organisations.members", org_id=inv.org_id),
               member=user.display_name, org=inv.org.name)
    return membership


# --- roles ----------------------------------------------------------------------------------------

def _owner_count(org) -> int:
    return db.session.scalar(
        db.select(db.func.count(Membership.id)).where(Membership.org_id == org.id,
                                                       Membership.role == "owner")) or 0


def _lock(org) -> None:
    lock_row(Organisation, org.id)


def change_role(actor, membership: Membership, role: str) -> Membership:
    org = membership.org
    if role not in ROLES:
        raise field_error("role", _l("Choose a role."))
    _lock(org)
    actor_role = role_of(actor, org)
    if actor_role not in MANAGING_ROLES:
        raise Forbidden()
    if (role == "owner" or membership.role == "owner") and actor_role != "owner":
        raise Forbidden(_l("Only an owner can change an owner's role or make someone an owner."))
    if membership.role == role:
        return membership
    if membership.role == "owner" and _owner_count(org) <= 1:
        raise WrongState(_l("The last owner cannot be demoted. Make someone else an owner first."))
    membership.role = role
    db.session.flush()
    notify(membership.user, "org.role_changed", link=links.url("organisations.show", org_id=org.id),
           org=org.name, role=role)
    return membership


def remove_member(actor, membership: Membership) -> None:
    org = membership.org
    _lock(org)
    actor_role = role_of(actor, org)
    if actor_role not in MANAGING_ROLES:
        raise Forbidden()
    if membership.user_id == actor.id:
        raise WrongState(_l("Use “Leave” to leave the organisation yourself."))
    if membership.role == "owner" and actor_role != "owner":
        raise Forbidden(_l("Only an owner can remove an owner."))
    if membership.role == "owner" and _owner_count(org) <= 1:
        raise WrongState(_l("The last owner cannot be removed."))
    user = membership.user
    db.session.delete(membership)
    db.session.flush()
    notify(user, "org.member_removed", link=links.url("organisations.show", org_id=org.id), org=org.name)


def leave(user, org) -> None:
    _lock(org)
    membership = db.session.scalar(
        db.select(Membership).where(Membership.org_id == org.id, Membership.user_id == user.id))
    if membership is None:
        raise WrongState(_l("You are not a member of this organisation."))
    if membership.role == "owner" and _owner_count(org) <= 1:
        raise WrongState(_l("The last owner cannot leave. Make someone else an owner first."))
    db.session.delete(membership)
    db.session.flush()
    for m in members_of(org):
        if m.role in MANAGING_ROLES:
            notify(m.user, "org.member_left", link=links.url("organisations.members", org_id=org.id),
                   email=False, member=user.display_name, org=org.name)


# --- /api/v1/me -------------------------------------------------------------------------------------

def me_orgs(_sender=None, *, user) -> dict:
    """accounts.events.me_payload receiver: the user's organisations and roles."""
    return {"orgs": [{"id": org.id, "name": org.name, "role": role} for org, role in orgs_for_user(user)]}


def org_wallet(org, currency: str = "CNY", limit: int = 20) -> dict:
    """The organisation's wallet (paid by contracts its members bid for): balances and recent lines."""
    return {**ledger.wallet_summary(org, currency),
            "lines": ledger.wallet_lines(org, currency, limit=limit)}


def org_details(org) -> dict:
    """What other domains know about an organisation (organisations.events.org_details), merged;
    "verification" is always there ({"status": "none"} when nobody answers)."""
    details: dict = {"verification": {"status": "none", "masked_number": None}}
    for answer in collect(events.org_details, org=org):
        details.update(answer)
    return details
