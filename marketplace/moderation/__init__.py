"""Moderation: the negative list (负面清单), user reports, operators hiding tasks."""


def init_app(app):
    from . import api, models  # noqa: F401
    from .queue import register_queue_section
    from .routes import bp
    app.register_blueprint(bp)
    register_queue_section()
