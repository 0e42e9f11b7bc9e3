"""Organisations: enterprises, universities, institutes and teams; members, roles, invitations."""
from ..accounts import events as accounts
from ..core.events import connect
from . import api, models, service  # noqa: F401  (api and models register routes and tables on import)
from .routes import bp


def init_app(app):
    app.register_blueprint(bp)
    _register_account_hooks()


def _register_account_hooks():
    connect(accounts.after_register, service.create_org_for_registration)
    connect(accounts.me_payload, service.me_orgs)
