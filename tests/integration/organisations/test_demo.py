"""The demo organisations and verifications load twice without duplicating anything."""
from marketplace.accounts import demo as accounts_demo
from marketplace.core import db as unit
from marketplace.core import ids
from marketplace.extensions import db
from marketplace.organisations import demo as orgs_demo
from marketplace.organisations.models import Membership, Organisation
from marketplace.verification import demo as verification_demo
from marketplace.verification import service as verification
from marketplace.verification.models import VerificationRequest

from .helpers import count


def _load_all():
    context = {}
    for module in (accounts_demo, orgs_demo, verification_demo):
        module.load(context)
        unit.commit()
    return context


def test_demo_is_idempotent_and_leaves_one_request_pending():
    context = _load_all()
    counts = (count(Organisation), count(Membership), count(VerificationRequest))
    _load_all()
    assert (count(Organisation), count(Membership), count(VerificationRequest)) == counts

    orgs = context["orgs"]
    assert {"donghu_park", "chuguang", "jinggong", "maker_team"} <= set(orgs)
    assert (orgs["donghu_park"].kind, orgs["donghu_park"].city) == ("university", "wuhan-donghu")
    assert orgs["jinggong"].city == "yichang"
    assert orgs["maker_team"].kind == "team"
    for key in ("donghu_park", "chuguang", "jinggong"):
        assert verification.is_org_verified(orgs[key])
    users = context["users"]
    assert verification.verified_user_ids([users[k].id for k in ("solver_li", "solver_wang", "solver_zhao")]) == {
        users["solver_li"].id, users["solver_wang"].id, users["solver_zhao"].id}
    pending = db.session.scalars(db.select(VerificationRequest).where(VerificationRequest.status == "pending")).all()
    assert len(pending) == 1 and pending[0].user_id == users["poster_home"].id
    # the demo numbers carry correct check digits
    for _name, body in verification_demo.IDENTITIES.values():
        assert ids.is_valid_resident_id(body + ids.resident_id_check_char(body))
    for body in verification_demo.ORGANISATIONS.values():
        assert ids.is_valid_uscc(body + ids.uscc_check_char(body))
