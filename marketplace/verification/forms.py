"""Verification forms, shared by the pages and the JSON API (via json_form)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class IndividualForm(FlaskForm):
    real_name = StringField(_l("Real name"), filters=[_strip], validators=[DataRequired(), Length(max=50)],
                            description=_l("As printed on your resident ID card."))
    id_number = StringField(_l("Resident ID number"), filters=[_strip],
                            validators=[DataRequired(), Length(max=32)],
                            render_kw={"autocomplete": "off", "inputmode": "text", "maxlength": "18"},
                            description=_l("18 characters. Only a masked form is kept."))


class OrgVerificationForm(FlaskForm):
    org_id = HiddenField(validators=[DataRequired()])
    org_name = StringField(_l("Registered name"), filters=[_strip], validators=[DataRequired(), Length(max=200)],
                           description=_l("As printed on the business licence."))
    uscc = StringField(_l("Unified social credit code"), filters=[_strip],
                       validators=[DataRequired(), Length(max=32)],
                       render_kw={"autocomplete": "off", "maxlength": "18"},
                       description=_l("18 characters (统一社会信用代码). Only a masked form is kept."))
    licence = FileField(_l("Business licence"), description=_l("PDF, JPEG or PNG, at most 5 MB."))


class RejectForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), filters=[_strip], validators=[DataRequired(), Length(max=1000)],
                           description=_l("Shown to the applicant."))


class ApproveForm(FlaskForm):
    """Only the CSRF token."""
