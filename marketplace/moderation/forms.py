"""Moderation forms (pages and API)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional


class ReportForm(FlaskForm):
    reason = TextAreaField(_l("What is wrong?"), render_kw={"maxlength": 2000})
    task_id = IntegerField(_l("Task"), validators=[Optional()])
    user_id = IntegerField(_l("User"), validators=[Optional()])


class HideTaskForm(FlaskForm):
    reason = TextAreaField(_l("Reason (the poster reads it)"), render_kw={"maxlength": 2000})


class ResolveReportForm(FlaskForm):
    resolution = TextAreaField(_l("What was done"), render_kw={"maxlength": 2000})


class NegativeRuleForm(FlaskForm):
    name = StringField(_l("Rule key (e.g. pyramid_selling)"), validators=[InputRequired(), Length(max=40)])
    label = StringField(_l("Name shown to posters"), validators=[Optional(), Length(max=100)])
    words = TextAreaField(_l("Words, one per line"), validators=[InputRequired()])
    reason = StringField(_l("Reason (for the audit log)"), validators=[InputRequired(), Length(max=1000)])


class RemoveRuleForm(FlaskForm):
    reason = StringField(_l("Reason (for the audit log)"), validators=[InputRequired(), Length(max=1000)])
