"""Who may see and do what with bounty entries.

An entry and its files are visible to its authors (the submitter and co-authors) and to the
poster's side (the poster and members of the posting organisation) while the bounty is being
judged; after the award only winners' and accepted entries pass to the poster's side. Operators
see entries while the bounty is in operator review. Everyone else gets 404, never 403.
Only the poster or the organisation's owners/managers judge.
"""
from __future__ import annotations

from ..core.errors import Forbidden, NotFound
from ..extensions import db
from ..organisations.policies import role_of
from ..tasks import policies as task_policies
from .models import SubmissionAuthor

JUDGING_STATUSES = ("open", "selecting", "review")


def _authenticated(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


def judges(user, task) -> bool:
    """The poster, or an owner/manager of the posting organisation: marks, accepts, awards."""
    return task_policies.can_manage(user, task)


def poster_side(user, task) -> bool:
    """Judges plus any member of the posting organisation (they read entries, not decide)."""
    if not _authenticated(user):
        return False
    if judges(user, task):
        return True
    if task.org_id is None:
        return False
    return role_of(user, task_policies.load_org(task.org_id)) is not None


def author_ids(submission) -> set[int]:
    ids = set(db.session.scalars(db.select(SubmissionAuthor.user_id)
                                 .where(SubmissionAuthor.submission_id == submission.id)))
    ids.add(submission.solver_id)
    return ids


def is_author(user, submission) -> bool:
    return _authenticated(user) and user.id in author_ids(submission)


def passed_to_poster(submission) -> bool:
    return submission.status in ("winner", "accepted")


def can_see(user, submission, task) -> bool:
    if not _authenticated(user):
        return False
    if is_author(user, submission):
        return True
    if poster_side(user, task):
        return task.status in JUDGING_STATUSES or passed_to_poster(submission)
    if getattr(user, "is_operator", False):
        return task.status == "review" or passed_to_poster(submission)
    return False


def require_see(user, submission, task) -> None:
    if not can_see(user, submission, task):
        raise NotFound()


def require_judge(user, task) -> None:
    if not judges(user, task):
        raise Forbidden()


def require_submitter(user, submission) -> None:
    """Replacing and withdrawing: the submitter only (co-authors see, but do not act)."""
    if not _authenticated(user) or submission.solver_id != user.id:
        raise Forbidden()
