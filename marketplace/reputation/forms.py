"""Forms of the reputation pages: a review, a reply, the blocklist, the expert listing and search."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from ..core.catalogue import FAMILIES, category_choices, city_choices

STARS = [(str(n), str(n)) for n in range(5, 0, -1)]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class ReviewForm(FlaskForm):
    rating = RadioField(_l("Overall"), choices=STARS, validators=[DataRequired()], coerce=str)
    quality = RadioField(_l("Quality"), choices=STARS, validators=[DataRequired()], coerce=str)
    communication = RadioField(_l("Communication"), choices=STARS, validators=[DataRequired()], coerce=str)
    timeliness = RadioField(_l("Timeliness"), choices=STARS, validators=[DataRequired()], coerce=str)
    text = TextAreaField(_l("Your review"), filters=[_strip], validators=[Optional(), Length(max=4000)])


class ReplyForm(FlaskForm):
    text = TextAreaField(_l("Your public reply"), filters=[_strip], validators=[DataRequired(), Length(max=2000)])


class BlocklistForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), filters=[_strip], validators=[DataRequired(), Length(max=1000)],
                           description=_l("Shown to the user and recorded in the audit log and their credit record."))


class ExpertListingForm(FlaskForm):
    headline = StringField(_l("Headline"), filters=[_strip], validators=[Optional(), Length(max=200)])
    fields = SelectMultipleField(_l("Fields"), choices=category_choices(blank=False), validators=[Optional()])
    skills = StringField(_l("Skills"), filters=[_strip], validators=[Optional(), Length(max=700)],
                         description=_l("Separate skills with commas."))
    city = SelectField(_l("City"), choices=city_choices(), validators=[Optional()])
    available = BooleanField(_l("Available for new work"))


def field_choices():
    families = [(key, name) for key, name in FAMILIES.items()]
    return [("", "—")] + families + category_choices(blank=False)


class ExpertSearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Search"), filters=[_strip], validators=[Optional(), Length(max=100)])
    field = SelectField(_l("Field"), choices=field_choices, validators=[Optional()])
    skill = StringField(_l("Skill"), filters=[_strip], validators=[Optional(), Length(max=30)])
    city = SelectField(_l("City"), choices=city_choices(), validators=[Optional()])
    verification = SelectField(_l("Verified as"), choices=[("", "—"), ("individual", _l("Individual")),
                                                          ("organisation", _l("Organisation"))],
                               validators=[Optional()])
    min_score = IntegerField(_l("Credit at least"), validators=[Optional()])
    available = SelectField(_l("Availability"), choices=[("", "—"), ("1", _l("Available for new work")),
                                                        ("0", _l("Not available for new work"))], validators=[Optional()])
    sort = SelectField(_l("Sort"), choices=[("credit", _l("Best credit")), ("completed", _l("Most completed")),
                                            ("recent", _l("Newest"))], validators=[Optional()])


class InviteForm(FlaskForm):
    task_id = SelectField(_l("Task"), coerce=int, validators=[DataRequired()])
