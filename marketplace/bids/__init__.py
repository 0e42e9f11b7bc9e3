"""Bids on tenders (投标): place, edit, withdraw until the bid deadline; the poster side shortlists,
rejects and awards (the award itself is in contracts)."""


def init_app(app):
    from . import models  # noqa: F401
    from .routes import bp
    app.register_blueprint(bp)
    from ..jobs.service import register_handler
    from ..tasks import service as tasks_service
    from . import (
        api,  # noqa: F401
        service,
    )
    register_handler(service.BID_DEADLINE_TIMER, service.close_bidding)
    register_handler(service.EXPIRE_TIMER, service.expire_tender)
    tasks_service.on_published(service.on_task_published)
    tasks_service.on_cancelled(service.on_task_cancelled)
