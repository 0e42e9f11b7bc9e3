"""Payments JSON API: fundings, wallet, payouts, and the operator's bank transfer and payout
decisions. Money POSTs honour Idempotency-Key. Amounts are integers in minor units."""
from __future__ import annotations

from flask import current_app, jsonify, request
from flask_babel import lazy_gettext as _l

from ..api import api_route, api_user, encode_cursor, json_body, page_params
from ..api.idempotency import idempotent
from ..api.schema import described
from ..core import four_eyes
from ..core.db import iso
from ..core.errors import NotFound, ValidationFailed
from ..core.inputs import MAX_ID
from ..extensions import db
from ..organisations import policies as org_policies
from ..organisations.models import Organisation
from . import fundables, payout_accounts, service
from .bank_transfers import CONFIRM_ACTION
from .funding import default_currency
from .models import FUNDING_METHODS
from .payouts import APPROVE_ACTION


def bank_details() -> dict:
    cfg = current_app.config
    return {"account_name": cfg.get("BANK_ACCOUNT_NAME"), "account_number": cfg.get("BANK_ACCOUNT_NUMBER"),
            "bank_name": cfg.get("BANK_NAME")}


def serialize_funding(funding, *, client_secret: str | None = None) -> dict:
    data = {
        "id": funding.id, "kind": funding.subject_kind, "subject_id": funding.subject_id,
        "object": funding.subject_ref, "title": funding.title, "method": funding.method,
        "status": funding.status, "amount": funding.amount, "currency": funding.currency,
        "payer_id": funding.payer_user_id, "user_id": funding.payer_user_id,
        "created_at": iso(funding.created_at), "funded_at": iso(funding.funded_at),
    }
    if funding.method == "bank_transfer":
        data["reference"] = funding.reference
        data["bank_account"] = bank_details()
        data["received_amount"] = funding.received_amount
    if funding.method == "card":
        data["payment_intent_id"] = funding.payment_intent_id
        secret = client_secret or funding.client_secret
        if secret:
            data["client_secret"] = secret
            data["publishable_key"] = current_app.config.get("STRIPE_PUBLISHABLE_KEY") or None
    if funding.failure_message:
        data["failure_message"] = funding.failure_message
    return data


def serialize_bank_transfer(funding) -> dict:
    """An item of the operator queue's `bank_transfers`."""
    return {"id": funding.id, "reference": funding.reference, "amount": funding.amount,
            "currency": funding.currency, "object": funding.subject_ref, "title": funding.title,
            "user_id": funding.payer_user_id, "status": funding.status,
            "received_amount": funding.received_amount, "created_at": iso(funding.created_at)}


def serialize_flagged(funding) -> dict:
    """An item of the operator queue's `flagged_payments`."""
    return {**serialize_funding(funding), "flag_reason": funding.flag_text, "flag_code": funding.flag_code}


def serialize_payout(payout) -> dict:
    return {"id": payout.id, "user_id": payout.user_id, "org_id": payout.org_id, "amount": payout.amount,
            "currency": payout.currency, "status": payout.status, "channel": payout.channel,
            "reference": payout.reference, "reason": payout.reason,
            "created_at": iso(payout.created_at), "decided_at": iso(payout.decided_at),
            "paid_at": iso(payout.paid_at)}


def serialize_line(line) -> dict:
    return {"id": line.id, "at": iso(line.at), "kind": line.kind, "amount": line.amount,
            "balance_after": line.balance_after, "ref": line.ref}


def method_field() -> dict:
    """A funding method, as the platform offers them now (card only with Stripe configured)."""
    return described("string!", enum=service.available_methods())


def _payout_amount() -> dict:
    return described("amount!", minimum=int(current_app.config.get("PAYOUT_MIN_AMOUNT", 1000)),
                     description="minor units, at least PAYOUT_MIN_AMOUNT, at most the available balance "
                                 "and what PAYOUT_DAILY_LIMIT leaves today")


def _amount_from(body: dict, field: str = "amount") -> int:
    if field not in body or body[field] is None:
        raise ValidationFailed(errors={field: [_l("Enter an amount.")]})
    return service.check_amount(body[field], field)


def _string(body: dict, field: str, *, required: bool = True) -> str | None:
    value = body.get(field)
    if value is None or value == "":
        if required:
            raise ValidationFailed(errors={field: [_l("This field is required.")]})
        return None
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise ValidationFailed(errors={field: [_l("Not a valid value.")]})
    return str(value)


@api_route("/fundings", methods=["POST"], summary="Start funding a fundable subject",
           body={"kind": lambda: described("string!", enum=sorted(fundables.kinds()),
                                           description="task | milestone | wallet (a top-up), …"),
                 "subject_id": {"type": ["integer", "string"], "required": True, "minimum": 1, "maximum": MAX_ID,
                                "minLength": 1, "x-checked-by": "service", "description": "the id of the subject"},
                 "method": {"type": "string", "enum": list(FUNDING_METHODS), "required": True},
                 "amount": described("amount")},
           tags=["payments"], idempotent=True, status=201,
           description="method: card | bank_transfer | wallet. card returns client_secret (confirm it "
                       "with Stripe.js); bank_transfer returns the reference and the account to pay; "
                       "wallet is funded at once. amount only for subjects without a fixed amount.")
@idempotent
def create_funding():
    user = api_user()
    body = json_body()
    errors = {}
    kind = subject_id = method = None
    for field in ("kind", "subject_id", "method"):
        try:
            value = _string(body, field)
        except ValidationFailed as exc:
            errors.update(exc.errors)
            continue
        if field == "kind":
            kind = value
        elif field == "subject_id":
            subject_id = value
        else:
            method = value
    if errors:
        raise ValidationFailed(errors=errors)
    amount = _amount_from(body) if body.get("amount") is not None else None
    funding = service.start_funding(user, kind, subject_id, method, amount=amount)
    return jsonify(serialize_funding(funding)), 201


@api_route("/fundings/<id:funding_id>", summary="A funding (payer or operator)", tags=["payments"])
def get_funding(funding_id):
    user = api_user()
    funding = service.get_funding(user, funding_id)
    return jsonify(serialize_funding(funding))


@api_route("/wallet", summary="My wallet: balances and ledger lines with running balance",
           query={"limit": "limit", "cursor": "cursor"}, tags=["payments"])
def get_wallet():
    user = api_user()
    limit, cursor = page_params(default=50)
    data = service.wallet(user, limit=limit, before_id=(cursor or {}).get("before"))
    lines = data.pop("lines")
    data["lines"] = [serialize_line(line) for line in lines]
    data["next_cursor"] = encode_cursor({"before": lines[-1].id}) if len(lines) == limit else None
    return jsonify(data)


@api_route("/payouts", methods=["POST"], summary="Request a payout of available balance",
           body={"amount": _payout_amount,
                 "currency": lambda: described("string", enum=[default_currency()])},
           tags=["payments"], idempotent=True,
           status=201)
@idempotent
def create_payout():
    user = api_user()
    body = json_body()
    amount = _amount_from(body)
    currency = _string(body, "currency", required=False)
    payout = service.request_payout(user, amount, currency)
    return jsonify(serialize_payout(payout)), 201


@api_route("/payouts", summary="My payouts, newest first", tags=["payments"])
def list_payouts():
    user = api_user()
    return jsonify({"items": [serialize_payout(p) for p in service.payouts_of(user, limit=100)],
                    "next_cursor": None})


def _managed_org(user, org_id):
    """The organisation whose wallet the caller manages; 404 to anyone else (members included)."""
    org = db.session.get(Organisation, org_id)
    if org is None:
        raise NotFound()
    org_policies.require_can_see_wallet(user, org)
    return org


def serialize_payout_account(account) -> dict | None:
    """Where payouts go, masked as on the pages."""
    if account is None:
        return None
    return {"bank_name": account.bank_name, "holder_name": account.holder_name,
            "account_number": account.masked_number, "updated_at": iso(account.updated_at)}


@api_route("/orgs/<id:org_id>/wallet", summary="An organisation's wallet (owners and managers)",
           query={"limit": "limit", "cursor": "cursor"}, tags=["payments", "organisations"])
def get_org_wallet(org_id):
    user = api_user()
    org = _managed_org(user, org_id)
    limit, cursor = page_params(default=50)
    data = service.wallet(org, limit=limit, before_id=(cursor or {}).get("before"))
    lines = data.pop("lines")
    data["lines"] = [serialize_line(line) for line in lines]
    data["next_cursor"] = encode_cursor({"before": lines[-1].id}) if len(lines) == limit else None
    data["payout_account"] = serialize_payout_account(payout_accounts.payout_account_of(org))
    data["verified"] = service.is_org_verified(org)
    return jsonify(data)


@api_route("/orgs/<id:org_id>/payouts", methods=["POST"],
           summary="Request a payout of the organisation's available balance (owners and managers)",
           body={"amount": _payout_amount, "currency": lambda: described("string", enum=[default_currency()])},
           tags=["payments", "organisations"],
           idempotent=True, status=201,
           description="The organisation must be verified; the same minimum and daily limit as a user's "
                       "payout. An operator approves it; it is paid to the organisation's payout account.")
@idempotent
def create_org_payout(org_id):
    user = api_user()
    org = _managed_org(user, org_id)
    body = json_body()
    amount = _amount_from(body)
    currency = _string(body, "currency", required=False)
    payout = service.request_org_payout(user, org, amount, currency)
    return jsonify(serialize_payout(payout)), 201


@api_route("/orgs/<id:org_id>/payouts", summary="The organisation's payouts, newest first",
           tags=["payments", "organisations"])
def list_org_payouts(org_id):
    user = api_user()
    org = _managed_org(user, org_id)
    return jsonify({"items": [serialize_payout(p) for p in service.org_payouts_of(org, limit=100)],
                    "next_cursor": None})


PAYOUT_ACCOUNT_BODY = {
    "bank_name": described("text!", maxLength=100),
    "account_number": described("string!", pattern=r"^[0-9]{%d,%d}$" % (payout_accounts.ACCOUNT_MIN,
                                                                           payout_accounts.ACCOUNT_MAX),
                                description="digits (spaces and dashes are dropped)"),
    "holder_name": described("text!", maxLength=100),
}


@api_route("/orgs/<id:org_id>/payout-account", methods=["PUT"],
           summary="Where the organisation's payouts go by bank transfer (shown masked)",
           body=PAYOUT_ACCOUNT_BODY,
           tags=["payments", "organisations"])
def put_org_payout_account(org_id):
    user = api_user()
    org = _managed_org(user, org_id)
    body = json_body()
    account = payout_accounts.save_payout_account(
        user, org, bank_name=body.get("bank_name"), account_number=body.get("account_number"),
        holder_name=body.get("holder_name"))
    return jsonify(serialize_payout_account(account))


@api_route("/wallet/payout-account", methods=["PUT"],
           summary="Where my payouts go by bank transfer (shown masked)",
           body=PAYOUT_ACCOUNT_BODY,
           tags=["payments"])
def put_payout_account():
    user = api_user()
    body = json_body()
    account = payout_accounts.save_payout_account(
        user, user, bank_name=body.get("bank_name"), account_number=body.get("account_number"),
        holder_name=body.get("holder_name"))
    return jsonify(serialize_payout_account(account))


@api_route("/orgs/<id:org_id>/connected-account", methods=["PUT"],
           summary="Send the organisation's payouts to a Stripe account",
           body={"account_id": described("string!", pattern=r"^\s*acct_", maxLength=255)},
           tags=["payments", "organisations"])
def put_org_connected_account(org_id):
    user = api_user()
    org = _managed_org(user, org_id)
    account = service.set_connected_account(user, _string(json_body(), "account_id") or "", org=org)
    return jsonify({"account_id": account.stripe_account_id})


@api_route("/wallet/connected-account", methods=["PUT"], summary="Send my payouts to a Stripe account",
           body={"account_id": described("string!", pattern=r"^\s*acct_", maxLength=255)}, tags=["payments"])
def put_connected_account():
    user = api_user()
    body = json_body()
    account = service.set_connected_account(user, _string(body, "account_id") or "")
    return jsonify({"account_id": account.stripe_account_id})


@api_route("/operator/bank-transfers", operator=True, query={"reference": "text!"},
           summary="Find a bank transfer by the reference on the bank statement",
           tags=["operator", "payments"])
def find_bank_transfers():
    api_user()
    reference = request.args.get("reference", "")
    if not reference.strip():
        raise ValidationFailed(errors={"reference": [_l("Enter a reference.")]})
    funding = service.find_bank_transfer(reference)
    items = [serialize_bank_transfer(funding)] if funding is not None else []
    return jsonify({"items": items, "next_cursor": None})


# Four eyes: the answer when this was the first of two confirmations (core.four_eyes).
SECOND_CONFIRMATION = (
    "Recorded as the first of two confirmations: the amount is above FOUR_EYES_AMOUNT, so a second, "
    "different operator must confirm the same amount; nothing moved yet",
    {"second_confirmation": {"type": "object", "required": ["required", "first_operator_id", "amount"],
                             "properties": {"required": {"type": "boolean"},
                                            "first_operator_id": {"type": "integer"},
                                            "amount": {"type": "integer"}}}})


@api_route("/operator/bank-transfers/<id:transfer_id>/confirm", methods=["POST"], operator=True,
           summary="Record the amount received for a bank transfer (exact amount funds; else mismatch)",
           body={"amount": described("amount!")}, tags=["operator", "payments"], idempotent=True,
           responses={202: SECOND_CONFIRMATION})
@idempotent
def confirm_bank_transfer(transfer_id):
    user = api_user()
    amount = _amount_from(json_body())
    funding = service.confirm_bank_transfer(user, transfer_id, amount)
    return _with_second_confirmation(serialize_funding(funding), CONFIRM_ACTION, funding)


@api_route("/operator/payouts/<id:payout_id>/approve", methods=["POST"], operator=True,
           summary="Approve and send a payout", body={"reference": described("string", maxLength=200)},
           tags=["operator", "payments"], idempotent=True, responses={202: SECOND_CONFIRMATION})
@idempotent
def approve_payout(payout_id):
    user = api_user()
    reference = _string(json_body(), "reference", required=False)
    payout = service.approve_payout(user, payout_id, reference)
    return _with_second_confirmation(serialize_payout(payout), APPROVE_ACTION, payout)


def _with_second_confirmation(data: dict, action: str, target):
    """202 with `second_confirmation` when the action waits for a second operator (four eyes)."""
    first = four_eyes.pending(action, target)
    if first is None:
        return jsonify(data)
    data["second_confirmation"] = {"required": True, "first_operator_id": first.first_operator_id,
                                   "amount": first.amount}
    return jsonify(data), 202


@api_route("/operator/payouts/<id:payout_id>/reject", methods=["POST"], operator=True,
           summary="Reject a payout (the money returns to the wallet)", body={"reason": described("text!", maxLength=500)},
           tags=["operator", "payments"], idempotent=True)
@idempotent
def reject_payout(payout_id):
    user = api_user()
    reason = _string(json_body(), "reason") or ""
    payout = service.reject_payout(user, payout_id, reason)
    return jsonify(serialize_payout(payout))



@api_route("/operator/fundings/<id:funding_id>/review", methods=["POST"], operator=True,
           summary="Record what was done about a flagged payment", body={"note": described("text!", maxLength=500)},
           tags=["operator", "payments"])
def review_flagged_funding(funding_id):
    user = api_user()
    funding = service.review_flag(user, funding_id, _string(json_body(), "note") or "")
    return jsonify({**serialize_funding(funding), "flag_reason": funding.flag_text, "flag_code": funding.flag_code,
                    "flag_note": funding.flag_note, "flag_reviewed_at": iso(funding.flag_reviewed_at)})
