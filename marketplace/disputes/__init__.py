"""Disputes (纠纷): either party opens one on a funded or delivered milestone or a claim awaiting
confirmation; its timer and money freeze; both sides add evidence; the parties settle, or an
operator decides a split; the ledger follows."""


def init_app(app):
    from . import models  # noqa: F401
    from .routes import bp
    app.register_blueprint(bp)
    from . import api  # noqa: F401
    from .queue import age_hours, register_queue_section, sla_state
    register_queue_section()
    app.jinja_env.globals["disputes_sla_state"] = sla_state
    app.jinja_env.globals["disputes_age_hours"] = age_hours
    from ..core import references
    from .labels import describe_disputes, status_label, subject_label
    references.register("dispute", describe_disputes)
    app.jinja_env.globals["dispute_status_label"] = status_label
    app.jinja_env.globals["dispute_subject_label"] = subject_label
    from .service import disputes_of_contract
    app.jinja_env.globals["disputes_of_contract"] = disputes_of_contract
