"""The task state machine: which status a task of each mode may move to from which, and the one
function every status change of a task goes through (tasks, bids, contracts, bounties, disputes).

    move(task, to="awarded", expected="open", message=_l("This task has already been awarded."))

`move` checks the step against the table (a step the table does not allow is a programming error:
ValueError), then writes it with a conditional UPDATE (`core.db.conditional_update`), so of two
requests racing for the same step exactly one wins and the other gets a 409.
"""
from __future__ import annotations

from collections.abc import Iterable

from ..core.db import conditional_update
from .models import Task

# mode -> {from status: statuses it may move to}
TRANSITIONS: dict[str, dict[str, frozenset[str]]] = {
    # 招标: bids until the deadline, an award proposes a contract the solver accepts or declines.
    "tender": {
        "draft": frozenset({"open", "cancelled"}),
        "open": frozenset({"awarded", "cancelled", "expired"}),
        "awarded": frozenset({"in_progress", "open", "cancelled"}),
        "in_progress": frozenset({"completed", "cancelled"}),
    },
    # 抢单: funded before it opens; a claim starts the work, abandoning reopens it.
    "claim": {
        "draft": frozenset({"open", "cancelled"}),
        "open": frozenset({"in_progress", "cancelled", "expired"}),
        "in_progress": frozenset({"open", "completed", "cancelled"}),
    },
    # 悬赏: submissions until the deadline, then the poster selects winners (or an operator does);
    # piece bounties may be awarded while still open.
    "bounty": {
        "draft": frozenset({"open", "cancelled"}),
        "open": frozenset({"selecting", "awarded", "cancelled", "refunded"}),
        "selecting": frozenset({"awarded", "review", "refunded"}),
        "review": frozenset({"awarded", "refunded"}),
    },
}


def allowed(mode: str, from_status: str, to_status: str) -> bool:
    return to_status in TRANSITIONS.get(mode, {}).get(from_status, ())


def can_move(task: Task, to: str) -> bool:
    return allowed(task.mode, task.status, to)


def move(task: Task, *, to: str, expected: str | Iterable[str], where=(), message=None, error=None,
         **values) -> Task:
    """Move `task` to status `to` if its status is still one of `expected` (and every condition in
    `where` holds), setting `values` too; raise `error` (default WrongState) with `message` when
    another request got there first. Returns the refreshed task."""
    statuses = (expected,) if isinstance(expected, str) else tuple(expected)
    for status in statuses:
        if not allowed(task.mode, status, to):
            raise ValueError(f"a {task.mode} task may not move from {status!r} to {to!r}")
    conditional_update(Task, task, statuses, where=where, message=message, error=error, status=to, **values)
    return task
