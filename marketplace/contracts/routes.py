"""Pages: a contract with its milestones and the actions of each side; claim; abandon; the private
message thread of a task and one solver; delivery file downloads."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..accounts.models import User
from ..bids import policies as bid_policies
from ..bids import service as bids
from ..bids.forms import AwardForm
from ..core.errors import ValidationFailed
from ..core.files import send_upload
from ..core.forms import apply_errors
from ..core.money import format_plain, parse_amount
from ..extensions import db
from ..payments import states
from ..payments.service import available_methods
from ..tasks.service import get_visible_task
from . import service
from .forms import AbandonForm, DeliverForm, FundForm, MessageForm, RevisionForm
from .messages import threads_of
from .models import Delivery, DeliveryFile

bp = Blueprint("contracts", __name__)


def _fund_form(formdata=None):
    """The methods payments offers here (card only when Stripe is configured)."""
    form = FundForm() if formdata is None else FundForm(formdata=formdata)
    offered = set(available_methods())
    form.method.choices = [(value, label) for value, label in form.method.choices if value in offered]
    return form


def _render_contract(contract, status=200, **forms):
    task = service._task(contract)
    milestones = service.milestones_of(contract)
    deliveries = {m.id: service.deliveries_of(m) for m in milestones}
    context = dict(contract=contract, task=task, milestones=milestones, deliveries=deliveries,
                   poster_side=service.is_poster_side(current_user, contract),
                   solver_side=current_user.id == contract.solver_id,
                   poster=service._user(contract.poster_id), solver=service._user(contract.solver_id),
                   fund_form=_fund_form(), deliver_form=DeliverForm(), revision_form=RevisionForm(),
                   abandon_form=AbandonForm(), error_milestone=None)
    if context["poster_side"]:
        context.update(_payment_context(contract, task, milestones))
    else:
        context.update(fundings={}, funding_waiting=lambda f: False, payer_wallet=None)
    context.update(forms)
    return render_template("contracts/detail.html", **context), status


def _payment_context(contract, task, milestones) -> dict:
    """Each milestone's payment state, and whose wallet pays (the organisation's when it posted)."""
    fundable = service.MilestoneFundable(milestones[0], contract, task) if milestones else None
    return {"fundings": states.latest_for(service.milestone_escrow_ref(m) for m in milestones),
            "funding_waiting": states.waiting,
            "payer_wallet": states.payer_wallet(fundable.payer, contract.currency) if fundable else None}


def _contract(contract_id):
    contract = service.load_contract(contract_id)
    service.require_party(current_user, contract)
    return contract


def _milestone(milestone_id):
    milestone = service.load_milestone(milestone_id)
    contract = service.contract_of(milestone)
    service.require_party(current_user, contract)
    return milestone, contract


def _back(contract):
    return redirect(url_for("contracts.detail", contract_id=contract.id), code=303)


@bp.get("/contracts/<id:contract_id>")
@login_required
def detail(contract_id):
    return _render_contract(_contract(contract_id))


@bp.post("/contracts/<id:contract_id>/accept")
@login_required
def accept(contract_id):
    contract = _contract(contract_id)
    service.accept_contract(current_user, contract)
    flash(_("You accepted the contract."), "success")
    return _back(contract)


@bp.post("/contracts/<id:contract_id>/cancel")
@login_required
def cancel(contract_id):
    contract = _contract(contract_id)
    contract = service.cancel_contract(current_user, contract)
    if contract.status == "cancelled":
        flash(_("The contract was cancelled."), "success")
    else:
        flash(_("Your cancellation request was sent; the contract is cancelled when the other side agrees."), "info")
    return _back(contract)


@bp.post("/contracts/<id:contract_id>/abandon")
@login_required
def abandon(contract_id):
    contract = _contract(contract_id)
    form = AbandonForm()
    if not form.validate_on_submit():
        return _render_contract(contract, 422, abandon_form=form)
    service.abandon_claim(current_user, contract, form.reason.data or "")
    flash(_("You gave the task up; it is open for claims again."), "success")
    return _back(contract)


@bp.post("/milestones/<id:milestone_id>/fund")
@login_required
def fund(milestone_id):
    milestone, contract = _milestone(milestone_id)
    form = _fund_form()
    if not form.validate_on_submit():
        return _render_contract(contract, 422, fund_form=form, error_milestone=milestone.id)
    try:
        funding = service.fund_milestone(current_user, milestone, form.method.data)
    except ValidationFailed as exc:
        apply_errors(form, exc)
        return _render_contract(contract, 422, fund_form=form, error_milestone=milestone.id)
    if funding.status == "succeeded":  # paid from the wallet
        flash(_("The milestone is funded."), "success")
        return _back(contract)
    # Bank transfer details or Stripe's Payment Element.
    return redirect(url_for("payments.funding_detail", funding_id=funding.id), code=303)


@bp.post("/milestones/<id:milestone_id>/deliver")
@login_required
def deliver(milestone_id):
    milestone, contract = _milestone(milestone_id)
    form = DeliverForm()
    if not form.validate_on_submit():
        return _render_contract(contract, 422, deliver_form=form, error_milestone=milestone.id)
    try:
        service.deliver_milestone(current_user, milestone, form.note.data, request.files.getlist("files"))
    except ValidationFailed as exc:
        apply_errors(form, exc)
        return _render_contract(contract, 422, deliver_form=form, error_milestone=milestone.id)
    flash(_("Delivered. The poster has been told."), "success")
    return _back(contract)


@bp.post("/milestones/<id:milestone_id>/accept")
@login_required
def accept_milestone(milestone_id):
    milestone, contract = _milestone(milestone_id)
    service.accept_milestone(current_user, milestone)
    flash(_("Accepted; the money was released to the solver."), "success")
    return _back(contract)


@bp.post("/milestones/<id:milestone_id>/request-revision")
@login_required
def request_revision(milestone_id):
    milestone, contract = _milestone(milestone_id)
    form = RevisionForm()
    if not form.validate_on_submit():
        return _render_contract(contract, 422, revision_form=form, error_milestone=milestone.id)
    try:
        service.request_revision(current_user, milestone, form.reason.data)
    except ValidationFailed as exc:
        apply_errors(form, exc)
        return _render_contract(contract, 422, revision_form=form, error_milestone=milestone.id)
    flash(_("A revision was requested."), "success")
    return _back(contract)


@bp.post("/tasks/<id:task_id>/claim")
@login_required
def claim(task_id):
    task = get_visible_task(current_user, task_id)
    contract = service.claim_task(current_user, task)
    flash(_("The task is yours. The address is shown below."), "success")
    return _back(contract)


@bp.route("/tasks/<id:task_id>/messages/<id:solver_id>", methods=["GET", "POST"])
@login_required
def messages(task_id, solver_id):
    task = get_visible_task(current_user, task_id)
    form = MessageForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                service.send_message(current_user, task, solver_id, form.body.data)
            except ValidationFailed as exc:
                apply_errors(form, exc)
                status = 422
            else:
                return redirect(url_for("contracts.messages", task_id=task.id, solver_id=solver_id), code=303)
        else:
            status = 422
    items = service.thread(current_user, task, solver_id)
    # The thread is titled by the other party: the poster for the solver, the solver otherwise.
    other = service._user(task.poster_id if current_user.id == solver_id else solver_id)
    return render_template("contracts/messages.html", task=task, items=items, form=form,
                           solver=service._user(solver_id), other=other), status


@bp.get("/messages")
@login_required
def inbox():
    return render_template("contracts/inbox.html", threads=threads_of(current_user))


@bp.get("/deliveries/files/<public_id>")
@login_required
def delivery_file(public_id):
    """A delivered file for the contract's parties."""
    row = db.session.execute(db.select(DeliveryFile).where(DeliveryFile.public_id == public_id)).scalar_one_or_none()
    if row is None:
        abort(404)
    delivery = db.session.get(Delivery, row.delivery_id)
    milestone = service.load_milestone(delivery.milestone_id)
    service.require_party(current_user, service.contract_of(milestone))
    # ?preview=1 shows an image or a PDF in the page; anything else is always a download.
    try:
        return send_upload(row.path, mimetype=row.mime, download_name=row.name,
                           preview=request.args.get("preview") == "1")
    except (OSError, ValueError):
        abort(404)


def _award_plan(form) -> list[dict]:
    """Milestone rows from the form; blank rows are ignored, amounts are in yuan."""
    plan, errors = [], {}
    for i, row in enumerate(form.milestones.entries):
        title, raw = (row.form.title.data or "").strip(), (row.form.amount.data or "").strip()
        if not title and not raw:
            continue
        amount = 0
        try:
            amount = parse_amount(raw, "amount")
        except ValidationFailed as exc:
            errors[f"milestones-{i}-amount"] = exc.errors["amount"]
        plan.append({"title": title, "amount": amount, "_row": i})
    if errors:
        raise ValidationFailed(errors=errors)
    return plan


def _apply_award_errors(form, exc, plan):
    """Map service errors on milestones[k].field back to the form rows."""
    db.session.rollback()
    for key, messages in (exc.errors or {}).items():
        if key.startswith("milestones[") and plan:
            index = int(key[len("milestones["):key.index("]")])
            field = key.split(".", 1)[1] if "." in key else "title"
            row = form.milestones.entries[plan[index]["_row"]].form
            getattr(row, field).errors = list(getattr(row, field).errors) + messages
        elif key.startswith("milestones-"):
            _m, i, field = key.split("-")
            row = form.milestones.entries[int(i)].form
            getattr(row, field).errors = list(getattr(row, field).errors) + messages
        else:
            form.form_errors.extend(messages)


def _solver_of(bid):
    return db.session.get(User, bid.solver_id)


# The award is a contracts use case; its page stays at the bid's address.
@bp.route("/bids/<id:bid_id>/award", methods=["GET", "POST"])
@login_required
def award(bid_id):
    bid = bids.load_bid(bid_id)
    task = bids.task_of(bid)
    bid_policies.require_can_see_bid(current_user, bid, task)
    bid_policies.require_poster_side(current_user, task)
    if request.method == "GET":
        form = AwardForm(data={"milestones": [{"title": task.title, "amount": format_plain(bid.amount)}]})
        return render_template("bids/award.html", bid=bid, task=task, form=form, solver=_solver_of(bid))
    form = AwardForm()
    if not form.validate_on_submit():
        return render_template("bids/award.html", bid=bid, task=task, form=form, solver=_solver_of(bid)), 422
    plan = []
    try:
        plan = _award_plan(form)
        contract = service.award_bid(current_user, bid, [{"title": p["title"], "amount": p["amount"]} for p in plan])
    except ValidationFailed as exc:
        _apply_award_errors(form, exc, plan)
        return render_template("bids/award.html", bid=bid, task=task, form=form, solver=_solver_of(bid)), 422
    flash(_("The bid was awarded. The solver is asked to accept the contract."), "success")
    return redirect(url_for("contracts.detail", contract_id=contract.id), code=303)
