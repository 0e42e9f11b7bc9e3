"""Verification: identity (实名认证, resident ID per GB 11643) and organisation (企业认证, USCC per
GB 32100 plus a licence file), decided by operators."""
from ..accounts import events as accounts
from ..core import events as core_events
from ..core.events import connect
from ..organisations import events as org_events
from . import api, models, queue_section, service  # noqa: F401  (api and models register routes and tables on import)
from .routes import bp


def init_app(app):
    app.register_blueprint(bp)
    connect(core_events.queue_sections, queue_section.queue_sections)
    _register_account_hooks()


def _register_account_hooks():
    connect(accounts.me_payload, service.me_verification)
    connect(accounts.profile_sections, service.profile_section)
    connect(org_events.org_details, service.org_details)
