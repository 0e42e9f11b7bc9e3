"""Checking a task's fields: every rule names the field it concerns."""
from __future__ import annotations

import datetime as dt

from flask import current_app
from flask_babel import lazy_gettext as _l

from ..core.catalogue import CATEGORIES, CITIES, city_of
from ..core.errors import Forbidden, ValidationFailed
from ..core.money import MAX_AMOUNT, SUPPORTED_CURRENCIES
from . import policies
from .models import (
    ELIGIBILITIES,
    IP_TERMS,
    MODES,
    PRIZE_STRUCTURES,
    VISIBILITIES,
)

COMMON_FIELDS = ("title", "description", "category", "skills", "city", "visibility", "ip_terms",
                 "org_id", "currency")
MODE_FIELDS = {
    "tender": ("budget_min", "budget_max", "bid_deadline"),
    "claim": ("price", "address", "district", "window_start", "window_end"),
    "bounty": ("prize_structure", "prizes", "unit_price", "max_pieces", "submission_deadline",
               "selection_days", "eligibility", "criteria"),
}
ALL_FIELDS = COMMON_FIELDS + tuple(f for fields in MODE_FIELDS.values() for f in fields)
# Fields that may still change once the task is open (and re-checked against the negative list).
OPEN_EDITABLE_FIELDS = ("title", "description", "skills")
# Fields fixed once money is in escrow.
MONEY_FIELDS = ("currency", "price", "prizes", "unit_price", "max_pieces", "prize_structure")

TITLE_MAX = 200
DESCRIPTION_MAX = 20_000
ADDRESS_MAX = 300
SKILL_MAX = 40
SKILLS_MAX_COUNT = 15
RANKED_PRIZES_MAX = 10
MAX_PIECES = 1_000
SELECTION_DAYS_MAX = 60
ATTACHMENTS_MAX = 10
CRITERIA_MAX = 5_000


def _amount(errors, field, value, *, required):
    if value is None or value == "":
        if required:
            errors.setdefault(field, []).append(_l("Enter an amount."))
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        errors.setdefault(field, []).append(_l("The amount must be a whole number of minor units (分)."))
        return None
    if value <= 0:
        errors.setdefault(field, []).append(_l("The amount must be greater than zero."))
        return None
    if value > MAX_AMOUNT:
        errors.setdefault(field, []).append(_l("The amount is too large."))
        return None
    return value


def _count(errors, field, value, *, required, maximum):
    if value is None or value == "":
        if required:
            errors.setdefault(field, []).append(_l("Enter a number."))
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        errors.setdefault(field, []).append(_l("Enter a whole number."))
        return None
    if value <= 0:
        errors.setdefault(field, []).append(_l("The number must be greater than zero."))
        return None
    if value > maximum:
        errors.setdefault(field, []).append(_l("The number must be at most %(max)s.", max=maximum))
        return None
    return value


def _when(errors, field, value, *, required, now, future=True):
    if value is None or value == "":
        if required:
            errors.setdefault(field, []).append(_l("Enter a date and time."))
        return None
    if not isinstance(value, dt.datetime):
        errors.setdefault(field, []).append(_l("Enter a valid date and time."))
        return None
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    if future and value <= now:
        errors.setdefault(field, []).append(_l("The time must be in the future."))
        return None
    return value


def _choice(errors, field, value, choices, *, default=None, required=True):
    if value is None or value == "":
        if default is not None:
            return default
        if required:
            errors.setdefault(field, []).append(_l("Choose a value."))
        return None
    if value not in choices:
        errors.setdefault(field, []).append(_l("Choose one of the listed values."))
        return None
    return value


def normalise_skills(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = value.replace("，", ",").split(",")
    seen, result = set(), []
    for item in value:
        tag = str(item).strip()
        if tag and tag.casefold() not in seen:
            seen.add(tag.casefold())
            result.append(tag)
    return result


def validate_fields(mode: str, values: dict, *, now: dt.datetime, future: bool = True) -> dict:
    """Check and clean every field of a task of `mode`; raise ValidationFailed naming each bad
    field. Fields of other modes are cleared. `future=False` skips the "deadline in the future"
    rule (used when a deadline is unchanged on edit)."""
    errors: dict[str, list] = {}
    clean: dict = {}
    if mode not in MODES:
        raise ValidationFailed(errors={"mode": [_l("Choose tender, claim or bounty.")]})

    title = (values.get("title") or "").strip() if isinstance(values.get("title"), (str, type(None))) else ""
    if not title:
        errors.setdefault("title", []).append(_l("Enter a title."))
    elif len(title) > TITLE_MAX:
        errors.setdefault("title", []).append(_l("At most %(max)s characters.", max=TITLE_MAX))
    clean["title"] = title

    description = values.get("description") or ""
    if not isinstance(description, str):
        errors.setdefault("description", []).append(_l("Enter text."))
        description = ""
    elif len(description) > DESCRIPTION_MAX:
        errors.setdefault("description", []).append(_l("At most %(max)s characters.", max=DESCRIPTION_MAX))
    clean["description"] = description.strip()

    clean["category"] = _choice(errors, "category", values.get("category"), CATEGORIES)

    skills = normalise_skills(values.get("skills"))
    if len(skills) > SKILLS_MAX_COUNT:
        errors.setdefault("skills", []).append(_l("At most %(max)s skills.", max=SKILLS_MAX_COUNT))
    elif any(len(s) > SKILL_MAX for s in skills):
        errors.setdefault("skills", []).append(_l("Each skill has at most %(max)s characters.", max=SKILL_MAX))
    clean["skills"] = skills

    clean["city"] = _choice(errors, "city", values.get("city"), CITIES, required=(mode == "claim"))
    clean["visibility"] = _choice(errors, "visibility", values.get("visibility"), VISIBILITIES, default="public")
    clean["ip_terms"] = _choice(errors, "ip_terms", values.get("ip_terms"), IP_TERMS, default="solver_keeps")
    clean["currency"] = _choice(errors, "currency", values.get("currency"), SUPPORTED_CURRENCIES,
                                default=current_app.config.get("DEFAULT_CURRENCY", "CNY"))
    clean["org_id"] = values.get("org_id") or None

    for field in ALL_FIELDS:
        if field not in COMMON_FIELDS:
            clean[field] = None

    if mode == "tender":
        lo = _amount(errors, "budget_min", values.get("budget_min"), required=False)
        hi = _amount(errors, "budget_max", values.get("budget_max"), required=True)
        if lo is not None and hi is not None and lo > hi:
            errors.setdefault("budget_min", []).append(_l("The minimum must not be above the maximum."))
        clean.update(budget_min=lo, budget_max=hi,
                     bid_deadline=_when(errors, "bid_deadline", values.get("bid_deadline"),
                                        required=True, now=now, future=future))
    elif mode == "claim":
        clean["price"] = _amount(errors, "price", values.get("price"), required=True)
        address = values.get("address") or ""
        address = address.strip() if isinstance(address, str) else ""
        if not address:
            errors.setdefault("address", []).append(_l("Enter the address where the work is done."))
        elif len(address) > ADDRESS_MAX:
            errors.setdefault("address", []).append(_l("At most %(max)s characters.", max=ADDRESS_MAX))
        clean["address"] = address
        district = _choice(errors, "district", values.get("district"), CITIES, required=False)
        if district and clean["city"] and city_of(district) != city_of(clean["city"]):
            errors.setdefault("district", []).append(_l("The district is not in the chosen city."))
        clean["district"] = district
        start = _when(errors, "window_start", values.get("window_start"), required=True, now=now, future=future)
        end = _when(errors, "window_end", values.get("window_end"), required=True, now=now, future=future)
        if start and end and end <= start:
            errors.setdefault("window_end", []).append(_l("The end must be after the start."))
        clean.update(window_start=start, window_end=end)
    else:
        structure = _choice(errors, "prize_structure", values.get("prize_structure"), PRIZE_STRUCTURES)
        clean["prize_structure"] = structure
        if structure in ("single", "ranked"):
            prizes = values.get("prizes")
            if prizes in (None, "", []):
                errors.setdefault("prizes", []).append(_l("Enter the prize amounts."))
            elif not isinstance(prizes, (list, tuple)):
                errors.setdefault("prizes", []).append(_l("Enter a list of amounts."))
            else:
                checked = []
                for i, prize in enumerate(prizes):
                    sub: dict = {}
                    amount = _amount(sub, "prizes", prize, required=True)
                    if amount is None:
                        errors.setdefault("prizes", []).append(
                            _l("Prize %(n)s: %(problem)s", n=i + 1, problem=sub["prizes"][0]))
                    checked.append(amount)
                if structure == "single" and len(prizes) != 1:
                    errors.setdefault("prizes", []).append(_l("A single-winner bounty has exactly one prize."))
                if len(prizes) > RANKED_PRIZES_MAX:
                    errors.setdefault("prizes", []).append(_l("At most %(max)s prizes.", max=RANKED_PRIZES_MAX))
                if None not in checked and any(a < b for a, b in zip(checked, checked[1:], strict=False)):
                    errors.setdefault("prizes", []).append(_l("A lower rank may not win more than a higher one."))
                if None not in checked and sum(checked) > MAX_AMOUNT:
                    errors.setdefault("prizes", []).append(_l("The amount is too large."))
                clean["prizes"] = checked
        elif structure == "piece":
            clean["unit_price"] = _amount(errors, "unit_price", values.get("unit_price"), required=True)
            clean["max_pieces"] = _count(errors, "max_pieces", values.get("max_pieces"), required=True,
                                         maximum=MAX_PIECES)
            if clean["unit_price"] and clean["max_pieces"] and clean["unit_price"] * clean["max_pieces"] > MAX_AMOUNT:
                errors.setdefault("max_pieces", []).append(_l("The amount is too large."))
        clean["submission_deadline"] = _when(errors, "submission_deadline", values.get("submission_deadline"),
                                             required=True, now=now, future=future)
        selection = values.get("selection_days")
        clean["selection_days"] = _count(
            errors, "selection_days",
            selection if selection not in (None, "") else current_app.config.get("SELECTION_DAYS", 7),
            required=True, maximum=SELECTION_DAYS_MAX)
        clean["eligibility"] = _choice(errors, "eligibility", values.get("eligibility"), ELIGIBILITIES,
                                       default="anyone")
        criteria = values.get("criteria") or ""
        if not isinstance(criteria, str):
            errors.setdefault("criteria", []).append(_l("Enter text."))
            criteria = ""
        elif len(criteria) > CRITERIA_MAX:
            errors.setdefault("criteria", []).append(_l("At most %(max)s characters.", max=CRITERIA_MAX))
        clean["criteria"] = criteria.strip() or None
        _check_reward(errors, structure, clean, values.get("reward"))
    if errors:
        raise ValidationFailed(errors=errors)
    return clean


def _check_reward(errors: dict, structure, clean: dict, reward) -> None:
    """A bounty's stated reward (optional input) must be what its prizes add up to: the sum of
    the prizes, or unit price × maximum pieces."""
    if reward is None or reward == "":
        return
    if isinstance(reward, bool) or not isinstance(reward, int) or reward <= 0:
        errors.setdefault("reward", []).append(_l("The amount must be a whole number of minor units (分)."))
        return
    if structure == "piece":
        unit, count = clean.get("unit_price"), clean.get("max_pieces")
        if unit and count and unit * count != reward:
            errors.setdefault("max_pieces", []).append(
                _l("The price per piece times the maximum number of pieces must equal the reward."))
    elif structure in ("single", "ranked"):
        prizes = clean.get("prizes") or []
        if prizes and None not in prizes and sum(prizes) != reward:
            errors.setdefault("prizes", []).append(_l("The prizes must add up to the reward."))


def _check_org(actor, org_id) -> None:
    if org_id is None:
        return
    org = policies.load_org(org_id)
    if org is None:
        raise ValidationFailed(errors={"org_id": [_l("Unknown organisation.")]})
    if not policies.can_act_for_org(actor, org):
        raise Forbidden(_l("Only owners and managers may post on behalf of the organisation."),
                        errors={"org_id": [_l("You do not manage this organisation.")]})


DEADLINE_FIELDS = {"tender": ("bid_deadline",), "claim": ("window_start", "window_end"),
                   "bounty": ("submission_deadline",)}


def _deadline_errors(mode: str, clean: dict, now: dt.datetime, only: set | None = None) -> dict:
    errors = {}
    for field in DEADLINE_FIELDS[mode]:
        if only is not None and field not in only:
            continue
        value = clean.get(field)
        if value is not None and value <= now:
            errors[field] = [_l("The time must be in the future.")]
    return errors
