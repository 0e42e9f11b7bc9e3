"""Users: registration, login, password reset, profile, roles, API tokens."""
from ..extensions import db, login_manager


def init_app(app):
    from . import models

    @login_manager.user_loader
    def load_user(user_id):
        try:
            return db.session.get(models.User, int(user_id))
        except (TypeError, ValueError):
            return None
