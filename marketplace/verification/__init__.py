"""Verification: identity (实名认证, resident ID per GB 11643) and organisation (企业认证, USCC per
GB 32100 plus a licence file), decided by operators."""


def init_app(app):
    from . import models  # noqa: F401
    from .routes import bp
    app.register_blueprint(bp)
    from ..core import events as core_events
    from ..core.events import connect
    from . import api, queue_section  # noqa: F401
    connect(core_events.queue_sections, queue_section.queue_sections)
    _register_account_hooks()


def _register_account_hooks():
    from ..accounts import events as accounts
    from ..core.events import connect
    from . import service
    connect(accounts.me_payload, service.me_verification)
    connect(accounts.profile_sections, service.profile_section)
    from ..organisations import events as org_events
    connect(org_events.org_details, service.org_details)
