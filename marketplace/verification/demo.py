"""Demo verifications for `flask demo load` (idempotent): approved identities for the demo
solvers, approved organisations, and one identity request left pending for the operator queue.
Every number carries a correct check digit computed by core.ids."""
from __future__ import annotations

import io

from flask import current_app
from werkzeug.datastructures import FileStorage

from ..accounts import service as accounts
from ..accounts.models import User
from ..core import ids
from ..extensions import db
from ..organisations.models import Membership
from . import service

# user key -> (real name, first 17 digits of the resident ID number)
IDENTITIES = {
    "solver_li": ("李明", "42011119930512301"),
    "solver_wang": ("王芳", "42011119950820402"),
    "solver_zhao": ("赵强", "42050219881103151"),
}
PENDING_IDENTITY = ("poster_home", "刘秀兰", "42010619650218202")

# org key -> (first 17 characters of the USCC)
ORGANISATIONS = {
    "donghu_park": "12420000MB0A12345",
    "chuguang": "91420100MA4KL7G2X",
    "jinggong": "91420500MA48Q1234",
}

_LICENCE_PDF = (b"%PDF-1.4\n% demo business licence\n1 0 obj<< /Type /Catalog >>endobj\n"
                b"trailer<< /Root 1 0 R >>\n%%EOF\n")


def _operator(context):
    users = context.get("users", {})
    return users.get("operator") or db.session.scalar(
        db.select(User).where(User.role.in_(("operator", "admin"))).order_by(User.id).limit(1))


def _user(context, key):
    user = context.get("users", {}).get(key)
    if user is None:
        user = accounts.find_by_email({"solver_li": "solver.li@huizhong.example",
                                       "solver_wang": "solver.wang@huizhong.example",
                                       "solver_zhao": "solver.zhao@huizhong.example",
                                       "poster_home": "household@huizhong.example"}[key])
    return user


def load(context: dict) -> None:
    with current_app.test_request_context("/"):  # notification links are built with url_for
        _load(context)


def _load(context: dict) -> None:
    operator = _operator(context)
    for key, (name, body) in IDENTITIES.items():
        user = _user(context, key)
        if user is None or service.latest_for_user(user) is not None:
            continue
        number = body + ids.resident_id_check_char(body)
        req = service.submit_individual(user, real_name=name, id_number=number)
        if operator is not None:
            service.approve(operator, req)

    key, name, body = PENDING_IDENTITY
    user = _user(context, key)
    if user is not None and service.latest_for_user(user) is None:
        service.submit_individual(user, real_name=name, id_number=body + ids.resident_id_check_char(body))

    orgs = context.get("orgs", {})
    for org_key, body in ORGANISATIONS.items():
        org = orgs.get(org_key)
        if org is None or service.latest_for_org(org) is not None:
            continue
        owner = db.session.scalar(
            db.select(User).join(Membership, Membership.user_id == User.id)
            .where(Membership.org_id == org.id, Membership.role == "owner").order_by(Membership.id).limit(1))
        if owner is None or operator is None:
            continue
        licence = FileStorage(stream=io.BytesIO(_LICENCE_PDF), filename="营业执照.pdf",
                              content_type="application/pdf")
        req = service.submit_org(owner, org, org_name=org.name, uscc=body + ids.uscc_check_char(body),
                                 licence=licence)
        service.approve(operator, req)
    db.session.flush()
