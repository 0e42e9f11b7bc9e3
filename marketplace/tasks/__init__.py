"""Tasks: posting (tender, claim, bounty), the negative-list check on publish, browsing and
search, recommendations, invitations (邀标), public Q&A and the task side of escrow funding."""


def init_app(app):
    from ..organisations import models as _org_models  # noqa: F401  (tasks.org_id references it)
    from . import models  # noqa: F401
