"""Reputation: double-blind reviews of finished engagements, hash-chained credit records
(信用记录) with a documented score (docs/credit.md), poster reliability, the expert pool (专家库)
and the pages of the blocklist (失信名单, whose flag lives on the user in accounts).

It sits above contracts, bounties and disputes and listens to their signals (see hooks.py)."""
from ..accounts import events as account_events
from ..core.events import connect
from ..jobs.service import register_handler
from . import api, credit, hooks, models, reviews  # noqa: F401  (api and models register routes and tables on import)
from .cli import credit_cli
from .routes import bp, profile_section


def init_app(app):
    app.register_blueprint(bp)
    hooks.connect()
    register_handler(reviews.PUBLISH_TIMER, reviews.close_window)
    connect(account_events.profile_sections, profile_section)
    app.jinja_env.globals["credit_level_label"] = credit.level_label
    app.cli.add_command(credit_cli)
