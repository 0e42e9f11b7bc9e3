"""Accounts on the JSON API: register, tokens, /me."""
from __future__ import annotations

from flask import jsonify
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..api import api_route, api_user, json_body, json_form
from ..api.schema import FormBody
from ..core.db import commit, iso
from ..core.errors import NotFound, ValidationFailed
from ..core.i18n import zone_of
from ..extensions import limiter
from . import service, throttle
from .forms import ProfileForm, RegisterForm, ResendConfirmationForm, RoleForm, TokenLoginForm
from .registration import MAX_SKILL_LENGTH, MAX_SKILLS
from .service import AccountSuspended, EmailNotConfirmed, LoginRefused


class RegisterBody(RegisterForm):
    """The registration form without the repeated password, which only a page needs."""
    confirm = None


def _token_json(row) -> dict:
    return {"id": row.id, "name": row.name, "prefix": row.prefix, "created_at": iso(row.created_at),
            "last_used_at": iso(row.last_used_at), "revoked_at": iso(row.revoked_at)}


def _confirmation_sent():
    """The one answer of registration and of a repeated confirmation mail, whatever the address."""
    return jsonify({"status": "confirmation_sent",
                    "detail": _("We have sent a mail to this address. Open the link in it to confirm the "
                                "address; then log in (POST /api/v1/tokens).")}), 202


@api_route("/users", methods=["POST"], auth=False, status=202, tags=["accounts"],
           summary="Register a new account (confirmed by a mailed link before it can sign in)",
           description="Answers 202 with the same body whether or not the email already has an account: "
                       "a new account is created unconfirmed and mailed a confirmation link; the owner of "
                       "an existing one is mailed that someone tried to register with the address. Bad "
                       "fields answer 422 naming them; org_name is required when account_type is organization.",
           body=FormBody(RegisterBody, refine={"password": {"minLength": 10, "pattern": r"\D"}}, variants={
               "person": {"account_type": {"enum": ["individual"]}},
               "organisation": {"account_type": {"enum": ["organization"], "required": True},
                                "org_name": {"required": True, "minLength": 1, "pattern": r"\S"}}}))
@limiter.limit(throttle.register_limit, methods=["POST"])
def accounts_register_user():
    form = json_form(RegisterBody)
    service.sign_up(email=form.email.data, password=form.password.data,
                    display_name=form.display_name.data, account_type=form.account_type.data,
                    org_name=form.org_name.data)
    return _confirmation_sent()


@api_route("/users/confirmation", methods=["POST"], auth=False, status=202, tags=["accounts"],
           summary="Send the confirmation link of a registration again",
           description="Answers 202 with the same body for any address; a mail goes only to an account "
                       "waiting for confirmation.",
           body=FormBody(ResendConfirmationForm))
@limiter.limit(throttle.reset_mail_limit, methods=["POST"])  # each call may send an email
def accounts_resend_confirmation():
    form = json_form(ResendConfirmationForm)
    service.resend_confirmation(form.email.data)
    return _confirmation_sent()


@api_route("/tokens", methods=["POST"], auth=False, status=201, tags=["accounts"],
           summary="Exchange email and password for a bearer token (shown once)",
           body=FormBody(TokenLoginForm, exclude={"remember"}))
@limiter.limit(throttle.login_limit, methods=["POST"], deduct_when=throttle.failed)  # failures only
def accounts_create_token():
    form = json_form(TokenLoginForm)
    try:
        user = service.authenticate(form.email.data, form.password.data, via="api")
    except (LoginRefused, AccountSuspended, throttle.AccountLocked, EmailNotConfirmed):
        commit()  # keep the audit row of the refused attempt; the error handler answers
        raise
    service.record_login(user, via="api")
    row, token = service.create_token(user, form.name.data or "API")
    return jsonify({"token": token, **_token_json(row)}), 201


@api_route("/tokens", methods=["GET"], tags=["accounts"], summary="My API tokens (never the tokens themselves)")
def accounts_list_tokens():
    return jsonify({"items": [_token_json(row) for row in service.tokens_of(api_user())],
                    "next_cursor": None})


@api_route("/tokens/<id:token_id>", methods=["DELETE"], status=204, tags=["accounts"],
           summary="Revoke one of my tokens")
def accounts_revoke_token(token_id):
    service.revoke_token(api_user(), token_id)
    return "", 204


@api_route("/me", methods=["GET"], tags=["accounts"], summary="My profile, roles, verification and organisations")
def accounts_me():
    return jsonify(service.me_payload(api_user()))


_PROFILE_KEYS = ("display_name", "bio", "city", "skills", "locale", "timezone")


@api_route("/me", methods=["PATCH"], tags=["accounts"], summary="Edit my profile (fields not sent stay as they are)",
           body=FormBody(ProfileForm, exclude={"avatar"}, optional={"*"}, extra={"skills": {
               "type": ["array", "string"], "maxItems": MAX_SKILLS, "maxLength": 1000,
               "items": {"type": "string", "maxLength": MAX_SKILL_LENGTH, "pattern": r"^[^,，、;；\n\r]*$"},
               "description": "a list of tags, or one text with tags separated by commas"}}))
def accounts_update_me():
    user = api_user()
    body = json_body()
    data = {"display_name": user.display_name, "bio": user.bio or "", "city": user.city or "",
            "skills": list(user.skills or []), "locale": user.locale or "", "timezone": zone_of(user)}
    for key in _PROFILE_KEYS:
        if key in body:
            data[key] = "" if body[key] is None and key != "display_name" else body[key]
    skills = data["skills"]
    if isinstance(skills, list):
        if not all(isinstance(s, str) for s in skills):
            raise ValidationFailed(errors={"skills": [_l("Skills must be a list of text tags.")]})
    elif not isinstance(skills, str):
        raise ValidationFailed(errors={"skills": [_l("Skills must be a list of text tags.")]})
    for key in ("display_name", "bio", "city", "locale", "timezone"):
        if data[key] is not None and not isinstance(data[key], str):
            raise ValidationFailed(errors={key: [_l("This field must be text.")]})
    form_data = {**data, "skills": skills if isinstance(skills, str) else ", ".join(skills)}
    form = json_form(ProfileForm, data=form_data)
    service.update_profile(user, display_name=form.display_name.data, bio=form.bio.data,
                           city=form.city.data or None, skills=skills, locale=form.locale.data,
                           timezone=form.timezone.data)
    return jsonify(service.me_payload(user))


@api_route("/users/<id:user_id>", methods=["GET"], auth=False, tags=["accounts"],
           summary="A user's public profile")
def accounts_public_user(user_id):
    user = service.get_user(user_id)
    if user.suspended_at is not None:
        raise NotFound()
    return jsonify(service.public_payload(user))


@api_route("/users/<id:user_id>/role", methods=["POST"], tags=["accounts"], body=FormBody(RoleForm),
           summary="Change a user's role (admins only)")
def accounts_set_role(user_id):
    actor = api_user()
    user = service.get_user(user_id)
    form = json_form(RoleForm)
    service.set_role(actor, user, form.role.data)
    return jsonify({**service.public_payload(user), "role": user.role, "roles": user.roles})
