from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, MultipleFileField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange


class OpenDisputeForm(FlaskForm):
    reason = TextAreaField(_l("What is the disagreement about?"), validators=[InputRequired(), Length(max=5000)])
    amount = StringField(_l("Amount in question (¥)"), validators=[InputRequired()])


class OpenPrizeDisputeForm(OpenDisputeForm):
    """A dispute about a held prize of an awarded bounty: which prize is in question."""
    rank = SelectField(_l("Prize in question"), coerce=int, validators=[InputRequired()])


class EvidenceForm(FlaskForm):
    text = TextAreaField(_l("Your evidence"), validators=[InputRequired(), Length(max=10000)])
    files = MultipleFileField(_l("Files"))


def _percent_field(label):
    return DecimalField(label, places=2, validators=[
        InputRequired(), NumberRange(min=Decimal(0), max=Decimal(100),
                                     message=_l("Give a percentage from 0 to 100."))])


class SettlementForm(FlaskForm):
    percent = _percent_field(_l("Share to the solver (%)"))


class DecisionForm(FlaskForm):
    percent = _percent_field(_l("Share to the solver (%)"))
    reason = TextAreaField(_l("Reason for the decision (the parties read it)"),
                           validators=[InputRequired(), Length(max=5000)])


def percent_to_bps(value) -> int | None:
    """37.5 -> 3750; None for more than two decimals."""
    bps = Decimal(value) * 100
    if bps != bps.to_integral_value():
        return None
    return int(bps)
