"""The negative list moved to `marketplace.core.negative_list`, low, so that tasks check posts
against it without importing moderation; this old path stays importable. Operators' rules (the
`negative_rules` table) reach it through core's hooks, connected in `moderation.init_app`."""
from ..core.negative_list import (  # noqa: F401
    DEFAULT_RULES,
    RULE_NAMES,
    Violation,
    banned_categories,
    check_task_text,
    configured_rules,
    find_violation,
    normalise,
    rule_label,
    rules,
)
