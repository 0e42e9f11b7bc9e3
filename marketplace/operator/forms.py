"""Operator forms: audit filters, user search, suspension."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter form

    action = StringField(_l("Action"), filters=[_strip], validators=[Optional(), Length(max=64)])
    actor = StringField(_l("Actor email"), filters=[_strip], validators=[Optional(), Length(max=254)])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])


class UserSearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Email or name"), filters=[_strip], validators=[Optional(), Length(max=254)])


class SuspendForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), filters=[_strip], validators=[DataRequired(), Length(max=1000)],
                           description=_l("Recorded in the audit log and sent to the user."))
