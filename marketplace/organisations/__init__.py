"""Organisations: enterprises, universities, institutes and teams; members, roles, invitations."""


def init_app(app):
    from . import models  # noqa: F401
    from .routes import bp
    app.register_blueprint(bp)
    from . import api  # noqa: F401
    _register_account_hooks()


def _register_account_hooks():
    from ..accounts import service as accounts
    from . import service
    for hooks, fn in ((accounts.AFTER_REGISTER, service.create_org_for_registration),
                      (accounts.ME_EXTENSIONS, service.me_orgs)):
        if fn not in hooks:
            hooks.append(fn)
