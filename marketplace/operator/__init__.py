"""The operator console: a work queue that domains add sections to, the audit log, and user
administration (suspend / reinstate)."""
from . import api, stats_routes  # noqa: F401  (api, stats_routes and models register routes and tables on import)
from .routes import bp


def init_app(app):
    app.register_blueprint(bp)
