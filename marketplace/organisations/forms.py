"""Organisation forms, shared by the pages and the JSON API (via json_form)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from ..core.catalogue import city_choices


def _strip(value):
    return value.strip() if isinstance(value, str) else value


KIND_CHOICES = [("enterprise", _l("Enterprise")), ("university", _l("University")),
                ("institute", _l("Research institute")), ("team", _l("Team"))]
ROLE_CHOICES = [("member", _l("Member")), ("manager", _l("Manager")), ("owner", _l("Owner"))]


class OrgForm(FlaskForm):
    name = StringField(_l("Name"), filters=[_strip], validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=KIND_CHOICES, default="enterprise")
    city = SelectField(_l("City or district"), validators=[Optional()])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.city.choices = city_choices()


class InviteForm(FlaskForm):
    email = StringField(_l("Email"), filters=[_strip],
                        validators=[DataRequired(), Length(max=254), Email(message=_l("Enter a valid email address."))])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, default="member")


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)


class ConfirmForm(FlaskForm):
    """A form with only the CSRF token, for POST buttons (remove, leave, accept)."""
