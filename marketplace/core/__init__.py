"""Shared building blocks: errors, money, identity-number checks, the commit boundary, audit log,
the hook mechanism (events), links and references. Core imports no domain."""
from . import audit, four_eyes  # noqa: F401  (their models)
from .headers import init_headers
from .page_cache import init_app as init_page_cache
from .routes import bp
from .templating import init_templating


def init_app(app):
    app.register_blueprint(bp)
    init_templating(app)
    init_headers(app)
    init_page_cache(app)
