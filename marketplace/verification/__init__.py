"""Verification: identity (实名认证, resident ID per GB 11643) and organisation (企业认证, USCC per
GB 32100 plus a licence file), decided by operators."""


def init_app(app):
    from . import models  # noqa: F401
    from .routes import bp
    app.register_blueprint(bp)
    from . import api, queue_section  # noqa: F401
    queue_section.register()
    _register_account_hooks()


def _register_account_hooks():
    from ..accounts import service as accounts
    from . import service
    for hooks, fn in ((accounts.ME_EXTENSIONS, service.me_verification),
                      (accounts.PROFILE_SECTIONS, service.profile_section)):
        if fn not in hooks:
            hooks.append(fn)
