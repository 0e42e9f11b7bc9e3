"""Reputation pages: engagements and their reviews, credit records, the expert pool, and the
operators' blocklist (失信名单)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..accounts import service as accounts
from ..accounts.models import User
from ..accounts.policies import operator_required
from ..core.errors import NotFound, ValidationFailed
from ..core.forms import apply_errors
from ..extensions import db
from ..organisations.service import get_org
from ..tasks.models import Task
from ..tasks.service import get_task
from . import credit, experts, reviews
from .forms import BlocklistForm, ExpertListingForm, ExpertSearchForm, InviteForm, ReplyForm, ReviewForm
from .models import Engagement
from .reliability import poster_reliability

bp = Blueprint("reputation", __name__)

PAGE = 20


# --- engagements and reviews ----------------------------------------------------------------------

def _engagement_page(engagement, form=None, reply_form=None, status=200):
    side = reviews.require_party(current_user, engagement)
    shown = reviews.visible_reviews(current_user, engagement)
    mine = next((r for r in shown if r.reviewer_id == current_user.id), None)
    users = {u.id: u for u in db.session.scalars(
        db.select(User).where(User.id.in_((engagement.poster_id, engagement.solver_id))))}
    task = db.session.get(Task, engagement.task_id)
    can_review = mine is None and engagement.published_at is None
    return render_template("reputation/engagement.html", engagement=engagement, side=side, reviews=shown,
                           mine=mine, users=users, task=task, can_review=can_review,
                           form=form or ReviewForm(formdata=None), reply_form=reply_form or ReplyForm(formdata=None)
                           ), status


@bp.get("/engagements/<id:engagement_id>")
@login_required
def engagement(engagement_id):
    return _engagement_page(reviews.load_engagement(engagement_id))


@bp.get("/contracts/<id:contract_id>/reviews")
@login_required
def contract_reviews(contract_id):
    found = reviews.engagement_for_contract(contract_id)
    if found is None or found.side_of(current_user.id) is None:
        abort(404)
    return redirect(url_for("reputation.engagement", engagement_id=found.id))


@bp.post("/engagements/<id:engagement_id>/review")
@login_required
def submit_review(engagement_id):
    engagement = reviews.load_engagement(engagement_id)
    reviews.require_party(current_user, engagement)
    form = ReviewForm()
    if not form.validate_on_submit():
        return _engagement_page(engagement, form, status=422)
    try:
        reviews.submit_review(current_user, engagement, rating=int(form.rating.data), quality=int(form.quality.data),
                              communication=int(form.communication.data), timeliness=int(form.timeliness.data),
                              text=form.text.data)
    except ValidationFailed as exc:
        apply_errors(form, exc)
        return _engagement_page(engagement, form, status=422)
    flash(_("Thank you. Your review stays hidden until both sides have reviewed or the review period ends."),
          "success")
    return redirect(url_for("reputation.engagement", engagement_id=engagement.id), code=303)


@bp.post("/reviews/<id:review_id>/reply")
@login_required
def reply(review_id):
    review = reviews.load_review(review_id)
    engagement = db.session.get(Engagement, review.engagement_id)
    form = ReplyForm()
    if not form.validate_on_submit():
        return _engagement_page(engagement, reply_form=form, status=422)
    reviews.reply(current_user, review, form.text.data)
    flash(_("Your reply is published."), "success")
    return redirect(url_for("reputation.engagement", engagement_id=engagement.id), code=303)


@bp.get("/reviews")
@login_required
def my_reviews():
    return render_template("reputation/my_reviews.html", pending=reviews.pending_for(current_user),
                           received=reviews.public_reviews_of(current_user.id, limit=50))


# --- credit ---------------------------------------------------------------------------------------

def credit_context(subject_type: str, subject_id: int) -> dict:
    standing = credit.standing_of(subject_type, subject_id)
    return {"standing": standing, "explanation": credit.explain(standing),
            "level_label": credit.level_label(standing.level if standing else None)}


def profile_section(_sender=None, *, user):
    """accounts.events.profile_sections receiver: score, level badge, the score in words, reviews, poster reliability."""
    ctx = credit_context("user", user.id)
    ctx.update(credit_user=user, public_reviews=reviews.public_reviews_of(user.id, limit=10),
               reliability=poster_reliability(user.id), expert=experts.listing_of_user(user))
    return "reputation/_profile_credit.html", ctx


@bp.get("/users/<id:user_id>/credit")
def user_credit(user_id):
    user = accounts.get_user(user_id)
    if user.suspended_at is not None and not (current_user.is_authenticated and current_user.is_operator):
        abort(404)
    ctx = credit_context("user", user.id)
    return render_template("reputation/credit.html", name=user.display_name, subject=f"user:{user.id}",
                           records=credit.records_of("user", user.id, newest_first=True, limit=200),
                           back=url_for("accounts.public_profile", user_id=user.id),
                           kind_labels=credit.KIND_LABELS, **ctx)


@bp.get("/orgs/<id:org_id>/credit")
def org_credit(org_id):
    org = get_org(org_id)
    ctx = credit_context("org", org.id)
    return render_template("reputation/credit.html", name=org.name, subject=f"org:{org.id}",
                           records=credit.records_of("org", org.id, newest_first=True, limit=200),
                           back=url_for("organisations.show", org_id=org.id),
                           kind_labels=credit.KIND_LABELS, **ctx)


# --- the expert pool ------------------------------------------------------------------------------

@bp.get("/experts")
def expert_list():
    form = ExpertSearchForm(request.args)
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    rows, has_more, status = [], False, 200
    try:
        filters = experts.clean_filters(request.args)
    except ValidationFailed as exc:
        apply_errors(form, exc)
        status = 422
    else:
        rows, has_more = experts.search(filters, limit=PAGE, offset=(page - 1) * PAGE)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    next_url = url_for("reputation.expert_list", page=page + 1, **args) if has_more else None
    prev_url = url_for("reputation.expert_list", page=page - 1, **args) if page > 1 else None
    return render_template("reputation/experts.html", form=form, rows=rows, next_url=next_url,
                           prev_url=prev_url, level_label=credit.level_label), status


def _expert_page(expert, invite_form=None, status=200):
    subject_type, subject_id = expert.subject
    ctx = credit_context(subject_type, subject_id)
    tasks = experts.invitable_tasks(current_user)
    if invite_form is None:
        invite_form = InviteForm(formdata=None)
    invite_form.task_id.choices = [(t.id, t.title) for t in tasks]
    received = reviews.public_reviews_of(expert.user_id, limit=10) if expert.user_id else []
    return render_template("reputation/expert.html", expert=expert, invite_form=invite_form, tasks=tasks,
                           work=experts.completed_work(expert),
                           public_reviews=received, can_edit=experts.can_edit(current_user, expert), **ctx), status


@bp.get("/experts/<id:expert_id>")
def expert_show(expert_id):
    return _expert_page(experts.get_expert(expert_id))


@bp.post("/experts/<id:expert_id>/invite")
@login_required
def expert_invite(expert_id):
    expert = experts.get_expert(expert_id)
    form = InviteForm()
    form.task_id.choices = [(t.id, t.title) for t in experts.invitable_tasks(current_user)]
    if not form.validate_on_submit():
        return _expert_page(expert, form, 422)
    experts.invite(current_user, expert, get_task(form.task_id.data))
    flash(_("%(name)s was invited.", name=expert.name), "success")
    return redirect(url_for("reputation.expert_show", expert_id=expert.id), code=303)


def _listing_target():
    org_id = request.values.get("org_id", type=int)
    return experts.ensure_listing(current_user, org_id)


@bp.route("/experts/me", methods=["GET", "POST"])
@login_required
def expert_edit():
    expert = _listing_target()
    form = ExpertListingForm(obj=None if request.method == "POST" else None)
    if request.method == "GET":
        form = ExpertListingForm(formdata=None, headline=expert.headline, fields=list(expert.fields or []),
                                 skills=", ".join(expert.skills or []), city=expert.city or "",
                                 available=expert.available)
    elif form.validate_on_submit():
        try:
            experts.update_listing(current_user, expert, headline=form.headline.data, fields=form.fields.data or [],
                                   skills=form.skills.data, city=form.city.data or "",
                                   available=bool(form.available.data))
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            flash(_("Your expert listing is saved."), "success")
            return redirect(url_for("reputation.expert_show", expert_id=expert.id), code=303)
    status = 422 if form.errors else 200
    return render_template("reputation/expert_edit.html", form=form, expert=expert), status


# --- the blocklist (operators) --------------------------------------------------------------------

@bp.get("/operator/blocklist")
@operator_required
def blocklist():
    rows = list(db.session.scalars(db.select(User).where(User.blocklisted_at.is_not(None))
                                   .order_by(User.blocklisted_at.desc()).limit(200)))
    return render_template("reputation/blocklist.html", users=rows)


def _blocklist_action(user_id, action, done):
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound()
    form = BlocklistForm()
    if not form.validate_on_submit():
        # No field errors: the central handler flashes this on the page the operator came from.
        raise ValidationFailed(_("Give the reason (at most 1000 characters)."))
    action(user, form.reason.data, current_user)
    flash(done, "success")
    return redirect(url_for("operator.user", user_id=user.id), code=303)


@bp.post("/operator/users/<id:user_id>/blocklist")
@operator_required
def blocklist_add(user_id):
    return _blocklist_action(user_id, accounts.set_blocklisted, _("The user is on the blocklist."))


@bp.post("/operator/users/<id:user_id>/blocklist/lift")
@operator_required
def blocklist_lift(user_id):
    return _blocklist_action(user_id, accounts.lift_blocklist, _("The blocklist was lifted."))
