"""The bounty status changes (open → selecting → awarded | review | refunded; review → awarded |
refunded) go through the tasks domain's state machine (`tasks.transitions`, which holds the table
of allowed steps per mode); this keeps the bounty's wording for a lost race."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..core.db import utcnow
from ..tasks import transitions
from ..tasks.models import Task


def move(task: Task, to: str, *, expected: tuple[str, ...]) -> Task:
    return transitions.move(task, to=to, expected=expected, updated_at=utcnow(),
                            message=_l("This bounty has moved on; reload the page."))
