"""Tasks: posting (tender, claim, bounty), the negative-list check on publish, browsing and
search, recommendations, invitations (邀标), public Q&A and the task side of escrow funding."""
from flask_babel import lazy_gettext as _l

from ..core.events import connect, home_sections
from ..organisations import models as _org_models  # noqa: F401  (tasks.org_id references it)
from . import api, funding, models, references  # noqa: F401  (api and models register routes and tables on import)
from .cli import tasks_cli
from .home import home_section
from .routes import bp

STATUS_NAMES = {
    "draft": _l("Draft"), "open": _l("Open"), "awarded": _l("Awarded"), "in_progress": _l("In progress"),
    "selecting": _l("Selecting winners"), "review": _l("Operator review"), "completed": _l("Completed"),
    "cancelled": _l("Cancelled"), "expired": _l("Expired"), "refunded": _l("Refunded"),
}


def init_app(app):
    app.register_blueprint(bp)

    connect(home_sections, home_section)

    funding.register()
    app.jinja_env.globals["escrow_fees"] = funding.escrow_fees
    references.init()

    app.cli.add_command(tasks_cli)

    @app.context_processor
    def task_globals():
        return {"task_status_names": STATUS_NAMES}
