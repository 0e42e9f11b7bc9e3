"""The negative list moved to `marketplace.core.negative_list`, low, so that tasks check posts
against it without importing moderation; this old path stays importable."""
from ..core.negative_list import (  # noqa: F401
    DEFAULT_RULES,
    RULE_NAMES,
    Violation,
    banned_categories,
    check_task_text,
    find_violation,
    normalise,
    rules,
)
