"""Users: registration, login, password reset, profile, roles, API tokens."""
from ..extensions import db, login_manager


def init_app(app):
    from . import models
    from .cli import users_cli
    from .routes import bp

    @login_manager.user_loader
    def load_user(user_id):
        try:
            user = db.session.get(models.User, int(user_id))
        except (TypeError, ValueError):
            return None
        # A suspended user's session ends with the suspension.
        return user if user is not None and user.suspended_at is None else None

    app.register_blueprint(bp)
    from . import api  # noqa: F401  (attaches routes to the API blueprint)
    app.cli.add_command(users_cli)
