"""Disputes (纠纷): either party opens one on a funded or delivered milestone or a claim awaiting
confirmation; its timer and money freeze; both sides add evidence; the parties settle, or an
operator decides a split; the ledger follows."""
from ..core import events as core_events
from ..core import references
from ..core.events import connect
from . import api, models  # noqa: F401  (api and models register routes and tables on import)
from .labels import describe_disputes, status_label, subject_label
from .queue import age_hours, queue_sections, sla_state
from .routes import bp
from .service import disputes_of_contract


def init_app(app):
    app.register_blueprint(bp)
    connect(core_events.queue_sections, queue_sections)
    app.jinja_env.globals["disputes_sla_state"] = sla_state
    app.jinja_env.globals["disputes_age_hours"] = age_hours
    references.register("dispute", describe_disputes)
    app.jinja_env.globals["dispute_status_label"] = status_label
    app.jinja_env.globals["dispute_subject_label"] = subject_label
    app.jinja_env.globals["disputes_of_contract"] = disputes_of_contract
