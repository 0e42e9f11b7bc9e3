"""Task forms, shared by the pages and the JSON API (via json_form).

The forms parse input into typed values (amounts in minor units, naive-UTC datetimes, lists) and
report what cannot be parsed on its field; the rules (required fields, ranges, deadlines) are the
service's. On pages amounts are in yuan ("1,500.00") and times in the platform's time zone; with
`api=True` amounts are integer minor units and times ISO 8601 (naive means UTC).
"""
from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional, ValidationError
from wtforms.widgets import TextInput

from ..core.catalogue import category_choices, city_choices
from ..core.db import utcnow
from ..core.errors import ValidationFailed
from ..core.i18n import current_timezone
from ..core.inputs import parse_id
from ..core.money import format_plain, parse_amount
from .service import COMMON_FIELDS, MODE_FIELDS, validate_fields

MODE_CHOICES = [("tender", _l("Tender (招标): solvers bid")),
                ("claim", _l("Claim (抢单): fixed-price local service")),
                ("bounty", _l("Bounty (悬赏): funded reward, many submit"))]
MODE_LABELS = [("tender", _l("Tender")), ("claim", _l("Claim")), ("bounty", _l("Bounty"))]
VISIBILITY_CHOICES = [("public", _l("Public")), ("invite", _l("Invited solvers only"))]
IP_CHOICES = [("solver_keeps", _l("The solver keeps the IP")),
              ("license", _l("The poster gets a licence")),
              ("transfer", _l("The IP is transferred to the poster"))]
PRIZE_CHOICES = [("", "—"), ("single", _l("Single winner")), ("ranked", _l("Ranked prizes (1st, 2nd, …)")),
                 ("piece", _l("Per piece (计件)"))]
ELIGIBILITY_CHOICES = [("anyone", _l("Anyone")), ("verified", _l("Verified solvers")),
                       ("invited", _l("Invited solvers"))]
SORT_CHOICES = [("newest", _l("Newest")), ("deadline", _l("Deadline")), ("amount", _l("Amount"))]
STATUS_FILTER_CHOICES = [("open", _l("Open")), ("all", _l("All"))]

_LIST_SPLIT = re.compile(r"[,，、;；\s]+")


def _local_zone() -> ZoneInfo:
    """The zone a time typed on a page is in: the user's (Asia/Shanghai unless they chose another)."""
    return ZoneInfo(current_timezone())


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class _ParsedField(Field):
    """A text input whose data is the parsed value; unparsable input becomes the field's error
    and the input is kept for re-display."""
    widget = TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.raw = None
        self.parse_error = None

    allow_zero = False

    @property
    def api(self) -> bool:
        return bool(getattr(self.meta, "api", False))

    def parse(self, value):
        raise NotImplementedError

    def show(self, value) -> str:
        return "" if value is None else str(value)

    def process_formdata(self, valuelist):
        self.raw = valuelist
        self.data = None
        if not valuelist or all(_blank(v) for v in valuelist):
            return
        try:
            self.data = self.parse(valuelist)
        except ValidationFailed as exc:
            self.parse_error = next(iter(exc.errors.values()))[0]
        except ValueError as exc:
            self.parse_error = str(exc)

    def pre_validate(self, form):
        if self.parse_error:
            raise ValidationError(self.parse_error)

    def _value(self):
        if self.raw:
            return ", ".join(str(v) for v in self.raw)
        return self.show(self.data)


class MoneyField(_ParsedField):
    def parse(self, valuelist):
        return parse_amount(valuelist[0], self.name, minor=self.api, allow_zero=self.allow_zero)

    def show(self, value):
        return "" if value is None else format_plain(value)


class FilterAmountField(MoneyField):
    allow_zero = True


class MoneyListField(_ParsedField):
    """Prize amounts: several values (API list) or one comma-separated text (page)."""
    def parse(self, valuelist):
        items = valuelist
        if len(valuelist) == 1 and isinstance(valuelist[0], str):
            items = [p for p in _LIST_SPLIT.split(valuelist[0]) if p]
        return [parse_amount(v, self.name, minor=self.api) for v in items]

    def show(self, value):
        return ", ".join(format_plain(v) for v in value or [])


class TagListField(_ParsedField):
    def parse(self, valuelist):
        items = []
        for value in valuelist:
            items += [p for p in re.split(r"[,，、;；]+", str(value)) if p.strip()]
        return [p.strip() for p in items]

    def show(self, value):
        return ", ".join(value or [])


class DateTimeLocalField(_ParsedField):
    """A moment: `YYYY-MM-DDTHH:MM` in the platform's time zone on pages, ISO 8601 in the API."""
    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, render_kw={"type": "datetime-local"}, **kwargs)

    def parse(self, valuelist):
        text = str(valuelist[0]).strip()
        try:
            value = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T"))
        except ValueError:
            raise ValueError(_l("Enter a date and time like 2026-12-31T18:00.")) from None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc if self.api else _local_zone())
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)

    def show(self, value):
        if value is None:
            return ""
        return value.replace(tzinfo=dt.timezone.utc).astimezone(_local_zone()).strftime("%Y-%m-%dT%H:%M")


class OrgField(SelectField):
    """"On behalf of": the organisations the user manages; the service checks the right."""
    def __init__(self, *args, **kwargs):
        super().__init__(*args, validate_choice=False, **kwargs)

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist and not _blank(valuelist[0]):
            try:
                self.data = parse_id(valuelist[0], self.name)
            except ValidationFailed:
                raise ValueError(_l("Choose an organisation.")) from None


class TaskForm(FlaskForm):
    mode = SelectField(_l("How solvers take it on"), choices=MODE_CHOICES, default="tender")
    title = StringField(_l("Title"), render_kw={"maxlength": 200})
    description = TextAreaField(_l("Description"),
                                description=_l("What is needed, deliverables, acceptance criteria. Markdown."))
    category = SelectField(_l("Category"), choices=category_choices(), validate_choice=False)
    skills = TagListField(_l("Skills"), description=_l("Comma-separated, e.g. Python, 光学设计"))
    city = SelectField(_l("City"), choices=city_choices(), validate_choice=False)
    visibility = SelectField(_l("Visibility"), choices=VISIBILITY_CHOICES, validate_choice=False, default="public")
    ip_terms = SelectField(_l("Intellectual property"), choices=IP_CHOICES, validate_choice=False,
                           default="solver_keeps")
    org_id = OrgField(_l("On behalf of"), choices=[])
    currency = StringField(_l("Currency"))

    budget_min = MoneyField(_l("Budget from"))
    budget_max = MoneyField(_l("Budget up to"))
    bid_deadline = DateTimeLocalField(_l("Bids close at"))

    price = MoneyField(_l("Fixed price"))
    address = StringField(_l("Address"), description=_l("Shown only to the solver who claims the task."))
    district = SelectField(_l("District"), choices=city_choices(), validate_choice=False)
    window_start = DateTimeLocalField(_l("From"))
    window_end = DateTimeLocalField(_l("Until"))

    prize_structure = SelectField(_l("Prize structure"), choices=PRIZE_CHOICES, validate_choice=False)
    prizes = MoneyListField(_l("Prizes"), description=_l("1st, 2nd, … separated by commas"))
    unit_price = MoneyField(_l("Price per accepted piece"))
    max_pieces = IntegerField(_l("At most this many pieces"), validators=[Optional()])
    submission_deadline = DateTimeLocalField(_l("Submissions close at"))
    selection_days = IntegerField(_l("Days to choose winners"), validators=[Optional()])
    eligibility = SelectField(_l("Who may submit"), choices=ELIGIBILITY_CHOICES, validate_choice=False,
                              default="anyone")
    criteria = TextAreaField(_l("Judging criteria"), render_kw={"maxlength": 5000},
                             description=_l("How entries are judged; solvers see this before they submit."))
    reward = MoneyField(_l("Total reward"), description=_l("Optional: checked against the prizes."))

    def __init__(self, *args, api: bool = False, orgs=(), **kwargs):
        super().__init__(*args, meta={**(kwargs.pop("meta", None) or {}), "api": api}, **kwargs)
        self.org_id.choices = [("", _l("Myself"))] + [(o.id, o.name) for o in orgs]
        self._api = api

    def submitted(self, name: str) -> bool:
        raw = getattr(self, name).raw_data
        return raw is not None and len(raw) > 0

    def values(self, mode: str, *, partial: bool = False) -> dict:
        """Typed values of the common fields and those of `mode`; with partial=True only the
        fields present in the input (PATCH)."""
        result = {}
        for name in COMMON_FIELDS + MODE_FIELDS[mode]:
            if partial and not self.submitted(name):
                continue
            value = getattr(self, name).data
            if isinstance(value, str):
                value = value if value.strip() else None
            result[name] = value
        if mode == "bounty" and self.submitted("reward") and self.reward.data is not None:
            result["reward"] = self.reward.data
        return result

    def checked_values(self, mode: str | None = None, *, partial: bool = False) -> dict:
        """The typed values after `validate()`, or ValidationFailed naming every bad field: the
        input that could not be parsed and (for a whole task) every rule the rest breaks."""
        errors = {k: [str(m) for m in v] for k, v in self.errors.items() if not isinstance(v, dict)}
        mode = mode or self.mode.data
        if mode not in MODE_FIELDS:
            errors["mode"] = [str(_l("Choose tender, claim or bounty."))]
            raise ValidationFailed(errors=errors)
        errors.pop("mode", None)
        values = self.values(mode, partial=partial)
        if errors and not partial:
            try:
                validate_fields(mode, {k: v for k, v in values.items() if k not in errors}, now=utcnow())
            except ValidationFailed as exc:
                for name, messages in exc.errors.items():
                    errors.setdefault(name, messages)
        if errors:
            raise ValidationFailed(errors=errors)
        return values

    @classmethod
    def for_task(cls, task, **kwargs):
        """The edit form of an existing task."""
        data = {name: getattr(task, name) for name in COMMON_FIELDS + MODE_FIELDS[task.mode]}
        data["mode"] = task.mode
        return cls(data=data, **kwargs)


class DeferredTaskForm(TaskForm):
    """For the API: validation collects errors but lets `checked_values` report them all."""
    def validate(self, extra_validators=None):
        super().validate(extra_validators)
        return True


class QuestionForm(FlaskForm):
    text = TextAreaField(_l("Your question"), render_kw={"maxlength": 2000})


class AnswerForm(FlaskForm):
    answer = TextAreaField(_l("Answer"), render_kw={"maxlength": 2000})


class InviteForm(FlaskForm):
    solver_id = IntegerField(_l("Solver"))


class ReportForm(FlaskForm):
    reason = TextAreaField(_l("What is wrong?"), render_kw={"maxlength": 2000})


class HideForm(FlaskForm):
    reason = TextAreaField(_l("Reason (the poster reads it)"), render_kw={"maxlength": 2000})


class FundingForm(FlaskForm):
    method = SelectField(_l("Pay by"), choices=[("wallet", _l("Wallet balance")),
                                                ("bank_transfer", _l("Bank transfer (对公转账)")),
                                                ("card", _l("Card"))], validate_choice=False)


class SearchForm(FlaskForm):
    """The /tasks filters (GET, no CSRF)."""
    class Meta:
        csrf = False

    q = StringField(_l("Keywords"))
    mode = SelectField(_l("Mode"), choices=[("", _l("Any mode"))] + MODE_LABELS, validate_choice=False)
    category = SelectField(_l("Category"), choices=category_choices(), validate_choice=False)
    city = SelectField(_l("City"), choices=city_choices(), validate_choice=False)
    status = SelectField(_l("Status"), choices=STATUS_FILTER_CHOICES, validate_choice=False, default="open")
    min_amount = FilterAmountField(_l("Amount from"))
    max_amount = FilterAmountField(_l("Amount up to"))
    sort = SelectField(_l("Sort"), choices=SORT_CHOICES, validate_choice=False, default="newest")

    def __init__(self, *args, api: bool = False, **kwargs):
        super().__init__(*args, meta={**(kwargs.pop("meta", None) or {}), "api": api}, **kwargs)

