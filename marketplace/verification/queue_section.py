"""The verification section of the operator queue."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..operator.queue import register_section
from . import service


def register() -> None:
    register_section("verifications", title=_l("Verifications to review"), loader=service.pending,
                     template="verification/_queue_section.html",
                     api_serializer=lambda req: service.serialize(req, with_licence=True))
