"""Task use cases: create and edit drafts, publish, cancel, attachments, invitations, questions.

Services take model objects and typed values (amounts in minor units, naive-UTC datetimes, lists)
and never commit. Every rule names the field it concerns:

    task = create_task(poster, "tender", title="光纤传感器研发", category="rd_challenge",
                       budget_min=100_000_00, budget_max=300_000_00, bid_deadline=when)
    publish_task(poster, task)
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from flask import current_app
from flask_babel import lazy_gettext as _l

from ..accounts.policies import ensure_not_blocklisted
from ..core.catalogue import CATEGORIES, CITIES, city_of
from ..core.db import utcnow
from ..core.errors import Conflict, Forbidden, NotFound, ValidationFailed, WrongState
from ..core.money import MAX_AMOUNT, SUPPORTED_CURRENCIES
from ..extensions import db
from ..notifications.service import notify, register_kind
from . import policies
from .models import (
    ELIGIBILITIES,
    IP_TERMS,
    MODES,
    PRIZE_STRUCTURES,
    VISIBILITIES,
    Task,
    TaskAttachment,
    TaskInvite,
    TaskQuestion,
    TaskTerm,
)
from .recommend import recommended_for, suggested_solvers  # noqa: F401  (part of this module's API)
from .terms import index_terms

register_kind("task.invited", _l("You are invited to “%(task)s”."))
register_kind("task.question", _l("A new question on “%(task)s”."))
register_kind("task.answered", _l("Your question on “%(task)s” has an answer."))
register_kind("task.funded", _l("The escrow of “%(task)s” is funded; you can publish it now."))
register_kind("task.cancelled", _l("“%(task)s” was cancelled."))
register_kind("task.hidden", _l("“%(task)s” was hidden by an operator: %(reason)s"))

COMMON_FIELDS = ("title", "description", "category", "skills", "city", "visibility", "ip_terms",
                 "org_id", "currency")
MODE_FIELDS = {
    "tender": ("budget_min", "budget_max", "bid_deadline"),
    "claim": ("price", "address", "district", "window_start", "window_end"),
    "bounty": ("prize_structure", "prizes", "unit_price", "max_pieces", "submission_deadline",
               "selection_days", "eligibility"),
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

# Other domains react to task events without this module importing them:
#   on_published(fn)  fn(task) after a task opens (e.g. schedule its deadline timers)
#   on_cancelled(fn)  fn(task) after a task is cancelled (e.g. reject open bids)
#   on_cancel_check(fn) fn(task) before a cancel; raise WrongState to refuse (e.g. a bounty
#                     that already has submissions)
_PUBLISHED_HOOKS: list[Callable] = []
_CANCELLED_HOOKS: list[Callable] = []
_CANCEL_CHECKS: list[Callable] = []


def on_published(fn: Callable) -> Callable:
    if fn not in _PUBLISHED_HOOKS:
        _PUBLISHED_HOOKS.append(fn)
    return fn


def on_cancelled(fn: Callable) -> Callable:
    if fn not in _CANCELLED_HOOKS:
        _CANCELLED_HOOKS.append(fn)
    return fn


def on_cancel_check(fn: Callable) -> Callable:
    if fn not in _CANCEL_CHECKS:
        _CANCEL_CHECKS.append(fn)
    return fn


# --- loading ----------------------------------------------------------------------------------

def get_task(task_id, *, lock: bool = False) -> Task:
    try:
        pk = int(task_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    if lock:
        # FOR UPDATE, and refresh what the session already holds: after waiting for the lock the
        # row may have changed (claimed, cancelled, funded by another request).
        task = db.session.execute(db.select(Task).where(Task.id == pk).with_for_update()
                                  .execution_options(populate_existing=True)).scalar_one_or_none()
    else:
        task = db.session.get(Task, pk)
    if task is None:
        raise NotFound()
    return task


def get_visible_task(user, task_id) -> Task:
    task = get_task(task_id)
    policies.require_view(user, task)
    return task


# --- validation ---------------------------------------------------------------------------------

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
    if errors:
        raise ValidationFailed(errors=errors)
    return clean


def _check_org(actor, org_id) -> None:
    if org_id is None:
        return
    org = policies.load_org(org_id)
    if org is None:
        raise ValidationFailed(errors={"org_id": [_l("Unknown organisation.")]})
    if not policies.can_act_for_org(actor, org):
        raise Forbidden(_l("Only owners and managers may post on behalf of the organisation."),
                        errors={"org_id": [_l("You do not manage this organisation.")]})


# --- search index ------------------------------------------------------------------------------

def reindex(task: Task) -> None:
    """Rebuild the task's search terms (title, description, skills)."""
    db.session.flush()
    db.session.execute(db.delete(TaskTerm).where(TaskTerm.task_id == task.id))
    terms = index_terms(task.title, task.description, " ".join(task.skills or []))
    if terms:
        db.session.execute(db.insert(TaskTerm), [{"task_id": task.id, "term": t} for t in sorted(terms)])


# --- use cases ---------------------------------------------------------------------------------

def create_task(actor, mode: str, *, now: dt.datetime | None = None, **values) -> Task:
    """Create a draft. Raises ValidationFailed naming every bad field (nothing is written)."""
    unknown = set(values) - set(ALL_FIELDS)
    if unknown:
        raise TypeError(f"unknown task fields: {sorted(unknown)}")
    ensure_not_blocklisted(actor)
    now = now or utcnow()
    clean = validate_fields(mode, values, now=now)
    _check_org(actor, clean["org_id"])
    task = Task(mode=mode, status="draft", poster_id=actor.id, created_at=now, updated_at=now, **clean)
    db.session.add(task)
    reindex(task)
    return task


def _current_values(task: Task) -> dict:
    return {f: getattr(task, f) for f in ALL_FIELDS}


def update_task(actor, task: Task, *, now: dt.datetime | None = None, **values) -> Task:
    """Edit a task. A draft may change anything (money fields only until it is funded); an open
    task only its title, description and skills, checked against the negative list again."""
    unknown = set(values) - set(ALL_FIELDS)
    if unknown:
        raise TypeError(f"unknown task fields: {sorted(unknown)}")
    policies.require_manage(actor, task)
    now = now or utcnow()
    changed = {k: v for k, v in values.items() if _differs(getattr(task, k), v)}
    if task.status == "open":
        frozen = [k for k in changed if k not in OPEN_EDITABLE_FIELDS]
        if frozen:
            raise ValidationFailed(_l("Only the title, description and skills can change once a task is open."),
                                   errors={k: [_l("This cannot change once the task is open.")] for k in frozen})
    elif task.status != "draft":
        raise WrongState(_l("This task can no longer be edited."))
    frozen = [k for k in changed if k in MONEY_FIELDS]
    if frozen and (task.escrow_funded or _payment_under_way(task)):
        raise ValidationFailed(errors={k: [_l("This cannot change once the escrow is funded or a payment "
                                              "for it is under way.")] for k in frozen})
    merged = _current_values(task)
    merged.update(values)
    # A deadline that is not being changed may have passed on a draft; it is checked at publish.
    clean = validate_fields(task.mode, merged, now=now, future=False)
    past = _deadline_errors(task.mode, clean, now, only=set(changed))
    if past:
        raise ValidationFailed(errors=past)
    if "org_id" in changed:
        _check_org(actor, clean["org_id"])
    if task.status == "open":
        from ..moderation.service import check_task_text
        check_task_text(title=clean["title"], description=clean["description"], category=clean["category"])
    for field, value in clean.items():
        setattr(task, field, value)
    task.updated_at = now
    reindex(task)
    return task


def _payment_under_way(task: Task) -> bool:
    from ..payments.models import Funding
    from .funding import escrow_ref
    return db.session.scalar(db.select(Funding.id).where(
        Funding.escrow_ref == escrow_ref(task), Funding.status == "pending").limit(1)) is not None


def _differs(current, new) -> bool:
    if isinstance(current, dt.datetime) and isinstance(new, dt.datetime) and new.tzinfo is not None:
        new = new.astimezone(dt.timezone.utc).replace(tzinfo=None)
    if isinstance(current, list) and isinstance(new, (list, tuple, str)) and not isinstance(new, str):
        return list(current) != list(new)
    return current != new


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


def _is_verified(user) -> bool:
    try:
        from ..verification.service import is_verified
    except ModuleNotFoundError:  # a build without the verification domain verifies nobody
        return False
    return is_verified(user)


def publish_limit_exceeded(task: Task) -> bool:
    """Whether the task's amount is above what a poster who is not verified may publish."""
    from ..accounts.models import User
    limit = current_app.config.get("UNVERIFIED_PUBLISH_LIMIT")
    amount = task.reward_total or 0
    if limit is None or amount <= limit:
        return False
    if _is_verified(db.session.get(User, task.poster_id)):
        return False
    if task.org_id is not None:  # posting for a verified organisation counts as verified
        try:
            from ..verification.service import is_org_verified
        except ModuleNotFoundError:
            return True
        return not is_org_verified(policies.load_org(task.org_id))
    return True


def _amount_field(task: Task) -> str:
    if task.mode == "tender":
        return "budget_max"
    if task.mode == "claim":
        return "price"
    return "unit_price" if task.prize_structure == "piece" else "prizes"


def publish_task(actor, task: Task, *, now: dt.datetime | None = None) -> Task:
    """Open a draft. A tender opens at once; a claim or bounty only once its escrow is funded
    (409 otherwise). Posters who are not verified may not publish above UNVERIFIED_PUBLISH_LIMIT."""
    policies.require_manage(actor, task)
    ensure_not_blocklisted(actor)
    now = now or utcnow()
    task = get_task(task.id, lock=True)
    if task.status != "draft":
        raise WrongState(_l("Only a draft can be published."))
    if task.hidden_at is not None:
        raise WrongState(_l("This task was hidden by an operator."))
    clean = validate_fields(task.mode, _current_values(task), now=now, future=False)
    past = _deadline_errors(task.mode, clean, now)
    if past:
        raise ValidationFailed(_l("Move the deadlines into the future before publishing."), errors=past)
    from ..moderation.service import check_task_text
    check_task_text(title=task.title, description=task.description, category=task.category)
    if publish_limit_exceeded(task):
        raise Forbidden(_l("Verify your identity to publish tasks above %(limit)s.",
                           limit=_money(current_app.config["UNVERIFIED_PUBLISH_LIMIT"], task.currency)),
                        errors={_amount_field(task): [_l("Above the limit for posters who are not verified.")]})
    if task.needs_escrow and not task.escrow_funded:
        raise WrongState(_l("Fund the escrow before publishing: claims and bounties open only when the "
                            "whole reward is held."))
    task.status = "open"
    task.published_at = now
    task.updated_at = now
    invites = list(db.session.scalars(db.select(TaskInvite).where(TaskInvite.task_id == task.id)))
    _notify_invitees(task, invites)
    for hook in _PUBLISHED_HOOKS:
        hook(task)
    return task


def _money(amount, currency):
    from ..core.money import format_money
    return format_money(amount, currency)


def task_link(task: Task) -> str:
    return f"/tasks/{task.id}"


def _notify_invitees(task: Task, invites, kind: str = "task.invited") -> None:
    if not invites:
        return
    from ..accounts.models import User
    users = db.session.scalars(db.select(User).where(User.id.in_([i.solver_id for i in invites])))
    for user in users:
        notify(user, kind, link=task_link(task), task=task.title)


def cancel_task(actor, task: Task, *, now: dt.datetime | None = None) -> Task:
    """Cancel a draft or an open task nobody has been awarded. A funded claim or bounty has its
    escrow refunded to its payer through payments (to the card it came from, else the wallet)."""
    policies.require_manage(actor, task)
    now = now or utcnow()
    task = get_task(task.id, lock=True)
    if task.status not in ("draft", "open"):
        raise WrongState(_l("Only a draft or an open task without an award can be cancelled."))
    if task.mode == "claim" and task.claimant_id is not None:
        raise WrongState(_l("This task has been claimed; cancel the contract instead."))
    for check in _CANCEL_CHECKS:
        check(task)
    if task.escrow_funded:
        from .funding import refund_task_escrow
        refund_task_escrow(task, actor)
        task.escrow_funded = False
        task.escrow_amount = 0
    was_open = task.status == "open"
    task.status = "cancelled"
    task.cancelled_at = now
    task.updated_at = now
    if was_open:
        _notify_invitees(task, invites_of(task), kind="task.cancelled")
    for hook in _CANCELLED_HOOKS:
        hook(task)
    return task


def mark_funded(task: Task, amount: int, *, now: dt.datetime | None = None) -> Task:
    """The escrow of a task now holds `amount` (called by the payments fundable)."""
    task = get_task(task.id, lock=True)
    task.escrow_funded = True
    task.escrow_amount = amount
    task.updated_at = now or utcnow()
    from ..accounts.models import User
    poster = db.session.get(User, task.poster_id)
    notify(poster, "task.funded", link=task_link(task), task=task.title)
    return task


# --- attachments -------------------------------------------------------------------------------

def add_attachment(actor, task: Task, file) -> TaskAttachment:
    from ..core.files import ATTACHMENT_KINDS, store_upload
    policies.require_manage(actor, task)
    if task.status not in ("draft", "open"):
        raise WrongState(_l("Attachments can only be added to a draft or an open task."))
    count = db.session.scalar(db.select(db.func.count(TaskAttachment.id)).where(TaskAttachment.task_id == task.id))
    if count >= ATTACHMENTS_MAX:
        raise ValidationFailed(errors={"files": [_l("At most %(max)s attachments.", max=ATTACHMENTS_MAX)]})
    stored = store_upload(file, field="files", kinds=ATTACHMENT_KINDS,
                          max_bytes=current_app.config["ATTACHMENT_MAX_BYTES"], subdir="tasks")
    attachment = TaskAttachment(task_id=task.id, path=stored.path, name=stored.name, size=stored.size,
                                sha256=stored.sha256, mime=stored.mime)
    db.session.add(attachment)
    return attachment


def remove_attachment(actor, task: Task, public_id: str) -> None:
    policies.require_manage(actor, task)
    if task.status not in ("draft", "open"):
        raise WrongState(_l("Attachments can only be changed on a draft or an open task."))
    attachment = db.session.scalar(db.select(TaskAttachment).where(
        TaskAttachment.task_id == task.id, TaskAttachment.public_id == public_id))
    if attachment is None:
        raise NotFound()
    db.session.delete(attachment)


def attachments_of(task: Task) -> list[TaskAttachment]:
    return list(db.session.scalars(db.select(TaskAttachment).where(TaskAttachment.task_id == task.id)
                                   .order_by(TaskAttachment.id)))


def get_attachment(user, public_id: str) -> TaskAttachment:
    attachment = db.session.scalar(db.select(TaskAttachment).where(TaskAttachment.public_id == public_id))
    if attachment is None:
        raise NotFound()
    policies.require_view(user, get_task(attachment.task_id))
    return attachment


# --- invitations (邀标) ----------------------------------------------------------------------

def invite_solver(actor, task: Task, solver, *, now: dt.datetime | None = None) -> TaskInvite:
    """Invite a solver to a draft or open task; the solver is told now (or when it opens)."""
    policies.require_manage(actor, task)
    if task.status not in ("draft", "open"):
        raise WrongState(_l("Solvers can only be invited to a draft or an open task."))
    if solver is None or not solver.is_active:
        raise ValidationFailed(errors={"solver_id": [_l("No such user.")]})
    if solver.id == task.poster_id or policies.can_manage(solver, task):
        raise ValidationFailed(errors={"solver_id": [_l("You cannot invite the task's own poster.")]})
    exists = db.session.scalar(db.select(TaskInvite.id).where(TaskInvite.task_id == task.id,
                                                              TaskInvite.solver_id == solver.id))
    if exists is not None:
        raise Conflict(_l("This solver is already invited."))
    invite = TaskInvite(task_id=task.id, solver_id=solver.id, invited_by_id=actor.id, created_at=now or utcnow())
    db.session.add(invite)
    if task.status == "open":
        notify(solver, "task.invited", link=task_link(task), task=task.title)
    return invite


def invites_of(task: Task) -> list[TaskInvite]:
    from sqlalchemy.orm import selectinload
    return list(db.session.scalars(db.select(TaskInvite).where(TaskInvite.task_id == task.id)
                                   .options(selectinload(TaskInvite.solver)).order_by(TaskInvite.id)))


# --- public questions and answers -------------------------------------------------------------

QUESTION_MAX = 2000


def _text(field: str, value, *, maximum: int = QUESTION_MAX) -> str:
    value = (value or "").strip() if isinstance(value, (str, type(None))) else ""
    if not value:
        raise ValidationFailed(errors={field: [_l("Enter some text.")]})
    if len(value) > maximum:
        raise ValidationFailed(errors={field: [_l("At most %(max)s characters.", max=maximum)]})
    return value


def ask_question(asker, task: Task, text: str, *, now: dt.datetime | None = None) -> TaskQuestion:
    """A solver asks a public question on an open task; the poster is told."""
    policies.require_view(asker, task)
    if policies.can_manage(asker, task):
        raise Forbidden(_l("Posters answer questions; they do not ask them on their own task."))
    if task.status != "open":
        raise WrongState(_l("Questions can only be asked while the task is open."))
    question = TaskQuestion(task_id=task.id, asker_id=asker.id, text=_text("text", text), created_at=now or utcnow())
    db.session.add(question)
    from ..accounts.models import User
    notify(db.session.get(User, task.poster_id), "task.question", link=task_link(task), task=task.title)
    return question


def answer_question(actor, task: Task, question_id, answer: str, *, now: dt.datetime | None = None) -> TaskQuestion:
    policies.require_manage(actor, task)
    question = db.session.get(TaskQuestion, question_id) if str(question_id).isdigit() else None
    if question is None or question.task_id != task.id:
        raise NotFound()
    question.answer = _text("answer", answer)
    question.answered_at = now or utcnow()
    from ..accounts.models import User
    notify(db.session.get(User, question.asker_id), "task.answered", link=task_link(task), task=task.title)
    return question


def questions_of(task: Task) -> list[TaskQuestion]:
    from sqlalchemy.orm import selectinload
    return list(db.session.scalars(db.select(TaskQuestion).where(TaskQuestion.task_id == task.id)
                                   .options(selectinload(TaskQuestion.asker)).order_by(TaskQuestion.id)))
