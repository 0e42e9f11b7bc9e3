"""Factories for organisations and verification. Each commits, so requests see the rows."""
from __future__ import annotations

import io
import itertools

from marketplace.core import ids
from marketplace.extensions import db
from marketplace.organisations.models import Membership, Organisation
from marketplace.verification import numbers
from marketplace.verification.models import VerificationRequest

_seq = itertools.count(1)


def make_org(owner=None, *, name: str | None = None, kind: str = "enterprise", city: str | None = "wuhan-donghu",
             members: dict | None = None) -> Organisation:
    """An organisation; `owner` becomes its owner, `members` maps users to roles."""
    n = next(_seq)
    org = Organisation(name=name or f"Org {n}", kind=kind, city=city, description="",
                       created_by_id=owner.id if owner else None)
    db.session.add(org)
    db.session.flush()
    if owner is not None:
        db.session.add(Membership(org_id=org.id, user_id=owner.id, role="owner"))
    for user, role in (members or {}).items():
        db.session.add(Membership(org_id=org.id, user_id=user.id, role=role))
    db.session.commit()
    return org


def resident_id(body17: str | None = None) -> str:
    """A resident ID number with a correct GB 11643 check digit (a fresh one unless body17 is given)."""
    if body17 is None:
        n = next(_seq)
        body17 = f"4201021990{n // 1000 % 12 + 1:02d}{n // 12000 % 28 + 1:02d}{n % 1000:03d}"
    return body17 + ids.resident_id_check_char(body17)


def wrong_check_digit(number: str) -> str:
    last = number[-1]
    return number[:-1] + ("0" if last != "0" else "1")


def uscc(body17: str | None = None) -> str:
    """A unified social credit code with a correct GB 32100 check character (fresh unless given)."""
    if body17 is None:
        body17 = f"91420100MA4K{next(_seq):05d}"
    return body17 + ids.uscc_check_char(body17)


PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf_file(name: str = "licence.pdf", data: bytes = PDF_BYTES):
    return io.BytesIO(data), name


def make_verification(user, *, number: str | None = None, status: str = "pending", org=None,
                      name: str = "张三", decided_by=None, reason: str | None = None) -> VerificationRequest:
    """A verification request written directly (no file is stored for organisation requests)."""
    subject = "organisation" if org is not None else "individual"
    kind = "uscc" if org is not None else "resident_id"
    number = number or (uscc() if org is not None else resident_id())
    req = VerificationRequest(
        subject=subject, user_id=user.id, org_id=org.id if org else None, name=name,
        masked_number=numbers.masked(number), number_digest=numbers.digest(kind, number), status=status,
        reason=reason if status != "rejected" else (reason or "unreadable"),
        licence_path="licences/none.pdf" if org is not None else None,
        licence_token=f"tok{next(_seq)}" if org is not None else None,
        licence_name="licence.pdf" if org is not None else None, licence_mime="application/pdf",
        decided_by_id=decided_by.id if decided_by else None)
    db.session.add(req)
    db.session.commit()
    return req
