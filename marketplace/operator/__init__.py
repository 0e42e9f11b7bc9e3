"""The operator console: a work queue that domains add sections to, the audit log, and user
administration (suspend / reinstate)."""


def init_app(app):
    from . import stats_routes  # noqa: F401  (adds the statistics pages to bp)
    from .routes import bp
    app.register_blueprint(bp)
    from . import api  # noqa: F401
