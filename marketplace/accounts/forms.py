"""Account forms, shared by the pages and the JSON API (via json_form)."""
from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from ..core.catalogue import city_choices
from ..core.i18n import timezone_choices
from .passwords import MAX_LENGTH, password_problems

ACCOUNT_TYPE_CHOICES = [("individual", _l("Individual")), ("organization", _l("Organisation"))]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _check_policy(password_field, email: str | None) -> None:
    problems = password_problems(password_field.data or "", email)
    if problems:
        raise ValidationError(" ".join(str(p) for p in problems))


class RegisterForm(FlaskForm):
    email = StringField(_l("Email"), filters=[_strip],
                        validators=[DataRequired(), Length(max=254), Email(message=_l("Enter a valid email address."))])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAX_LENGTH)],
                             description=_l("At least 10 characters; not only digits; not a common password."))
    confirm = PasswordField(_l("Repeat the password"),
                            validators=[DataRequired(), EqualTo("password", message=_l("The passwords do not match."))])
    display_name = StringField(_l("Display name"), filters=[_strip], validators=[DataRequired(), Length(max=80)])
    account_type = SelectField(_l("Account type"), choices=ACCOUNT_TYPE_CHOICES, default="individual")
    org_name = StringField(_l("Organisation name"), filters=[_strip], validators=[Optional(), Length(max=200)],
                           description=_l("Only for organisation accounts."))

    def validate_password(self, field):
        _check_policy(field, self.email.data)

    def validate_org_name(self, field):
        if self.account_type.data == "organization" and not field.data:
            raise ValidationError(_l("Enter the name of the organisation."))


class LoginForm(FlaskForm):
    email = StringField(_l("Email"), filters=[_strip], validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAX_LENGTH)])
    remember = BooleanField(_l("Keep me logged in"))


class TokenLoginForm(LoginForm):
    """POST /api/v1/tokens: the login fields plus an optional token name."""
    name = StringField(_l("Token name"), filters=[_strip], validators=[Optional(), Length(max=80)])


class ForgotPasswordForm(FlaskForm):
    email = StringField(_l("Email"), filters=[_strip],
                        validators=[DataRequired(), Length(max=254), Email(message=_l("Enter a valid email address."))])


class ResendConfirmationForm(ForgotPasswordForm):
    """The address to send the registration's confirmation link to again."""


class ResetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=MAX_LENGTH)],
                             description=_l("At least 10 characters; not only digits; not a common password."))
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[DataRequired(), EqualTo("password", message=_l("The passwords do not match."))])

    def __init__(self, *args, email: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._email = email

    def validate_password(self, field):
        _check_policy(field, self._email)


class ChangePasswordForm(ResetPasswordForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=MAX_LENGTH)])


class ProfileForm(FlaskForm):
    display_name = StringField(_l("Display name"), filters=[_strip], validators=[DataRequired(), Length(max=80)])
    bio = TextAreaField(_l("About me"), validators=[Optional(), Length(max=2000)])
    skills = StringField(_l("Skills"), validators=[Optional(), Length(max=1000)],
                         description=_l("Separate skills with commas, e.g. 光纤传感, 嵌入式, translation."))
    city = SelectField(_l("City or district"), validators=[Optional()])
    locale = SelectField(_l("Language"), validators=[Optional()])
    timezone = SelectField(_l("Time zone"), validators=[Optional()],
                           description=_l("Times on pages, in emails and in notifications are shown in this zone."))
    avatar = FileField(_l("Avatar"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        megabytes = round(current_app.config["AVATAR_MAX_BYTES"] / 1024 / 1024, 1)
        self.avatar.description = _l("PNG, JPEG, GIF or WebP, at most %(size)s MB.", size=megabytes)
        self.city.choices = city_choices()
        self.locale.choices = [("", _l("Automatic")), ("zh_CN", "中文"), ("en", "English")]
        self.timezone.choices = timezone_choices()


class TokenForm(FlaskForm):
    name = StringField(_l("Token name"), filters=[_strip], validators=[DataRequired(), Length(max=80)],
                       description=_l("What the token is for, e.g. “build server”."))


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=[("member", _l("Member")), ("operator", _l("Operator")),
                                            ("admin", _l("Administrator"))])
