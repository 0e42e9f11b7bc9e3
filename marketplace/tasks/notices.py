"""Notification kinds sent by the tasks domain."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..notifications.service import register_kind

register_kind("task.invited", _l("You are invited to “%(task)s”."))
register_kind("task.question", _l("A new question on “%(task)s”."))
register_kind("task.answered", _l("Your question on “%(task)s” has an answer."))
register_kind("task.funded", _l("The escrow of “%(task)s” is funded; you can publish it now."))
register_kind("task.funded_and_opened", _l("Your payment for “%(task)s” arrived; the task is open and solvers "
                                           "nearby can claim it now."))
register_kind("task.funded_not_opened", _l("Your payment for “%(task)s” arrived, but the task could not open: "
                                           "%(reason)s Change it, then publish it."))
register_kind("task.cancelled", _l("“%(task)s” was cancelled."))
register_kind("task.hidden", _l("“%(task)s” was hidden by an operator: %(reason)s"))
