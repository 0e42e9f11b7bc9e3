"""Pages: the bids of a task (form for solvers, list for the poster side), edit, withdraw,
shortlist, reject, award with milestones, attachment downloads."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..core.errors import ValidationFailed
from ..core.files import send_stored
from ..core.forms import apply_errors
from ..core.money import format_plain, parse_amount
from ..extensions import db
from ..tasks.service import get_visible_task
from ..verification.cards import person_cards
from . import policies, service
from .flags import budget_flag
from .forms import BidForm, RejectForm
from .models import BidAttachment

bp = Blueprint("bids", __name__)


def _render_task_bids(task, form=None, status=200):
    bids = service.bids_visible_to(current_user, task)
    poster_side = policies.acts_for_poster(current_user, task)
    own = next((b for b in bids if b.solver_id == current_user.id and b.is_live), None)
    if form is None and not poster_side and own is None and not policies.is_org_member(current_user, task):
        form = BidForm()
    if form is not None:
        form.offer_orgs(current_user)
    cards = person_cards(b.solver_id for b in bids) if bids else {}
    return render_template("bids/task_bids.html", task=task, bids=bids, poster_side=poster_side,
                           own=own, form=form, reject_form=RejectForm(), cards=cards,
                           flags={b.id: budget_flag(task, b.amount) for b in bids},
                           can_see_all=policies.can_see_all_bids(current_user, task)), status


@bp.get("/tasks/<id:task_id>/bids")
@login_required
def task_bids(task_id):
    task = get_visible_task(current_user, task_id)
    return _render_task_bids(task)


def _parse_bid_form(form) -> tuple[int, int, str]:
    amount = parse_amount(form.amount.data, "amount")
    return amount, form.days.data, form.proposal.data


@bp.post("/tasks/<id:task_id>/bids")
@login_required
def place(task_id):
    task = get_visible_task(current_user, task_id)
    form = BidForm()
    if not form.validate_on_submit():
        return _render_task_bids(task, form, 422)
    try:
        amount, days, proposal = _parse_bid_form(form)
        service.place_bid(current_user, task, amount, days, proposal, request.files.getlist("files"),
                          org_id=form.org_id.data or None)
    except ValidationFailed as exc:
        apply_errors(form, exc)
        return _render_task_bids(task, form, 422)
    flash(_("Your bid was placed."), "success")
    return redirect(url_for("bids.task_bids", task_id=task.id), code=303)


def _own_bid(bid_id):
    bid = service.load_bid(bid_id)
    task = service.task_of(bid)
    policies.require_can_see_bid(current_user, bid, task)
    return bid, task


@bp.route("/bids/<id:bid_id>/edit", methods=["GET", "POST"])
@login_required
def edit(bid_id):
    bid, task = _own_bid(bid_id)
    if bid.solver_id != current_user.id:
        abort(403)
    form = BidForm(data=None if request.method == "POST" else
                   {"amount": format_plain(bid.amount), "days": bid.days, "proposal": bid.proposal})
    if request.method == "POST":
        if not form.validate_on_submit():
            return render_template("bids/edit.html", bid=bid, task=task, form=form), 422
        try:
            amount, days, proposal = _parse_bid_form(form)
            service.update_bid(current_user, bid, amount, days, proposal, request.files.getlist("files"))
        except ValidationFailed as exc:
            apply_errors(form, exc)
            return render_template("bids/edit.html", bid=bid, task=task, form=form), 422
        flash(_("Your bid was updated."), "success")
        return redirect(url_for("bids.task_bids", task_id=task.id), code=303)
    return render_template("bids/edit.html", bid=bid, task=task, form=form)


@bp.post("/bids/<id:bid_id>/withdraw")
@login_required
def withdraw(bid_id):
    bid, task = _own_bid(bid_id)
    service.withdraw_bid(current_user, bid)
    flash(_("Your bid was withdrawn."), "success")
    return redirect(url_for("bids.task_bids", task_id=task.id), code=303)


@bp.post("/bids/<id:bid_id>/shortlist")
@login_required
def shortlist(bid_id):
    bid, task = _own_bid(bid_id)
    service.shortlist_bid(current_user, bid)
    flash(_("The bid was shortlisted."), "success")
    return redirect(url_for("bids.task_bids", task_id=task.id), code=303)


@bp.post("/bids/<id:bid_id>/reject")
@login_required
def reject(bid_id):
    bid, task = _own_bid(bid_id)
    form = RejectForm()
    if not form.validate_on_submit():
        return _render_task_bids(task, None, 422)
    service.reject_bid(current_user, bid, form.reason.data or "")
    flash(_("The bid was rejected."), "success")
    return redirect(url_for("bids.task_bids", task_id=task.id), code=303)


@bp.get("/bids/files/<public_id>")
@login_required
def attachment(public_id):
    row = db.session.execute(db.select(BidAttachment).where(BidAttachment.public_id == public_id)).scalar_one_or_none()
    if row is None:
        abort(404)
    bid = service.load_bid(row.bid_id)
    policies.require_can_see_bid(current_user, bid, service.task_of(bid))
    try:
        return send_stored(row.path, mimetype=row.mime, as_attachment=True, download_name=row.name)
    except (OSError, ValueError):
        abort(404)
