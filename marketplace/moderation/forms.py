"""Moderation forms (pages and API)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, TextAreaField
from wtforms.validators import Optional


class ReportForm(FlaskForm):
    reason = TextAreaField(_l("What is wrong?"), render_kw={"maxlength": 2000})
    task_id = IntegerField(_l("Task"), validators=[Optional()])
    user_id = IntegerField(_l("User"), validators=[Optional()])


class HideTaskForm(FlaskForm):
    reason = TextAreaField(_l("Reason (the poster reads it)"), render_kw={"maxlength": 2000})


class ResolveReportForm(FlaskForm):
    resolution = TextAreaField(_l("What was done"), render_kw={"maxlength": 2000})
