"""Bounty pages: enter (with co-authors), my entries with receipts, an entry, the judging page
and side-by-side comparison, winners, piece acceptance, raising the reward, public results,
receipt verification, and the operator's review of a bounty that ended without a choice."""
from __future__ import annotations

import functools
import json

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..accounts.policies import operator_required
from ..core.db import utcnow
from ..core.errors import NotFound, ValidationFailed
from ..core.forms import apply_errors
from ..extensions import db
from ..tasks import policies as task_policies
from . import policies, receipts, service
from .api import attachment_response
from .forms import AmendForm, NoteForm, ReasonForm, ReceiptLookupForm, RefundForm, SubmissionForm

bp = Blueprint("bounties", __name__)


def _user():
    return current_user if current_user.is_authenticated else None


def confidential(view):
    """An entry, its files and its receipt answer 404 to a visitor who is not signed in, the same
    answer as to anyone else who may not see them: nothing confirms that it exists."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            raise NotFound()
        return view(*args, **kwargs)
    return wrapped


# --- entering -----------------------------------------------------------------------------------

def _render_submit(task, form, status=200, replacing=None):
    return render_template("bounties/submit.html", task=task, form=form, replacing=replacing,
                           deadline=task.submission_deadline), status


@bp.route("/tasks/<int:task_id>/submit", methods=["GET", "POST"])
@login_required
def submit(task_id):
    task = service.get_visible_bounty(current_user, task_id)
    form = SubmissionForm()
    if request.method == "GET":
        return _render_submit(task, form)
    if not form.validate_on_submit():
        return _render_submit(task, form, 422)
    try:
        sub = service.submit(current_user, task, text=form.text.data, files=request.files.getlist("files"),
                             coauthors=form.coauthor_list())
    except ValidationFailed as exc:
        apply_errors(form, exc)
        return _render_submit(task, form, 422)
    flash(_("Your entry is in the vault. Keep its receipt: %(sha)s", sha=sub.sha256), "success")
    return redirect(url_for("bounties.detail", public_id=sub.public_id), code=303)


@bp.route("/submissions/<public_id>/replace", methods=["GET", "POST"])
@login_required
def replace(public_id):
    sub, task = service.get_visible_submission(current_user, public_id)
    policies.require_submitter(current_user, sub)
    form = SubmissionForm(data=None if request.method == "POST" else {"text": sub.text})
    if request.method == "GET":
        return _render_submit(task, form, replacing=sub)
    if not form.validate_on_submit():
        return _render_submit(task, form, 422, replacing=sub)
    try:
        new = service.replace(current_user, sub, text=form.text.data, files=request.files.getlist("files"),
                              coauthors=form.coauthor_list() or None)
    except ValidationFailed as exc:
        apply_errors(form, exc)
        return _render_submit(task, form, 422, replacing=sub)
    flash(_("Your entry was replaced. The new receipt: %(sha)s", sha=new.sha256), "success")
    return redirect(url_for("bounties.detail", public_id=new.public_id), code=303)


@bp.post("/submissions/<public_id>/withdraw")
@login_required
def withdraw(public_id):
    sub, task = service.get_visible_submission(current_user, public_id)
    service.withdraw(current_user, sub)
    flash(_("Your entry was withdrawn. Its receipt stays valid."), "success")
    return redirect(url_for("bounties.mine"), code=303)


@bp.get("/me/submissions")
@login_required
def mine():
    entries = service.my_submissions(current_user)
    return render_template("bounties/mine.html", entries=entries,
                           prizes=service.prizes_of_entries(sub.id for sub, _task in entries))


@bp.get("/submissions/<public_id>")
@confidential
def detail(public_id):
    sub, task = service.get_visible_submission(current_user, public_id)
    sub = service.load_full(sub)
    authors = {a.user_id: a for a in sub.authors}
    return render_template("bounties/submission.html", sub=sub, task=task,
                           is_author=policies.is_author(current_user, sub),
                           judges=policies.judges(current_user, task),
                           poster_side=policies.poster_side(current_user, task), authors=authors,
                           reason_form=ReasonForm(), note_form=NoteForm(data={"note": sub.note}),
                           open_for_change=task.status == "open" and task.submission_deadline > utcnow())


@bp.get("/submissions/files/<public_id>")
@confidential
def download(public_id):
    file, path = service.get_visible_file(current_user, public_id)
    return attachment_response(file, path, preview=request.args.get("preview") == "1")


@bp.get("/submissions/<public_id>/receipt.json")
@confidential
def receipt_download(public_id):
    sub = service.get_submission(public_id)
    if not policies.is_author(current_user, sub):
        raise NotFound()
    body = json.dumps(receipts.signed_receipt(service.load_full(sub), service.get_bounty(sub.task_id)),
                      ensure_ascii=False, indent=2)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="receipt-{sub.sha256[:12]}.json"',
        "X-Content-Type-Options": "nosniff"})


# --- judging ------------------------------------------------------------------------------------

@bp.get("/tasks/<int:task_id>/judging")
@login_required
def judging(task_id):
    task = service.get_visible_bounty(current_user, task_id)
    if not policies.poster_side(current_user, task):
        raise NotFound()
    entries = service.entries_for(current_user, task)
    return render_template("bounties/judging.html", task=task, entries=entries,
                           judges=policies.judges(current_user, task), reason_form=ReasonForm(),
                           selection_ends=service.selection_ends_at(task), now=utcnow(),
                           ranks=list(range(1, len(task.prizes or []) + 1)))


@bp.get("/tasks/<int:task_id>/judging/compare")
@login_required
def compare(task_id):
    task = service.get_visible_bounty(current_user, task_id)
    if not policies.poster_side(current_user, task):
        raise NotFound()
    wanted = request.args.getlist("s")[:4]
    entries = [s for s in service.entries_for(current_user, task) if s.public_id in wanted]
    return render_template("bounties/compare.html", task=task, entries=entries)


def _back(sub_or_task_id):
    return redirect(request.referrer or url_for("bounties.judging", task_id=sub_or_task_id), code=303)


@bp.post("/submissions/<public_id>/eligible")
@login_required
def eligible(public_id):
    sub, task = service.get_visible_submission(current_user, public_id)
    service.mark_eligible(current_user, sub)
    flash(_("Marked eligible."), "success")
    return _back(task.id)


@bp.post("/submissions/<public_id>/reject")
@login_required
def reject(public_id):
    sub, task = service.get_visible_submission(current_user, public_id)
    form = ReasonForm()
    form.validate_on_submit()
    try:
        service.reject(current_user, sub, form.reason.data)
    except ValidationFailed:
        db.session.rollback()
        flash(_("Give a reason the solver can read."), "error")
        return _back(task.id)
    flash(_("The entry was marked ineligible; the solver reads your reason."), "success")
    return _back(task.id)


@bp.post("/submissions/<public_id>/note")
@login_required
def note(public_id):
    sub, task = service.get_visible_submission(current_user, public_id)
    form = NoteForm()
    form.validate_on_submit()
    service.set_note(current_user, sub, form.note.data)
    flash(_("Note saved."), "success")
    return _back(task.id)


@bp.post("/submissions/<public_id>/shortlist")
@login_required
def shortlist(public_id):
    sub, task = service.get_visible_submission(current_user, public_id)
    service.set_shortlisted(current_user, sub, request.form.get("shortlisted") == "1")
    return _back(task.id)


@bp.post("/submissions/<public_id>/accept")
@login_required
def accept(public_id):
    sub, task = service.get_visible_submission(current_user, public_id)
    service.accept_piece(current_user, sub)
    flash(_("Accepted and paid."), "success")
    return _back(task.id)


def _awards_from_form() -> list[dict]:
    """Ranks from `rank-<entry>` selects; piece entries to accept from `accept-<entry>` boxes."""
    awards = []
    for key, value in request.form.items():
        if key.startswith("rank-") and value.strip():
            awards.append({"submission_id": key[len("rank-"):], "rank": int(value) if value.isdigit() else value})
        elif key.startswith("accept-") and value:
            awards.append({"submission_id": key[len("accept-"):]})
    return awards


@bp.post("/tasks/<int:task_id>/winners")
@login_required
def winners(task_id):
    task = service.get_visible_bounty(current_user, task_id)
    policies.require_judge(current_user, task)
    try:
        service.award(current_user, task, _awards_from_form())
    except ValidationFailed as exc:
        db.session.rollback()
        flash("; ".join(m for msgs in exc.errors.values() for m in msgs) or str(exc.message), "error")
        return redirect(url_for("bounties.judging", task_id=task.id), code=303)
    flash(_("The winners are paid and everyone who entered is told."), "success")
    return redirect(url_for("bounties.results", task_id=task.id), code=303)


@bp.route("/tasks/<int:task_id>/amend", methods=["GET", "POST"])
@login_required
def amend(task_id):
    task = service.get_visible_bounty(current_user, task_id)
    policies.require_judge(current_user, task)
    form = AmendForm(data=None if request.method == "POST" else {
        "prizes": task.prizes, "max_pieces": task.max_pieces, "submission_deadline": task.submission_deadline})
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                service.amend(current_user, task,
                              prizes=form.prizes.data if form.prizes.data != task.prizes else None,
                              max_pieces=form.max_pieces.data if form.max_pieces.data != task.max_pieces else None,
                              submission_deadline=form.submission_deadline.data
                              if form.submission_deadline.data != task.submission_deadline else None)
            except ValidationFailed as exc:
                apply_errors(form, exc)
                return render_template("bounties/amend.html", task=task, form=form), 422
            flash(_("The bounty was changed and every participant is told."), "success")
            return redirect(url_for("tasks.show", task_id=task.id), code=303)
        return render_template("bounties/amend.html", task=task, form=form), 422
    return render_template("bounties/amend.html", task=task, form=form)


# --- public -------------------------------------------------------------------------------------

@bp.get("/tasks/<int:task_id>/results")
def results(task_id):
    task = service.get_visible_bounty(_user(), task_id)
    return render_template("bounties/results.html", task=task, winners=service.results(task),
                           count=service.live_count(task), prizes=service.prizes_by_entry(task),
                           may_dispute=service.may_dispute_award(_user(), task, utcnow()))


@bp.get("/receipts")
def receipt_lookup():
    form = ReceiptLookupForm(request.args)
    if form.sha256.data:
        return redirect(url_for("bounties.receipt_verify", sha256=form.sha256.data.strip().lower()), code=303)
    return render_template("bounties/receipt.html", form=form, found=None)


@bp.get("/receipts/<sha256>")
def receipt_verify(sha256):
    form = ReceiptLookupForm(data={"sha256": sha256})
    try:
        sub, task = service.find_receipt(sha256)
    except Exception:  # noqa: BLE001 - NotFound: say so on the page, with a 404 status
        return render_template("bounties/receipt.html", form=form, found=False, sha256=sha256), 404
    return render_template("bounties/receipt.html", form=form, found=True, view=receipts.public_view(sub, task),
                           task=task if task_policies.can_view(_user(), task) else None)


# --- operator review ----------------------------------------------------------------------------

@bp.get("/operator/bounty-reviews/<int:review_id>")
@operator_required
def review(review_id):
    item = service.get_review(review_id)
    task = service.get_bounty(item.task_id)
    return render_template("bounties/review.html", review=item, task=task,
                           entries=service.entries_for(current_user, task), form=RefundForm(),
                           ranks=list(range(1, len(task.prizes or []) + 1)))


@bp.post("/operator/bounty-reviews/<int:review_id>/award")
@operator_required
def review_award(review_id):
    item = service.get_review(review_id)
    try:
        service.review_award(current_user, item, _awards_from_form(), request.form.get("reason"))
    except ValidationFailed as exc:
        db.session.rollback()
        flash("; ".join(m for msgs in exc.errors.values() for m in msgs) or str(exc.message), "error")
        return redirect(url_for("bounties.review", review_id=item.id), code=303)
    flash(_("The bounty was awarded by its criteria."), "success")
    return redirect(url_for("operator.queue"), code=303)


@bp.post("/operator/bounty-reviews/<int:review_id>/refund")
@operator_required
def review_refund(review_id):
    item = service.get_review(review_id)
    form = RefundForm()
    form.validate_on_submit()
    try:
        service.review_refund(current_user, item, form.reason.data)
    except ValidationFailed as exc:
        apply_errors(form, exc)
        task = service.get_bounty(item.task_id)
        return render_template("bounties/review.html", review=item, task=task,
                               entries=service.entries_for(current_user, task), form=form,
                               ranks=list(range(1, len(task.prizes or []) + 1))), 422
    flash(_("The bounty was refunded; every participant reads your reason."), "success")
    return redirect(url_for("operator.queue"), code=303)
