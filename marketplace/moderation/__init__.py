"""Moderation: the negative list (负面清单), user reports, operators hiding tasks."""
import os


def init_app(app):
    # The negative list is configurable from the environment without a code change; see
    # negative_list.py for the formats.
    for name in ("NEGATIVE_LIST_EXTRA", "NEGATIVE_LIST_CATEGORIES"):
        app.config.setdefault(name, os.environ.get(name, ""))
    from . import api, models  # noqa: F401
    from .queue import register_queue_section
    from .routes import bp
    app.register_blueprint(bp)
    register_queue_section()
