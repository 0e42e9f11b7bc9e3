"""Warnings a poster sees next to a bid (shown, never enforced here)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

# A bid this far outside the tender's budget is flagged for the poster.
FAR_ABOVE = 2      # more than twice the top of the budget
FAR_BELOW = 0.5    # less than half of the bottom of the budget


def budget_flag(task, amount: int) -> str | None:
    """Why a bid amount looks wrong against the tender's budget, or None."""
    top, bottom = task.budget_max, task.budget_min
    if top and amount > top * FAR_ABOVE:
        return str(_l("Far above the budget"))
    if bottom and amount < bottom * FAR_BELOW:
        return str(_l("Far below the budget"))
    return None
