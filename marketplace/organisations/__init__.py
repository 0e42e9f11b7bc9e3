"""Organisations: enterprises, universities, institutes and teams; members, roles, invitations."""


def init_app(app):
    from . import models  # noqa: F401
    from .routes import bp
    app.register_blueprint(bp)
    from . import api  # noqa: F401
    _register_account_hooks()


def _register_account_hooks():
    from ..accounts import events as accounts
    from ..core.events import connect
    from . import service
    connect(accounts.after_register, service.create_org_for_registration)
    connect(accounts.me_payload, service.me_orgs)
