"""Moderation: the negative list (负面清单), user reports, operators hiding tasks."""
import os

from ..core.events import (
    connect,
    negative_list_hit,
    negative_rule_label,
    negative_rule_overrides,
    queue_sections,
)
from . import api, models  # noqa: F401  (api and models register routes and tables on import)
from .negative_rules import on_negative_list_hit, rule_label_of, rule_overrides
from .queue import queue_sections as report_section
from .routes import bp


def init_app(app):
    # The negative list is configurable from the environment without a code change; see
    # negative_list.py for the formats.
    for name in ("NEGATIVE_LIST_EXTRA", "NEGATIVE_LIST_CATEGORIES"):
        app.config.setdefault(name, os.environ.get(name, ""))
    app.register_blueprint(bp)
    connect(queue_sections, report_section)
    connect(negative_rule_overrides, rule_overrides)
    connect(negative_rule_label, rule_label_of)
    connect(negative_list_hit, on_negative_list_hit)
