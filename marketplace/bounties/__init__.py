"""Bounties (悬赏): entries kept in a confidential vault with fingerprint receipts, judging,
winners and prizes, piece acceptance, the submission and selection deadlines, operator review."""


def init_app(app):
    from . import models  # noqa: F401
    from .labels import register as register_labels
    register_labels()
    from .routes import bp
    app.register_blueprint(bp)
    from ..jobs.service import register_handler
    from . import (
        api,  # noqa: F401
        service,
    )
    register_handler(service.DEADLINE_TIMER, service.deadline_passed)
    register_handler(service.SELECTION_TIMER, service.selection_ended)
    from ..tasks import page_sections
    from ..tasks import service as tasks_service
    tasks_service.on_published(service.on_task_published)
    tasks_service.on_cancel_check(service.refuse_cancel_with_entries)
    from .sections import task_section
    page_sections.register(task_section)
    from flask_babel import lazy_gettext as _l

    from ..operator.queue import register_section
    from .serializers import serialize_review
    register_section("bounty_reviews", title=_l("Bounties to review (no winners chosen)"),
                     loader=service.open_reviews, template="bounties/_queue_reviews.html",
                     api_serializer=serialize_review)
    from .receipts import received_at_text
    app.jinja_env.globals["bounty_received_at"] = received_at_text
