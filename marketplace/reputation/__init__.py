"""Reputation: double-blind reviews of finished engagements, hash-chained credit records
(信用记录) with a documented score (docs/credit.md), poster reliability, the expert pool (专家库)
and the pages of the blocklist (失信名单, whose flag lives on the user in accounts).

It sits above contracts, bounties and disputes and listens to their signals (see hooks.py)."""


def init_app(app):
    from . import models  # noqa: F401
    from .routes import bp
    app.register_blueprint(bp)
    from . import (
        api,  # noqa: F401  (attaches routes to the API blueprint)
        hooks,
        reviews,
    )
    from .cli import credit_cli
    hooks.connect()
    from ..jobs.service import register_handler
    register_handler(reviews.PUBLISH_TIMER, reviews.close_window)
    from ..accounts import service as accounts
    from .routes import profile_section
    if profile_section not in accounts.PROFILE_SECTIONS:
        accounts.PROFILE_SECTIONS.append(profile_section)
    from . import credit
    app.jinja_env.globals["credit_level_label"] = credit.level_label
    app.cli.add_command(credit_cli)
