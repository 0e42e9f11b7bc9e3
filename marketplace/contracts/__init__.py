"""Contracts after an award or a claim: milestones funded through payments, deliveries, acceptance
(release), revisions, mutual cancel; the claim (抢单) flow; private messages; their timers."""
from ..accounts import events as account_events
from ..core.events import connect
from ..jobs.service import register_handler
from ..payments import fundables
from ..tasks import events as task_events
from . import api, models, references, service  # noqa: F401  (api and models register routes and tables on import)
from .labels import status_label
from .loading import completed_summaries, completed_summary_columns
from .routes import bp
from .sections import task_section


def init_app(app):
    app.jinja_env.globals["contracts_status_label"] = status_label
    app.register_blueprint(bp)
    register_handler(service.AUTO_ACCEPT_TIMER, service.auto_accept)
    register_handler(service.AUTO_CONFIRM_TIMER, service.auto_accept)
    register_handler(service.CLAIM_EXPIRE_TIMER, service.expire_claim)
    fundables.register("milestone", service.load_fundable)
    connect(account_events.user_summaries, completed_summaries)
    connect(account_events.user_summary_columns, completed_summary_columns)
    connect(task_events.task_published, service.on_task_published)
    connect(task_events.task_page_sections, task_section)
    references.init()
