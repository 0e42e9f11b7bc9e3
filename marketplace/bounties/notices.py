"""Notification kinds of bounties, and who is told: judges, the payer, authors, participants."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..accounts.models import User
from ..core import links
from ..core.money import format_money
from ..extensions import db
from ..notifications.service import notify, register_kind
from ..organisations.models import Membership
from ..tasks.models import Task, TaskInvite
from . import policies
from .models import Submission, SubmissionAuthor

register_kind("bounty.submitted", _l("A new entry for “%(task)s”."))
register_kind("bounty.ineligible", _l("Your entry for “%(task)s” was not accepted: %(reason)s"))
register_kind("bounty.eligible", _l("Your entry for “%(task)s” was marked eligible."))
register_kind("bounty.won", _l("Your entry won %(prize)s in “%(task)s”."))
register_kind("bounty.not_won", _l("The winners of “%(task)s” have been chosen."))
register_kind("bounty.won_held", _l("Your entry won %(prize)s in “%(task)s”. The prize is held until %(until)s, "
                                    "while the outcome may be disputed, and then paid to your wallet less the "
                                    "platform fee."))
register_kind("bounty.not_won_held", _l("The winners of “%(task)s” have been chosen. If you disagree with the "
                                        "outcome you may open a dispute until %(until)s."))
register_kind("bounty.prize_paid", _l("Your prize of %(prize)s for “%(task)s” was paid to your wallet, less the "
                                      "platform fee."))
register_kind("bounty.piece_accepted", _l("Your entry for “%(task)s” was accepted and paid %(prize)s."))
register_kind("bounty.changed", _l("“%(task)s” changed: %(change)s"))
register_kind("bounty.selecting", _l("Submissions to “%(task)s” are closed; choose the winners by %(until)s."))
register_kind("bounty.review", _l("“%(task)s” ended without a choice; an operator reviews it."))
register_kind("bounty.refunded", _l("The unspent reward of “%(task)s” (%(amount)s) went back to the payer."))
register_kind("bounty.closed", _l("“%(task)s” closed: %(reason)s"))


def _link(task: Task) -> str:
    return links.task(task)


def _judge_users(task: Task) -> list[User]:
    ids = {task.poster_id}
    if task.org_id is not None:
        ids |= set(db.session.scalars(db.select(Membership.user_id).where(
            Membership.org_id == task.org_id, Membership.role.in_(("owner", "manager")))))
    return list(db.session.scalars(db.select(User).where(User.id.in_(ids))))


def _notify_judges(task: Task, kind: str, **params) -> None:
    for user in _judge_users(task):
        notify(user, kind, link=links.url("bounties.judging", task_id=task.id), task=task.title, **params)


def _notify_payer(task: Task, kind: str, **params) -> None:
    notify(db.session.get(User, task.poster_id), kind, link=_link(task), task=task.title, **params)


def _notify_authors(sub: Submission, kind: str, task: Task, **params) -> None:
    for user in db.session.scalars(db.select(User).where(User.id.in_(policies.author_ids(sub)))):
        notify(user, kind, link=links.url("bounties.detail", public_id=sub.public_id), task=task.title, **params)


def participant_ids(task: Task) -> set[int]:
    authored = db.session.scalars(db.select(SubmissionAuthor.user_id).join(
        Submission, Submission.id == SubmissionAuthor.submission_id).where(Submission.task_id == task.id))
    ids = set(authored) | set(db.session.scalars(db.select(Submission.solver_id).where(Submission.task_id == task.id)))
    ids |= set(db.session.scalars(db.select(TaskInvite.solver_id).where(TaskInvite.task_id == task.id)))
    return ids


def _notify_participants(task: Task, kind: str, *, include_payer: bool = False, **params) -> None:
    ids = participant_ids(task)
    if include_payer:
        ids |= {u.id for u in _judge_users(task)}
    for user in db.session.scalars(db.select(User).where(User.id.in_(ids))):
        notify(user, kind, link=_link(task), task=task.title, **params)


def _notify_results(task: Task, winners: list[dict]) -> None:
    """Winners are told their prize (and until when it is held, open to a dispute); everyone
    else who entered that the winners are chosen (and until when they may dispute it)."""
    prize_of = {}
    for w in winners:
        for uid in w["user_ids"]:
            prize_of[uid] = w
    held_until = next((w["held_until"] for w in winners if w.get("held_until")), None)
    until = held_until.strftime("%Y-%m-%d %H:%M UTC") if held_until else None
    link = links.url("bounties.results", task_id=task.id)
    for user in db.session.scalars(db.select(User).where(User.id.in_(participant_ids(task)))):
        won = prize_of.get(user.id)
        prize = format_money(won["amount"], task.currency) if won else None
        if won and until:
            notify(user, "bounty.won_held", link=link, task=task.title, prize=prize, until=until)
        elif won:
            notify(user, "bounty.won", link=link, task=task.title, prize=prize)
        elif until:
            notify(user, "bounty.not_won_held", link=link, task=task.title, until=until)
        else:
            notify(user, "bounty.not_won", link=link, task=task.title)
