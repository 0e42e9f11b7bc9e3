"""A household job (生活服务 抢单) posted and paid in one step.

A household does not need the R&D form: no IP terms, no skills, one place list (city, then
district), a price and a time window, and how to pay. Posting creates the claim task with
`publish_when_funded`, then starts its funding in the same request: paid from the wallet it opens
at once; by bank transfer it waits (its page shows the code and amount) and opens when an operator
confirms the money.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, TextAreaField

from ..core.catalogue import CATEGORIES, city_of, life_service_categories, place_choices
from ..core.db import utcnow
from ..core.errors import ValidationFailed
from ..payments.forms import METHOD_LABELS
from .forms import DateTimeLocalField, MoneyField, OrgField
from .validation import validate_fields


class HouseholdForm(FlaskForm):
    title = StringField(_l("What do you need done?"), render_kw={"maxlength": 200})
    category = SelectField(_l("Kind of job"), choices=[], validate_choice=False)
    description = TextAreaField(_l("Details"), render_kw={"rows": 4},
                                description=_l("e.g. the appliance and its fault, the rooms, what to bring."))
    place = SelectField(_l("Where"), choices=[], validate_choice=False)
    address = StringField(_l("Address"), description=_l("Shown only to the solver who claims the job."))
    window_start = DateTimeLocalField(_l("From"))
    window_end = DateTimeLocalField(_l("Until"))
    price = MoneyField(_l("Price"))
    method = RadioField(_l("Pay by"), choices=[], validate_choice=False)
    org_id = OrgField(_l("On behalf of"), choices=[])

    def __init__(self, *args, methods=(), orgs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.category.choices = [("", "—")] + [(slug, CATEGORIES[slug][1]) for slug in life_service_categories()]
        self.place.choices = {"": [("", "—")], **place_choices()}
        self.method.choices = [(m, METHOD_LABELS[m]) for m in methods]
        self.org_id.choices = [("", _l("Myself"))] + [(o.id, o.name) for o in orgs]
        if not self.method.data and self.method.choices:
            self.method.data = "bank_transfer" if "bank_transfer" in methods else self.method.choices[0][0]

    def task_values(self) -> dict:
        """The claim task's fields (the service checks the rules), or ValidationFailed naming the
        fields that could not even be parsed."""
        errors = {name: [str(m) for m in msgs] for name, msgs in self.errors.items()
                  if name in ("price", "window_start", "window_end")}
        place = self.place.data or None
        if self.category.data and self.category.data not in life_service_categories():
            errors["category"] = [str(_l("Not a valid choice."))]
        values = {
            "title": self.title.data, "description": (self.description.data or "").strip()
            or self.title.data, "category": self.category.data or None,
            "city": city_of(place) if place else None, "district": place if place and "-" in place else None,
            "address": self.address.data, "price": self.price.data,
            "window_start": self.window_start.data, "window_end": self.window_end.data,
            "skills": [], "visibility": "public", "ip_terms": "solver_keeps", "org_id": self.org_id.data,
        }
        if errors:  # name every other bad field too, as the service would
            try:
                validate_fields("claim", {k: v for k, v in values.items() if k not in errors}, now=utcnow())
            except ValidationFailed as exc:
                for name, messages in exc.errors.items():
                    errors.setdefault(name, [str(m) for m in messages])
            raise ValidationFailed(errors=errors)
        return values


# Errors of the task's own fields shown on the household form's fields.
FIELD_MAP = {"city": "place", "district": "place", "amount": "method"}  # "amount": the wallet is short


def show_errors(form: HouseholdForm, exc: ValidationFailed) -> None:
    for field in form:
        field.errors = []
    for name, messages in (exc.errors or {}).items():
        field = getattr(form, FIELD_MAP.get(name, name), None)
        if field is None:
            field = form.title
        field.errors = list(field.errors) + [str(m) for m in messages]
