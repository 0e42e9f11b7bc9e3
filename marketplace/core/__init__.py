"""Shared building blocks: errors, money, identity-number checks, the commit boundary, audit log."""


def init_app(app):
    from . import api, audit, four_eyes  # noqa: F401  (API routes, models)
    from .headers import init_headers
    from .routes import bp
    from .templating import init_templating
    app.register_blueprint(bp)
    init_templating(app)
    init_headers(app)
