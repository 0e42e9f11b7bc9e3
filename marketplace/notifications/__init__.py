"""In-app notifications and email (outbox in development, SMTP when MAIL_SERVER is set)."""
from flask_login import current_user


def init_app(app):
    from . import models  # noqa: F401
    from .routes import bp
    app.register_blueprint(bp)
    from . import api  # noqa: F401
    from .service import unread_count

    @app.context_processor
    def unread_notifications():
        """The bell's count in every page's header."""
        user = current_user
        return {"unread_notifications": unread_count(user.id) if user and user.is_authenticated else 0}
