"""Users: registration, login, password reset, profile, roles, API tokens."""
import hmac

from ..api import events as api_events
from ..core.events import connect_handler
from ..core.inputs import MAX_ID, is_ascii_int
from ..extensions import db, login_manager
from . import api, models, service  # noqa: F401  (api and models register routes and tables on import)
from .cli import users_cli
from .routes import bp


def init_app(app):

    @login_manager.user_loader
    def load_user(session_id):
        # "id:fingerprint" (see User.get_id); a session without the fingerprint is refused.
        raw_id, _sep, fingerprint = str(session_id).partition(":")
        if not fingerprint or not is_ascii_int(raw_id) or not 1 <= int(raw_id[:20]) <= MAX_ID:
            return None
        user = db.session.get(models.User, int(raw_id))
        # A suspended user's session ends with the suspension; logout, a password change and a
        # role change rotate the fingerprint and end the sessions made before.
        if user is None or user.suspended_at is not None:
            return None
        if not hmac.compare_digest(fingerprint, user.session_fingerprint):
            return None
        return user

    app.register_blueprint(bp)
    connect_handler(api_events.bearer_token, "user", service.user_for_token)
    app.cli.add_command(users_cli)
