"""Account pages: register, login/logout, password reset and change, profile, tokens."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..core.db import commit
from ..core.errors import ValidationFailed
from ..core.files import send_stored
from ..core.forms import apply_errors
from ..core.i18n import zone_of
from ..core.inputs import safe_next
from ..extensions import limiter
from . import service, throttle
from .forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    ResendConfirmationForm,
    ResetPasswordForm,
    RoleForm,
    TokenForm,
)
from .policies import admin_required
from .service import AccountSuspended, ConfirmLinkInvalid, EmailNotConfirmed, LoginRefused, ResetLinkInvalid

bp = Blueprint("accounts", __name__)


def _with_form_errors(form, exc: ValidationFailed, template: str, **ctx):
    apply_errors(form, exc)
    return render_template(template, form=form, **ctx), 422


# --- register, login, logout ----------------------------------------------------------------------

@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(throttle.register_limit, methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.profile"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            # The same answer whether or not the email has an account (see service.sign_up).
            service.sign_up(email=form.email.data, password=form.password.data,
                            display_name=form.display_name.data,
                            account_type=form.account_type.data, org_name=form.org_name.data)
        except ValidationFailed as exc:
            return _with_form_errors(form, exc, "accounts/register.html")
        return redirect(url_for("accounts.check_email"), code=303)
    return render_template("accounts/register.html", form=form), 422 if form.is_submitted() else 200


@bp.get("/register/check-email")
def check_email():
    return render_template("accounts/check_email.html")


@bp.get("/register/confirm/<token>")
def confirm_email(token):
    try:
        user = service.confirm_email(token)
    except ConfirmLinkInvalid as exc:
        flash(str(exc.message), "error")
        return redirect(url_for("accounts.resend_confirmation"), code=303)
    login_user(user)
    service.record_login(user, via="confirmation")
    flash(_("Your email address is confirmed. Welcome to Huizhong, %(name)s!", name=user.display_name), "success")
    return redirect(url_for("accounts.profile"), code=303)


@bp.route("/register/resend", methods=["GET", "POST"])
@limiter.limit(throttle.reset_mail_limit, methods=["POST"])  # each POST may send an email
def resend_confirmation():
    form = ResendConfirmationForm()
    if form.validate_on_submit():
        service.resend_confirmation(form.email.data)
        flash(_("If an account waiting for confirmation uses this address, we have sent it a new link."), "info")
        return redirect(url_for("accounts.login"), code=303)
    if request.method == "GET" and request.args.get("email"):
        form.email.data = request.args["email"][:254]
    return (render_template("accounts/resend_confirmation.html", form=form),
            422 if form.is_submitted() else 200)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(throttle.login_limit, methods=["POST"], deduct_when=throttle.failed)  # failures only
def login():
    target = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(target or url_for("core.home"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = service.authenticate(form.email.data, form.password.data)
        except (LoginRefused, AccountSuspended, throttle.AccountLocked, EmailNotConfirmed) as exc:
            # A refused login is a security event: keep its audit row (and the failure count)
            # although we answer 422 (429 while the account's sign-in is paused).
            commit()
            apply_errors(form, exc)
            resend_form = None
            if isinstance(exc, EmailNotConfirmed):
                resend_form = ResendConfirmationForm(formdata=None, email=service.normalise_email(form.email.data))
            page = render_template("accounts/login.html", form=form, resend_form=resend_form)
            return page, (exc.status if isinstance(exc, throttle.AccountLocked) else 422)
        login_user(user, remember=bool(form.remember.data))
        service.record_login(user)
        return redirect(target or url_for("core.home"), code=303)
    return render_template("accounts/login.html", form=form), 422 if form.is_submitted() else 200


@bp.post("/logout")
def logout():
    # Sessions are signed cookies: a copy replayed after logout would still be valid, so logging
    # out rotates the account's session version, which ends every session of the account.
    if current_user.is_authenticated:
        service.end_sessions(current_user._get_current_object())
        service.audit_logout(current_user._get_current_object())
    logout_user()
    flash(_("You have been logged out on every device."), "info")
    return redirect(url_for("core.home"), code=303)


# --- passwords ------------------------------------------------------------------------------------

@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(throttle.reset_mail_limit, methods=["POST"])  # each POST may send an email
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        service.request_password_reset(form.email.data)
        flash(_("If an account uses this address, we have sent it a link to reset the password."), "info")
        return redirect(url_for("accounts.login"), code=303)
    return render_template("accounts/forgot_password.html", form=form), 422 if form.is_submitted() else 200


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token):
    try:
        user = service.user_for_reset_token(token)
    except ResetLinkInvalid as exc:
        flash(str(exc.message), "error")
        return redirect(url_for("accounts.forgot_password"), code=303)
    form = ResetPasswordForm(email=user.email)
    if form.validate_on_submit():
        try:
            service.reset_password(token, form.password.data)
        except ValidationFailed as exc:
            return _with_form_errors(form, exc, "accounts/reset_password.html")
        logout_user()
        flash(_("Your password has been changed. Please log in with the new password."), "info")
        return redirect(url_for("accounts.login"), code=303)
    return render_template("accounts/reset_password.html", form=form), 422 if form.is_submitted() else 200


@bp.route("/password/change", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm(email=current_user.email)
    if form.validate_on_submit():
        try:
            service.change_password(current_user, form.current_password.data, form.password.data)
        except ValidationFailed as exc:
            return _with_form_errors(form, exc, "accounts/change_password.html")
        # Other sessions end with the old password; this one carries on under the new one.
        login_user(current_user._get_current_object())
        flash(_("Your password has been changed."), "info")
        return redirect(url_for("accounts.profile"), code=303)
    return render_template("accounts/change_password.html", form=form), 422 if form.is_submitted() else 200


# --- profile --------------------------------------------------------------------------------------

@bp.route("/me", methods=["GET", "POST"])
@login_required
def profile():
    user = current_user
    form = ProfileForm(data={"display_name": user.display_name, "bio": user.bio,
                             "skills": ", ".join(user.skills or []), "city": user.city or "",
                             "locale": user.locale or "", "timezone": zone_of(user)})
    if form.validate_on_submit():
        try:
            service.update_profile(user, display_name=form.display_name.data, bio=form.bio.data,
                                   city=form.city.data, skills=form.skills.data,
                                   locale=form.locale.data, timezone=form.timezone.data,
                                   avatar=form.avatar.data)
        except ValidationFailed as exc:
            return _with_form_errors(form, exc, "accounts/profile.html", user=user)
        flash(_("Your profile has been saved."), "info")
        return redirect(url_for("accounts.profile"), code=303)
    return (render_template("accounts/profile.html", form=form, user=user),
            422 if form.is_submitted() else 200)


@bp.get("/users/<id:user_id>")
def public_profile(user_id):
    user = service.get_user(user_id)
    if user.suspended_at is not None and not (current_user.is_authenticated and current_user.is_operator):
        abort(404)
    sections = service.profile_sections(user)
    role_form = None
    if current_user.is_authenticated and current_user.is_admin and current_user.id != user.id:
        role_form = RoleForm(formdata=None, role=user.role)
    return render_template("accounts/public_profile.html", user=user, sections=sections,
                           avatar_url=service.avatar_url(user), role_form=role_form)


@bp.post("/users/<id:user_id>/role")
@admin_required
def set_role(user_id):
    user = service.get_user(user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        raise ValidationFailed(errors=form.errors)
    service.set_role(current_user, user, form.role.data)
    flash(_("%(name)s is now: %(role)s.", name=user.display_name, role=form.role.data), "info")
    return redirect(url_for("accounts.public_profile", user_id=user.id), code=303)


@bp.get("/users/<id:user_id>/avatar")
def avatar(user_id):
    user = service.get_user(user_id)
    if not user.avatar_path:
        abort(404)
    try:
        response = send_stored(user.avatar_path, max_age=86400)
    except (OSError, ValueError):
        abort(404)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# --- API tokens -----------------------------------------------------------------------------------

@bp.route("/settings/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    form = TokenForm()
    new_token = None
    status = 200
    if form.validate_on_submit():
        _row, new_token = service.create_token(current_user, form.name.data)
        form = TokenForm(formdata=None)
    elif form.is_submitted():
        status = 422
    response = current_app.make_response((render_template(
        "accounts/tokens.html", form=form, tokens=service.tokens_of(current_user),
        new_token=new_token), status))
    response.headers["Cache-Control"] = "no-store"  # the new token is shown exactly once
    return response


@bp.post("/settings/tokens/<id:token_id>/revoke")
@login_required
def revoke_token(token_id):
    row = service.revoke_token(current_user, token_id)
    flash(_("Token %(prefix)s… has been revoked.", prefix=row.prefix), "info")
    return redirect(url_for("accounts.tokens"), code=303)
