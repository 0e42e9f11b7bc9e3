from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Form, FormField, IntegerField, MultipleFileField, SelectField, StringField, TextAreaField
from wtforms.fields import FieldList
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ..organisations.service import orgs_managed_by


class BidForm(FlaskForm):
    amount = StringField(_l("Your price (¥)"), validators=[InputRequired(), Length(max=20)])
    days = IntegerField(_l("Days to deliver"), validators=[InputRequired(), NumberRange(min=1, max=3650)])
    proposal = TextAreaField(_l("Proposal"), validators=[InputRequired(), Length(max=20000)])
    files = MultipleFileField(_l("Attachments (PDF, images, ZIP, text; at most 10 MB each)"))
    org_id = SelectField(_l("Bid as"), choices=[], validate_choice=False)

    def offer_orgs(self, user) -> None:
        """Let the solver bid for an organisation it owns or manages."""
        self.org_id.choices = [("", _l("Myself"))] + [(str(o.id), o.name) for o in orgs_managed_by(user)]


class RejectForm(FlaskForm):
    reason = TextAreaField(_l("Reason (optional, shown to the bidder)"), validators=[Optional(), Length(max=2000)])


class MilestoneRow(Form):
    title = StringField(_l("Milestone"), validators=[Optional(), Length(max=200)])
    amount = StringField(_l("Amount (¥)"), validators=[Optional(), Length(max=20)])


class AwardForm(FlaskForm):
    milestones = FieldList(FormField(MilestoneRow), min_entries=5, max_entries=20)
