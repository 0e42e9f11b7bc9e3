"""The expert pool (专家库): verified individuals and organisations, searchable by field, skill,
city, kind of verification and credit, whom posters invite to their tenders and bounties.

    on_verified(request)                 an approved verification lists its subject (available)
    listing_of_user(user) / listing_of_org(org)
    ensure_listing(actor, org=None)      create one's own entry (verified subjects only)
    update_listing(actor, expert, ...)   headline, fields, skills, city, available
    search(filters, limit, offset) -> [(Expert, CreditStanding|None)], has_more   one query
    invite(actor, expert, task)          invite the expert (or the organisation's owner) to a task
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..accounts.models import User
from ..accounts.service import normalise_skills
from ..core.catalogue import CATEGORIES, CITIES, FAMILIES, category_name, city_name, city_of
from ..core.db import iso, utcnow
from ..core.errors import Forbidden, NotFound, ValidationFailed
from ..extensions import db
from ..organisations.models import Membership, Organisation
from ..tasks import service as tasks
from ..tasks.models import Task
from ..verification.service import is_org_verified, is_verified
from . import credit
from .models import CreditStanding, Engagement, Expert

HEADLINE_MAX = 200
MAX_FIELDS = 8
SORTS = ("credit", "completed", "recent")


def _search_key(fields, skills) -> str:
    parts = []
    for slug in fields or []:
        parts.append(f"f:{slug}".casefold())
        family = CATEGORIES.get(slug, (None,))[0]
        if family:
            parts.append(f"f:{family}")
    parts.extend(f"s:{skill}".casefold() for skill in skills or [])
    return "|" + "|".join(dict.fromkeys(parts)) + "|"


def _refresh_key(expert: Expert) -> None:
    expert.search_key = _search_key(expert.fields, expert.skills)


def listing_of_user(user) -> Expert | None:
    return db.session.execute(db.select(Expert).where(Expert.user_id == user.id)).scalar_one_or_none()


def listing_of_org(org) -> Expert | None:
    return db.session.execute(db.select(Expert).where(Expert.org_id == org.id)).scalar_one_or_none()


def get_expert(expert_id) -> Expert:
    expert = db.session.get(Expert, expert_id)
    if expert is None or not _visible(expert):
        raise NotFound()
    return expert


def _visible(expert: Expert) -> bool:
    if expert.user_id:
        user = db.session.get(User, expert.user_id)
        return user is not None and user.suspended_at is None
    return True


def _new_for_user(user) -> Expert:
    expert = Expert(user_id=user.id, name=user.display_name, city=user.city, skills=list(user.skills or []),
                    fields=[], available=True, headline="")
    _refresh_key(expert)
    db.session.add(expert)
    return expert


def _new_for_org(org) -> Expert:
    expert = Expert(org_id=org.id, name=org.name, city=org.city, skills=[], fields=[], available=True,
                    headline=(org.description or "")[:HEADLINE_MAX])
    _refresh_key(expert)
    db.session.add(expert)
    return expert


def on_verified(request) -> None:
    """An approved verification lists the person or organisation in the pool (once)."""
    if request.subject == "organisation" and request.org_id:
        org = db.session.get(Organisation, request.org_id)
        if org is not None and listing_of_org(org) is None:
            _new_for_org(org)
    else:
        user = db.session.get(User, request.user_id)
        if user is not None and user.account_type == "individual" and listing_of_user(user) is None:
            _new_for_user(user)
    db.session.flush()


def _managed_org(actor, org_id) -> Organisation:
    role = db.session.scalar(db.select(Membership.role).where(Membership.org_id == org_id,
                                                               Membership.user_id == actor.id))
    if role not in ("owner", "manager"):
        raise NotFound()
    return db.session.get(Organisation, org_id)


def ensure_listing(actor, org_id: int | None = None) -> Expert:
    """The actor's own entry (or its organisation's), created on first use; verified only."""
    if org_id:
        org = _managed_org(actor, org_id)
        existing = listing_of_org(org)
        if existing:
            return existing
        if not is_org_verified(org):
            raise Forbidden(_l("Only verified organisations can be listed in the expert pool."))
        expert = _new_for_org(org)
    else:
        existing = listing_of_user(actor)
        if existing:
            return existing
        if actor.account_type != "individual" or not is_verified(actor):
            raise Forbidden(_l("Only verified individuals can be listed in the expert pool. Verify your identity first."))
        expert = _new_for_user(actor)
    db.session.flush()
    return expert


def can_edit(actor, expert: Expert) -> bool:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    if expert.user_id:
        return expert.user_id == actor.id
    role = db.session.scalar(db.select(Membership.role).where(Membership.org_id == expert.org_id,
                                                               Membership.user_id == actor.id))
    return role in ("owner", "manager")


def update_listing(actor, expert: Expert, *, headline=None, fields=None, skills=None, city=None,
                   available=None) -> Expert:
    if not can_edit(actor, expert):
        raise NotFound()
    errors: dict[str, list] = {}
    if headline is not None:
        headline = str(headline).strip()
        if len(headline) > HEADLINE_MAX:
            errors["headline"] = [_l("Use at most %(n)d characters.", n=HEADLINE_MAX)]
    if fields is not None:
        if not isinstance(fields, (list, tuple)) or any(not isinstance(f, str) or f not in CATEGORIES
                                                        for f in fields):
            errors["fields"] = [_l("Choose fields from the list of categories.")]
        elif len(fields) > MAX_FIELDS:
            errors["fields"] = [_l("Choose at most %(n)d fields.", n=MAX_FIELDS)]
    if city is not None and city != "" and city not in CITIES:
        errors["city"] = [_l("Choose a city from the list.")]
    if available is not None and not isinstance(available, bool):
        errors["available"] = [_l("Say true or false.")]
    tags = None
    if skills is not None:
        try:
            tags = normalise_skills(skills)
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors=errors)
    if headline is not None:
        expert.headline = headline
    if fields is not None:
        expert.fields = list(dict.fromkeys(fields))
    if tags is not None:
        expert.skills = tags
    if city is not None:
        expert.city = city or None
    if available is not None:
        expert.available = available
    _refresh_key(expert)
    expert.updated_at = utcnow()
    return expert


# --- search ---------------------------------------------------------------------------------------

def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def clean_filters(args) -> dict:
    """Filters from a query string (page or API); ValidationFailed names a bad one."""
    errors: dict[str, list] = {}
    filters = {"q": (args.get("q") or "").strip()[:100], "field": (args.get("field") or "").strip(),
               "skill": (args.get("skill") or "").strip()[:30], "city": (args.get("city") or "").strip(),
               "verification": (args.get("verification") or "").strip(),
               "available": (args.get("available") or "").strip(), "sort": args.get("sort") or "credit",
               "min_score": None}
    if filters["field"] and filters["field"] not in CATEGORIES and filters["field"] not in FAMILIES:
        errors["field"] = [_l("Choose a field from the list.")]
    if filters["city"] and filters["city"] not in CITIES:
        errors["city"] = [_l("Choose a city from the list.")]
    if filters["verification"] not in ("", "individual", "organisation"):
        errors["verification"] = [_l("Choose individual or organisation.")]
    if filters["available"] not in ("", "1", "true", "0", "false"):
        errors["available"] = [_l("Say true or false.")]
    if filters["sort"] not in SORTS:
        errors["sort"] = [_l("Sort by credit, completed or recent.")]
    raw = (args.get("min_score") or "").strip()
    if raw:
        if not raw.isascii() or not raw.isdigit() or not 0 <= int(raw) <= 1000:
            errors["min_score"] = [_l("Give a whole number from 0 to 1000.")]
        else:
            filters["min_score"] = int(raw)
    if errors:
        raise ValidationFailed(errors=errors)
    return filters


def search(filters: dict, *, limit: int = 20, offset: int = 0):
    """One query: entries with their credit standing, best credit first (by default)."""
    subject_type = db.case((Expert.user_id.is_not(None), "user"), else_="org")
    subject_id = db.func.coalesce(Expert.user_id, Expert.org_id)
    query = (db.select(Expert, CreditStanding)
             .outerjoin(CreditStanding, db.and_(CreditStanding.subject_type == subject_type,
                                                CreditStanding.subject_id == subject_id))
             .outerjoin(User, User.id == Expert.user_id)
             .where(db.or_(Expert.user_id.is_(None), User.suspended_at.is_(None))))
    if filters.get("q"):
        pattern = f"%{_like_escape(filters['q'].casefold())}%"
        query = query.where(db.or_(db.func.lower(Expert.name).like(pattern, escape="\\"),
                                   db.func.lower(Expert.headline).like(pattern, escape="\\"),
                                   Expert.search_key.like(pattern, escape="\\")))
    if filters.get("field"):
        query = query.where(Expert.search_key.like(f"%|f:{_like_escape(filters['field'])}|%", escape="\\"))
    if filters.get("skill"):
        skill = _like_escape(" ".join(filters["skill"].split()).casefold())
        query = query.where(Expert.search_key.like(f"%|s:{skill}|%", escape="\\"))
    if filters.get("city"):
        code = filters["city"]
        if "-" in code:
            query = query.where(Expert.city == code)
        else:  # a prefecture matches its districts too
            query = query.where(db.or_(Expert.city == code, Expert.city.like(f"{city_of(code)}-%")))
    if filters.get("verification") == "individual":
        query = query.where(Expert.user_id.is_not(None))
    elif filters.get("verification") == "organisation":
        query = query.where(Expert.org_id.is_not(None))
    if filters.get("available") in ("1", "true"):
        query = query.where(Expert.available.is_(True))
    elif filters.get("available") in ("0", "false"):
        query = query.where(Expert.available.is_(False))
    if filters.get("min_score") is not None:
        query = query.where(CreditStanding.score >= filters["min_score"])
    sort = filters.get("sort") or "credit"
    if sort == "completed":
        order = (db.func.coalesce(CreditStanding.completed, 0).desc(), Expert.id.desc())
    elif sort == "recent":
        order = (Expert.id.desc(),)
    else:
        order = (db.func.coalesce(CreditStanding.score, 0).desc(), Expert.id.desc())
    rows = db.session.execute(query.order_by(*order).offset(offset).limit(limit + 1)).all()
    return [(expert, standing) for expert, standing in rows[:limit]], len(rows) > limit


def completed_work(expert: Expert, limit: int = 10) -> list:
    """The expert's latest finished engagements as the solver, with their tasks (one query)."""
    side = (Engagement.solver_id == expert.user_id) if expert.user_id else (Engagement.solver_org_id == expert.org_id)
    return list(db.session.execute(
        db.select(Engagement, Task).join(Task, Task.id == Engagement.task_id).where(side)
        .order_by(Engagement.ended_at.desc(), Engagement.id.desc()).limit(limit)).all())


def invitable_tasks(actor) -> list:
    """The actor's draft or open tenders and bounties (what an expert can be invited to)."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return []
    return list(db.session.scalars(
        db.select(Task).where(Task.poster_id == actor.id, Task.mode.in_(("tender", "bounty")),
                              Task.status.in_(("draft", "open"))).order_by(Task.id.desc()).limit(50)))


def invitee_of(expert: Expert) -> User:
    if expert.user_id:
        return db.session.get(User, expert.user_id)
    owner = db.session.scalar(db.select(User).join(Membership, Membership.user_id == User.id)
                              .where(Membership.org_id == expert.org_id, Membership.role == "owner")
                              .order_by(Membership.id).limit(1))
    if owner is None:
        raise NotFound()
    return owner


def invite(actor, expert: Expert, task):
    """Invite an expert to one of the actor's tenders or bounties (邀标 from the pool)."""
    if task.mode not in ("tender", "bounty"):
        raise ValidationFailed(errors={"task_id": [_l("Experts can be invited to tenders and bounties.")]})
    return tasks.invite_solver(actor, task, invitee_of(expert))


def expert_payload(expert: Expert, standing, *, detail: bool = False) -> dict:
    data = {"id": expert.id, "kind": "individual" if expert.user_id else "organisation",
            "user_id": expert.user_id, "org_id": expert.org_id, "name": expert.name,
            "headline": expert.headline, "city": expert.city, "city_name": city_name(expert.city),
            "fields": [{"slug": f, "name": category_name(f)} for f in expert.fields or []],
            "skills": list(expert.skills or []), "available": expert.available, "verified": True,
            "credit": {"score": standing.score if standing else None,
                       "level": standing.level if standing else None,
                       "completed": standing.completed if standing else 0,
                       "completed_value": {"amount": standing.completed_value if standing else 0,
                                           "currency": "CNY"},
                       "rating": standing.plain_rating if standing else None,
                       "reviews": standing.reviews if standing else 0},
            "listed_at": iso(expert.created_at)}
    if detail:
        data["credit"]["explanation"] = credit.explain(standing)
    return data
