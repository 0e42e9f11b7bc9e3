"""Contracts after an award or a claim: milestones funded through payments, deliveries, acceptance
(release), revisions, mutual cancel; the claim (抢单) flow; private messages; their timers."""


def init_app(app):
    from . import models  # noqa: F401
    from .labels import status_label
    app.jinja_env.globals["contracts_status_label"] = status_label
    from .routes import bp
    app.register_blueprint(bp)
    from ..jobs.service import register_handler
    from ..payments import fundables
    from . import (
        api,  # noqa: F401
        service,
    )
    register_handler(service.AUTO_ACCEPT_TIMER, service.auto_accept)
    register_handler(service.AUTO_CONFIRM_TIMER, service.auto_accept)
    register_handler(service.CLAIM_EXPIRE_TIMER, service.expire_claim)
    fundables.register("milestone", service.load_fundable)
    from ..accounts import events as account_events
    from ..core.events import connect
    from ..tasks import events as task_events
    from .loading import completed_summaries
    from .sections import task_section
    connect(account_events.user_summaries, completed_summaries)
    connect(task_events.task_published, service.on_task_published)
    connect(task_events.task_page_sections, task_section)
    from . import references
    references.init()
