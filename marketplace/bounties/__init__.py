"""Bounties (悬赏): entries kept in a confidential vault with fingerprint receipts, judging,
winners and prizes, piece acceptance, the submission and selection deadlines, operator review."""
from flask_babel import lazy_gettext as _l

from ..core import events as core_events
from ..core.events import QueueSection, connect
from ..jobs.service import register_handler
from ..tasks import events as task_events
from . import api, models, service  # noqa: F401  (api and models register routes and tables on import)
from .labels import register as register_labels
from .receipts import received_at_text
from .review import review_due_at, review_sla_state
from .routes import bp
from .sections import task_section
from .serializers import serialize_review


def init_app(app):
    register_labels()
    app.register_blueprint(bp)
    register_handler(service.DEADLINE_TIMER, service.deadline_passed)
    register_handler(service.SELECTION_TIMER, service.selection_ended)
    register_handler(service.PRIZE_TIMER, service.release_prize)
    connect(task_events.task_published, service.on_task_published)
    connect(task_events.task_cancel_check, service.refuse_cancel_with_entries)
    connect(task_events.task_page_sections, task_section)
    connect(core_events.queue_sections, queue_sections)
    app.jinja_env.globals["bounty_received_at"] = received_at_text
    app.jinja_env.globals["bounty_review_sla"] = review_sla_state
    app.jinja_env.globals["bounty_review_due_at"] = review_due_at


def queue_sections(_sender=None) -> QueueSection:
    """core.events.queue_sections receiver: bounties whose selection window ended with no choice
    (API.md's "reviews-due"), oldest first, each with its due time."""
    return QueueSection("bounty_reviews", title=_l("Bounties to review (no winners chosen)"),
                        loader=service.open_reviews, template="bounties/_queue_reviews.html",
                        api_serializer=serialize_review)
