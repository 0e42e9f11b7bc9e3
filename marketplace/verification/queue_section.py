"""The verification section of the operator queue (a receiver of core.events.queue_sections)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..core.events import QueueSection
from . import service


def _serialize(req) -> dict:
    return service.serialize(req, with_licence=True)


def queue_sections(_sender=None) -> QueueSection:
    return QueueSection("verifications", title=_l("Verifications to review"), loader=service.pending,
                        template="verification/_queue_section.html", api_serializer=_serialize)
