"""Task use cases: create and edit drafts, publish, cancel, attachments, invitations, questions.

Services take model objects and typed values (amounts in minor units, naive-UTC datetimes, lists)
and never commit. Every rule names the field it concerns:

    task = create_task(poster, "tender", title="光纤传感器研发", category="rd_challenge",
                       budget_min=100_000_00, budget_max=300_000_00, bid_deadline=when)
    publish_task(poster, task)

Each use case lives in its own module (`posting`, `validation`, `lifecycle` for publish, cancel
and funding, `attachments`, `invitations`, `questions`; `loading`, `notices`); this module gathers
their public functions.
"""
from .attachments import add_attachment, attachments_of, get_attachment, remove_attachment
from .invitations import invite_solver, invites_of
from .lifecycle import (
    cancel_task,
    check_publishable,
    mark_funded,
    publish_limit_exceeded,
    publish_task,
    task_link,
)
from .loading import get_task, get_visible_task, task_page_options
from .posting import create_task, reindex, update_task
from .questions import QUESTION_MAX, answer_question, ask_question, questions_of
from .recommend import recommended_for, suggested_solvers
from .validation import (
    ADDRESS_MAX,
    ALL_FIELDS,
    ATTACHMENTS_MAX,
    COMMON_FIELDS,
    DEADLINE_FIELDS,
    DESCRIPTION_MAX,
    MAX_PIECES,
    MODE_FIELDS,
    MONEY_FIELDS,
    OPEN_EDITABLE_FIELDS,
    RANKED_PRIZES_MAX,
    SELECTION_DAYS_MAX,
    SKILL_MAX,
    SKILLS_MAX_COUNT,
    TITLE_MAX,
    normalise_skills,
    validate_fields,
)

__all__ = [
    "recommended_for",
    "suggested_solvers",
    "ADDRESS_MAX",
    "ALL_FIELDS",
    "ATTACHMENTS_MAX",
    "COMMON_FIELDS",
    "DEADLINE_FIELDS",
    "DESCRIPTION_MAX",
    "MAX_PIECES",
    "MODE_FIELDS",
    "MONEY_FIELDS",
    "OPEN_EDITABLE_FIELDS",
    "QUESTION_MAX",
    "RANKED_PRIZES_MAX",
    "SELECTION_DAYS_MAX",
    "SKILLS_MAX_COUNT",
    "SKILL_MAX",
    "TITLE_MAX",
    "add_attachment",
    "answer_question",
    "ask_question",
    "attachments_of",
    "cancel_task",
    "check_publishable",
    "mark_funded",
    "create_task",
    "get_attachment",
    "get_task",
    "get_visible_task",
    "invite_solver",
    "invites_of",
    "mark_funded",
    "normalise_skills",
    "publish_limit_exceeded",
    "publish_task",
    "questions_of",
    "task_page_options",
    "reindex",
    "remove_attachment",
    "task_link",
    "update_task",
    "validate_fields",
]
