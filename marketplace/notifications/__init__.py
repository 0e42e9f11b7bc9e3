"""In-app notifications and email (outbox in development, SMTP when MAIL_SERVER is set)."""


def init_app(app):
    from . import models  # noqa: F401
    from .routes import bp
    app.register_blueprint(bp)
    from . import api  # noqa: F401
