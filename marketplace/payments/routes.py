"""Payments pages: the wallet, funding a subject, a funding's status, and the operator's forms
for bank transfers and payouts."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..accounts.policies import operator_required
from ..core import four_eyes
from ..core.errors import NotFound, ValidationFailed
from ..core.forms import apply_errors
from ..core.inputs import arg_id
from ..core.money import format_money
from ..extensions import db
from ..ledger.labels import KIND_LABELS
from ..organisations import policies as org_policies
from ..organisations.models import Organisation
from . import bank_transfers, fundables, payout_accounts, service
from .api import bank_details
from .bank_transfers import CONFIRM_ACTION
from .forms import (
    ApprovePayoutForm,
    AskPayerForm,
    ConfirmBankTransferForm,
    ConnectedAccountForm,
    CorrectTransferForm,
    FundingForm,
    PayoutAccountForm,
    PayoutRequestForm,
    RejectPayoutForm,
    ReturnTransferForm,
    ReviewFlagForm,
)
from .payouts import APPROVE_ACTION

bp = Blueprint("payments", __name__)



def _wallet_page(payout_form=None, account_form=None, status=200, bank_form=None, org=None):
    """The wallet page of the signed-in user, or (with `org`) of an organisation the user manages."""
    owner = org if org is not None else current_user
    data = service.wallet(owner, limit=50, before_id=arg_id("before"))
    lines = data["lines"]
    here = (lambda **v: url_for("payments.org_wallet", org_id=org.id, **v)) if org is not None else (
        lambda **v: url_for("payments.wallet", **v))
    return render_template(
        "payments/wallet.html", wallet=data, lines=lines, org=org,
        next_url=here(before=lines[-1].id) if len(lines) == 50 else None,
        payouts=service.org_payouts_of(org) if org is not None else service.payouts_of(current_user),
        payout_form=payout_form or PayoutRequestForm(formdata=None),
        account_form=account_form or ConnectedAccountForm(formdata=None),
        bank_form=bank_form or PayoutAccountForm(formdata=None),
        payout_account=payout_accounts.payout_account_of(owner),
        connected=service.connected_account_of(owner),
        card_enabled=service.card_enabled(), kind_labels=KIND_LABELS,
        verified=service.is_org_verified(org) if org is not None else service.is_verified(current_user),
        minimum=current_app.config.get("PAYOUT_MIN_AMOUNT")), status


def _managed_org(org_id):
    org = db.session.get(Organisation, org_id)
    if org is None:
        raise NotFound()
    org_policies.require_can_see_wallet(current_user, org)
    return org


def _back_to_wallet(org):
    if org is not None:
        return redirect(url_for("payments.org_wallet", org_id=org.id), code=303)
    return redirect(url_for("payments.wallet"), code=303)


@bp.get("/wallet")
@login_required
def wallet():
    return _wallet_page()


@bp.get("/orgs/<id:org_id>/wallet")
@login_required
def org_wallet(org_id):
    return _wallet_page(org=_managed_org(org_id))


def _request_payout(org=None):
    form = PayoutRequestForm()
    if not form.validate():
        return _wallet_page(payout_form=form, status=422, org=org)
    try:
        if org is not None:
            service.request_org_payout(current_user, org, form.amount.minor)
        else:
            service.request_payout(current_user, form.amount.minor)
    except ValidationFailed as exc:
        apply_errors(form, exc)
        return _wallet_page(payout_form=form, status=422, org=org)
    flash(_("Your payout request was sent to an operator."), "success")
    return _back_to_wallet(org)


@bp.post("/wallet/payouts")
@login_required
def request_payout():
    return _request_payout()


@bp.post("/orgs/<id:org_id>/wallet/payouts")
@login_required
def request_org_payout(org_id):
    return _request_payout(_managed_org(org_id))


def _payout_account(org=None):
    form = PayoutAccountForm()
    if not form.validate():
        return _wallet_page(bank_form=form, status=422, org=org)
    try:
        payout_accounts.save_payout_account(
            current_user, org if org is not None else current_user, bank_name=form.bank_name.data,
            account_number=form.account_number.data, holder_name=form.holder_name.data)
    except ValidationFailed as exc:
        apply_errors(form, exc)
        return _wallet_page(bank_form=form, status=422, org=org)
    flash(_("Payouts will be sent to this bank account."), "success")
    return _back_to_wallet(org)


@bp.post("/wallet/payout-account")
@login_required
def payout_account():
    return _payout_account()


@bp.post("/orgs/<id:org_id>/wallet/payout-account")
@login_required
def org_payout_account(org_id):
    return _payout_account(_managed_org(org_id))


def _connected_account(org=None):
    form = ConnectedAccountForm()
    if not form.validate():
        return _wallet_page(account_form=form, status=422, org=org)
    try:
        service.set_connected_account(current_user, form.account_id.data, org=org)
    except ValidationFailed as exc:
        apply_errors(form, exc)
        return _wallet_page(account_form=form, status=422, org=org)
    flash(_("Payouts will be transferred to this Stripe account."), "success")
    return _back_to_wallet(org)


@bp.post("/wallet/connected-account")
@login_required
def connected_account():
    return _connected_account()


@bp.post("/orgs/<id:org_id>/wallet/connected-account")
@login_required
def org_connected_account(org_id):
    return _connected_account(_managed_org(org_id))


def _fund_page(kind, subject_id, subject, form, status=200):
    return render_template("payments/fund.html", kind=kind, subject_id=subject_id, subject=subject,
                           form=form, card_enabled=service.card_enabled(),
                           fees=fundables.fees_of(subject) if fundables.is_payer_side(subject, current_user)
                           else None), status


@bp.route("/fund/<kind>/<subject_id>", methods=["GET", "POST"])
@login_required
def fund(kind, subject_id):
    subject = fundables.load(kind, subject_id, viewer=current_user)
    form = FundingForm(methods=service.available_methods() if fundables.target_of(subject) == "escrow"
                       else [m for m in service.available_methods() if m != "wallet"])
    if request.method == "GET":
        if form.method.choices:
            form.method.data = form.method.choices[0][0]
        return _fund_page(kind, subject_id, subject, form)
    if not form.validate():
        return _fund_page(kind, subject_id, subject, form, 422)
    try:
        funding = service.start_funding(current_user, kind, subject_id, form.method.data,
                                        amount=form.amount.minor)
    except ValidationFailed as exc:
        apply_errors(form, exc)
        return _fund_page(kind, subject_id, subject, form, 422)
    if funding.status == "succeeded":
        flash(_("Paid from your wallet."), "success")
    return redirect(url_for("payments.funding_detail", funding_id=funding.id), code=303)


@bp.get("/fundings/<id:funding_id>")
@login_required
def funding_detail(funding_id):
    funding = service.get_funding(current_user, funding_id)
    client_secret = None
    publishable = current_app.config.get("STRIPE_PUBLISHABLE_KEY") or ""
    # Back from Stripe.js: the webhook, not this redirect, marks the payment as paid.
    confirming = (funding.status == "pending" and request.args.get("redirect_status") == "succeeded")
    if funding.method == "card" and publishable and not confirming:
        client_secret = service.client_secret_for(current_user, funding)
    payer_name = None
    if funding.method == "wallet" and funding.payer_org_id:
        org = db.session.get(Organisation, funding.payer_org_id)
        payer_name = _("the wallet of %(org)s", org=org.name) if org else None
    elif funding.method == "wallet":
        payer_name = _("your own wallet")
    return render_template("payments/funding.html", funding=funding, bank=bank_details(),
                           payer_name=payer_name,
                           client_secret=client_secret, publishable_key=publishable,
                           confirming=confirming, back=service.subject_link(funding))


# --- operator -----------------------------------------------------------------------------------

@bp.get("/operator/bank-transfers")
@operator_required
def find_bank_transfer():
    """Jump from a reference read off the bank statement to its transfer."""
    funding = service.find_bank_transfer(request.args.get("reference", ""))
    if funding is None:
        flash(_("No bank transfer has this reference."), "error")
        return redirect(url_for("operator.queue"), code=303)
    return redirect(url_for("payments.confirm_bank_transfer", transfer_id=funding.id), code=303)


def _transfer_page(funding, form=None, *, correct_form=None, return_form=None, ask_form=None,
                   check=None, status=200):
    """The operator's page of one bank transfer: confirm (two steps when the amount differs),
    or, for a mismatch, correct the amount, return the money or ask the payer."""
    return render_template(
        "payments/operator_bank_transfer.html", funding=funding,
        form=form or ConfirmBankTransferForm(formdata=None),
        correct_form=correct_form or CorrectTransferForm(formdata=None),
        return_form=return_form or ReturnTransferForm(formdata=None),
        ask_form=ask_form or AskPayerForm(formdata=None), check=check,
        first=four_eyes.pending(CONFIRM_ACTION, funding),
        subject_link=service.subject_link(funding)), status


@bp.route("/operator/bank-transfers/<id:transfer_id>", methods=["GET", "POST"])
@operator_required
def confirm_bank_transfer(transfer_id):
    funding = service.get_bank_transfer(transfer_id)
    if request.method == "GET":
        return _transfer_page(funding)
    form = ConfirmBankTransferForm()
    if not form.validate():
        return _transfer_page(funding, form, status=422)
    amount = form.amount.minor
    if amount != funding.amount and form.accept_difference.data != str(amount):
        # Step two: show the difference and ask again before recording a mismatch.
        return _transfer_page(funding, form, check={
            "amount": amount, "difference": bank_transfers.difference(funding, amount)})
    try:
        funding = service.confirm_bank_transfer(current_user, transfer_id, amount)
    except ValidationFailed as exc:
        apply_errors(form, exc)
        return _transfer_page(funding, form, status=422)
    if _waits_for_second_operator(CONFIRM_ACTION, funding):
        return redirect(url_for("operator.queue"), code=303)
    if funding.status == "mismatch":
        flash(_("The amount does not match: the transfer stays in the queue as a mismatch until it "
                "is corrected, returned or answered."), "warning")
        return redirect(url_for("payments.confirm_bank_transfer", transfer_id=funding.id), code=303)
    flash(_("Transfer %(reference)s confirmed and funded.", reference=funding.reference), "success")
    return redirect(url_for("operator.queue"), code=303)


def _waits_for_second_operator(action: str, target) -> bool:
    """Four eyes: say so when this confirmation was the first of two."""
    if four_eyes.pending(action, target) is None:
        return False
    flash(_("Your confirmation is recorded. Amounts above %(limit)s need a second operator to "
            "confirm them too.", limit=format_money(four_eyes.threshold(), target.currency)), "info")
    return True


@bp.post("/operator/bank-transfers/<id:transfer_id>/correct")
@operator_required
def correct_bank_transfer(transfer_id):
    funding = service.get_bank_transfer(transfer_id)
    form = CorrectTransferForm()
    if not form.validate():
        return _transfer_page(funding, correct_form=form, status=422)
    try:
        funding = bank_transfers.correct_amount(current_user, transfer_id, form.amount.minor,
                                                form.reason.data)
    except ValidationFailed as exc:
        apply_errors(form, exc)
        return _transfer_page(funding, correct_form=form, status=422)
    if _waits_for_second_operator(CONFIRM_ACTION, funding):
        return redirect(url_for("operator.queue"), code=303)
    if funding.status == "succeeded":
        flash(_("Amount corrected: transfer %(reference)s is confirmed and funded.",
                reference=funding.reference), "success")
        return redirect(url_for("operator.queue"), code=303)
    flash(_("Amount corrected; it still differs from the amount expected."), "warning")
    return redirect(url_for("payments.confirm_bank_transfer", transfer_id=funding.id), code=303)


@bp.post("/operator/bank-transfers/<id:transfer_id>/return")
@operator_required
def return_bank_transfer(transfer_id):
    funding = service.get_bank_transfer(transfer_id)
    form = ReturnTransferForm()
    if not form.validate():
        return _transfer_page(funding, return_form=form, status=422)
    bank_transfers.return_money(current_user, transfer_id, form.reason.data)
    flash(_("Recorded as returned to the payer; the payer was told."), "success")
    return redirect(url_for("operator.queue"), code=303)


@bp.post("/operator/bank-transfers/<id:transfer_id>/ask")
@operator_required
def ask_about_bank_transfer(transfer_id):
    funding = service.get_bank_transfer(transfer_id)
    form = AskPayerForm()
    if not form.validate():
        return _transfer_page(funding, ask_form=form, status=422)
    bank_transfers.ask_payer(current_user, transfer_id, form.message.data)
    flash(_("Your question was sent to the payer; the transfer stays in the queue."), "success")
    return redirect(url_for("payments.confirm_bank_transfer", transfer_id=funding.id), code=303)


@bp.route("/operator/payouts/<id:payout_id>", methods=["GET"])
@operator_required
def payout_detail(payout_id):
    return _payout_page(payout_id)


def _payout_page(payout_id, approve_form=None, reject_form=None, status=200):
    payout = service.get_payout(payout_id)
    return render_template(
        "payments/operator_payout.html", payout=payout,
        first=four_eyes.pending(APPROVE_ACTION, payout) if payout.status == "requested" else None,
        approve_form=approve_form or ApprovePayoutForm(formdata=None),
        reject_form=reject_form or RejectPayoutForm(formdata=None),
        connected=service.connected_account_of(payout.payee),
        bank_account=payout_accounts.payout_account_of(payout.payee),
        available=service.available_balance(payout.payee, payout.currency)), status


@bp.post("/operator/payouts/<id:payout_id>/approve")
@operator_required
def approve_payout(payout_id):
    form = ApprovePayoutForm()
    if not form.validate():
        return _payout_page(payout_id, approve_form=form, status=422)
    try:
        payout = service.approve_payout(current_user, payout_id, form.reference.data)
    except ValidationFailed as exc:
        apply_errors(form, exc)
        return _payout_page(payout_id, approve_form=form, status=422)
    if _waits_for_second_operator(APPROVE_ACTION, payout):
        pass
    elif payout.status == "paid":
        flash(_("Payout paid (%(reference)s).", reference=payout.reference), "success")
    elif payout.status == "approved":
        flash(_("Payout approved; the transfer is being sent to the payee's Stripe account."), "success")
    else:
        flash(_("The payout could not be sent: %(reason)s", reason=payout.reason), "error")
    return redirect(url_for("operator.queue"), code=303)


@bp.post("/operator/payouts/<id:payout_id>/reject")
@operator_required
def reject_payout(payout_id):
    form = RejectPayoutForm()
    if not form.validate():
        return _payout_page(payout_id, reject_form=form, status=422)
    try:
        service.reject_payout(current_user, payout_id, form.reason.data)
    except ValidationFailed as exc:
        apply_errors(form, exc)
        return _payout_page(payout_id, reject_form=form, status=422)
    flash(_("Payout rejected; the money is back in the wallet it came from."), "success")
    return redirect(url_for("operator.queue"), code=303)


@bp.post("/operator/fundings/<id:funding_id>/review")
@operator_required
def review_flag(funding_id):
    form = ReviewFlagForm()
    if not form.validate():
        flash(_("Say what was done about it."), "error")
        return redirect(url_for("operator.queue"), code=303)
    service.review_flag(current_user, funding_id, form.note.data)
    flash(_("Marked as reviewed."), "success")
    return redirect(url_for("operator.queue"), code=303)
