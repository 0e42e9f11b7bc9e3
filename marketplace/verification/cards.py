"""Person cards: what a poster sees to choose a bidder or meet a claimant — photo, name linked to
the public profile, real-name verification, rating and completed work.

Rating and completed-work figures come from `accounts.service.user_summaries` (the reputation
domain answers it through the `accounts.user_summaries` signal); when nobody answers, the card
shows no rating rather than a made-up one. A fixed number of queries for any number of people.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..accounts import service as accounts
from ..accounts.models import User
from ..core import links
from ..extensions import db
from .service import verified_user_ids


@dataclass
class PersonCard:
    id: int
    name: str
    avatar_url: str | None
    profile_url: str
    verified: bool
    rating: float | None = None
    reviews: int = 0
    completed: int = 0
    level: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def stars(self) -> int:
        return int(round(self.rating)) if self.rating is not None else 0


def _summaries(ids: list[int]) -> dict[int, dict]:
    summaries = getattr(accounts, "user_summaries", None)
    if summaries is None:
        return {}
    return summaries(ids) or {}


def person_cards(user_ids) -> dict[int, PersonCard]:
    ids = sorted({int(i) for i in user_ids if i is not None})
    if not ids:
        return {}
    users = db.session.scalars(db.select(User).where(User.id.in_(ids))).all()
    verified = verified_user_ids(ids)
    summaries = _summaries(ids)
    cards = {}
    for user in users:
        data = summaries.get(user.id) or {}
        cards[user.id] = PersonCard(
            id=user.id, name=user.display_name, avatar_url=accounts.avatar_url(user),
            profile_url=links.profile(user), verified=user.id in verified,
            rating=data.get("rating"), reviews=int(data.get("reviews") or 0),
            completed=int(data.get("completed") or 0), level=data.get("level"))
    return cards


def person_card(user_id) -> PersonCard | None:
    return person_cards([user_id]).get(user_id)
