"""Bids on tenders (投标): place, edit, withdraw until the bid deadline; the poster side shortlists,
rejects and awards (the award itself is in contracts)."""
from ..core.events import connect
from ..jobs.service import register_handler
from ..tasks import events as task_events
from . import api, models, service  # noqa: F401  (api and models register routes and tables on import)
from .routes import bp


def init_app(app):
    app.register_blueprint(bp)
    register_handler(service.BID_DEADLINE_TIMER, service.close_bidding)
    register_handler(service.EXPIRE_TIMER, service.expire_tender)
    connect(task_events.task_published, service.on_task_published)
    connect(task_events.task_cancelled, service.on_task_cancelled)
