from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import MultipleFileField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

FUNDING_METHODS = (("bank_transfer", _l("Corporate bank transfer")), ("wallet", _l("Wallet balance")),
                   ("card", _l("Card")))


class FundForm(FlaskForm):
    method = SelectField(_l("Pay by"), choices=FUNDING_METHODS, validators=[InputRequired()])


class DeliverForm(FlaskForm):
    note = TextAreaField(_l("What you deliver"), validators=[InputRequired(), Length(max=20000)])
    files = MultipleFileField(_l("Files"))


class RevisionForm(FlaskForm):
    reason = TextAreaField(_l("What needs to change"), validators=[InputRequired(), Length(max=20000)])


class AbandonForm(FlaskForm):
    reason = TextAreaField(_l("Why you give it up"), validators=[Optional(), Length(max=2000)])


class MessageForm(FlaskForm):
    body = TextAreaField(_l("Message"), validators=[InputRequired(), Length(max=5000)])
