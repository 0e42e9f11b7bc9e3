"""Pages: open a dispute, the case page (timeline, evidence, settlement, withdrawal, and for
operators the decision), my disputes, evidence file downloads."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..accounts.models import User
from ..accounts.policies import operator_required
from ..bounties import disputes as bounty_disputes
from ..bounties import policies as bounty_policies
from ..contracts import service as contracts
from ..core.errors import NotFound, ValidationFailed
from ..core.files import send_stored
from ..core.forms import apply_errors
from ..core.money import format_money, format_plain, parse_amount
from ..extensions import db
from ..tasks.models import Task
from . import policies, service, timeline
from .forms import (
    DecisionForm,
    EvidenceForm,
    OpenDisputeForm,
    OpenPrizeDisputeForm,
    SettlementForm,
    percent_to_bps,
)

bp = Blueprint("disputes", __name__)


def _id_arg(name):
    raw = request.values.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise NotFound()
    return int(raw)


def _users(ids):
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(db.select(User).where(User.id.in_(ids)))}


def _render_case(dispute, status=200, **forms):
    items = timeline.build(dispute)
    evidence = service.evidence_of(dispute)
    task = service._task(dispute)
    users = _users([i["who"] for i in items] + [dispute.poster_id, dispute.solver_id, dispute.opened_by_id,
                                                 dispute.decided_by_id, dispute.respondent_id])
    prize = bounty_disputes.get_prize(dispute.prize_id) if dispute.prize_id else None
    may_decide = False
    if getattr(current_user, "is_operator", False):
        may_decide = not policies.is_involved(current_user, dispute)
    context = dict(
        dispute=dispute, task=task, items=items, evidence=evidence, users=users,
        poster_side=policies.is_poster_side(current_user, dispute),
        solver_side=policies.is_solver_side(current_user, dispute),
        respondent_side=policies.is_respondent(current_user, dispute), prize_rank=prize.rank if prize else None,
        may_decide=may_decide, now=service.utcnow(),
        evidence_form=EvidenceForm(formdata=None), settlement_form=SettlementForm(formdata=None),
        decision_form=DecisionForm(formdata=None), share_text=service.share_text)
    context.update(forms)
    return render_template("disputes/case.html", **context), status


@bp.route("/disputes/new", methods=["GET", "POST"])
@login_required
def new():
    milestone_id, contract_id, task_id = _id_arg("milestone_id"), _id_arg("contract_id"), _id_arg("task_id")
    if sum(x is not None for x in (milestone_id, contract_id, task_id)) != 1:
        raise NotFound()
    try:
        subject = service._find_subject(milestone_id=milestone_id, contract_id=contract_id, task_id=task_id)
    except ValidationFailed:
        raise NotFound() from None
    prizes = []
    if subject.kind == "bounty" and bounty_disputes.award_disputable(subject.task):
        if (bounty_disputes.entrant_entry(subject.task, current_user.id) is None
                and not bounty_policies.judges(current_user, subject.task)):
            raise NotFound()
        prizes = [p for p in bounty_disputes.held_prizes(subject.task) if p.status == "held"]
        subject.held = prizes[0].amount if prizes else 0
    elif subject.kind == "bounty":
        if bounty_disputes.disputed_entry(subject.task, current_user.id) is None:
            raise NotFound()
        subject.held = subject.task.unit_price or 0
    else:
        if not contracts.is_party(current_user, subject.contract):
            raise NotFound()
    form = OpenPrizeDisputeForm() if prizes else OpenDisputeForm()
    if prizes:
        form.rank.choices = [(p.rank, _("Prize %(rank)s (%(amount)s)", rank=p.rank,
                                        amount=format_money(p.amount, p.currency))) for p in prizes]
    if request.method == "GET":
        form.amount.data = format_plain(subject.held)
    status = 200
    if form.validate_on_submit():
        try:
            amount = parse_amount(form.amount.data)
            dispute = service.open_dispute(current_user, reason=form.reason.data, amount=amount,
                                           milestone_id=milestone_id, contract_id=contract_id, task_id=task_id,
                                           rank=form.rank.data if prizes else None)
        except ValidationFailed as exc:
            apply_errors(form, exc)
            status = 422
        else:
            flash(_("The dispute is open. The timers and the money are frozen until it ends."), "success")
            return redirect(url_for("disputes.case", dispute_id=dispute.id), code=303)
    elif request.method == "POST":
        status = 422
    return render_template("disputes/new.html", form=form, subject=subject, task=subject.task,
                           milestone=subject.milestone, contract=subject.contract, prizes=prizes), status


@bp.get("/disputes")
@login_required
def mine():
    return render_template("disputes/mine.html", disputes=service.disputes_of(current_user),
                           tasks=_tasks_of(service.disputes_of(current_user)))


def _tasks_of(disputes):
    ids = {d.task_id for d in disputes}
    return {t.id: t for t in db.session.scalars(db.select(Task).where(Task.id.in_(ids)))} if ids else {}


@bp.get("/disputes/<int:dispute_id>")
@login_required
def case(dispute_id):
    return _render_case(service.get_visible(current_user, dispute_id))


def _back(dispute):
    return redirect(url_for("disputes.case", dispute_id=dispute.id), code=303)


@bp.post("/disputes/<int:dispute_id>/evidence")
@login_required
def add_evidence(dispute_id):
    dispute = service.get_visible(current_user, dispute_id)
    form = EvidenceForm()
    if not form.validate_on_submit():
        return _render_case(dispute, 422, evidence_form=form)
    try:
        service.add_evidence(current_user, dispute, form.text.data, request.files.getlist("files"))
    except ValidationFailed as exc:
        apply_errors(form, exc)
        return _render_case(service.get_dispute(dispute_id), 422, evidence_form=form)
    flash(_("Your evidence was added."), "success")
    return _back(dispute)


@bp.post("/disputes/<int:dispute_id>/settlement")
@login_required
def settle(dispute_id):
    dispute = service.get_visible(current_user, dispute_id)
    form = SettlementForm()
    bps = percent_to_bps(form.percent.data) if form.validate_on_submit() else None
    if bps is None:
        if not form.percent.errors:
            form.percent.errors = [_("Use at most two decimal places.")]
        return _render_case(dispute, 422, settlement_form=form)
    try:
        dispute = service.offer_settlement(current_user, dispute, bps)
    except ValidationFailed as exc:
        apply_errors(form, exc)
        return _render_case(service.get_dispute(dispute_id), 422, settlement_form=form)
    if dispute.status == "settled":
        flash(_("Settled: the money was split as agreed."), "success")
    else:
        flash(_("Your proposal was sent; the dispute settles when the other side proposes the same share."), "info")
    return _back(dispute)


@bp.post("/disputes/<int:dispute_id>/withdraw")
@login_required
def withdraw(dispute_id):
    dispute = service.get_visible(current_user, dispute_id)
    service.withdraw(current_user, dispute)
    flash(_("You withdrew the dispute; the work continues."), "success")
    return _back(dispute)


@bp.post("/operator/disputes/<int:dispute_id>/decision")
@operator_required
def decide(dispute_id):
    dispute = service.get_visible(current_user, dispute_id)
    form = DecisionForm()
    valid = form.validate_on_submit()
    bps = percent_to_bps(form.percent.data) if valid else None
    if bps is None:
        if valid:
            form.percent.errors = [_("Use at most two decimal places.")]
        return _render_case(dispute, 422, decision_form=form)
    try:
        service.decide(current_user, dispute, bps, form.reason.data)
    except ValidationFailed as exc:
        apply_errors(form, exc)
        return _render_case(service.get_dispute(dispute_id), 422, decision_form=form)
    flash(_("The dispute is decided; the money was split and both parties were told."), "success")
    return _back(dispute)


@bp.get("/disputes/evidence/files/<public_id>")
@login_required
def evidence_file(public_id):
    row = service.evidence_file(current_user, public_id)
    try:
        return send_stored(row.path, mimetype=row.mime, as_attachment=True, download_name=row.name)
    except (OSError, ValueError):  # the stored object is gone
        raise NotFound() from None
