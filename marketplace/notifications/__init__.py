"""In-app notifications and email (outbox in development, SMTP when MAIL_SERVER is set)."""
from flask_login import current_user

from . import api, models  # noqa: F401  (api and models register routes and tables on import)
from .routes import bp
from .service import unread_count


def init_app(app):
    app.register_blueprint(bp)

    @app.context_processor
    def unread_notifications():
        """The bell's count in every page's header."""
        user = current_user
        return {"unread_notifications": unread_count(user.id) if user and user.is_authenticated else 0}
