"""Shared building blocks: errors, money, identity-number checks, the commit boundary, audit log,
the hook mechanism (events), links and references. Core imports no domain."""
from . import audit  # noqa: F401  (its model)
from .routes import bp
from .templating import init_templating


def init_app(app):
    app.register_blueprint(bp)
    init_templating(app)
