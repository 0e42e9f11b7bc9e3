"""The one link builder for links a service writes into a notification, a mail, an API document or
a reference's words: a path on this site (no host), built from the endpoint's URL rule.

    links.url("contracts.detail", contract_id=3)    -> "/contracts/3"
    links.task(task)                                -> "/tasks/7"

It works wherever a service runs: in a request, and outside one (timers, CLI), where `url_for`
alone would need SERVER_NAME. A link to a page that does not exist in this build (a domain left
out) is None rather than an error.
"""
from __future__ import annotations

from flask import current_app, has_request_context, url_for
from werkzeug.routing import BuildError


def url(endpoint: str, **values) -> str | None:
    """The path of `endpoint` with `values`, or None when this build has no such page."""
    try:
        if has_request_context():
            return url_for(endpoint, **values)
        adapter = current_app.url_map.bind("", script_name=current_app.config.get("APPLICATION_ROOT") or "/")
        return adapter.build(endpoint, values)
    except BuildError:
        return None


def _id(thing) -> int:
    return thing if isinstance(thing, int) else thing.id


# Named shortcuts for the pages services link to most.

def task(task_or_id) -> str:
    return url("tasks.show", task_id=_id(task_or_id))


def task_link_maker():
    """task() for many tasks at once (a list page): the route is built once, then each link is
    its id put in the pattern."""
    sample = 9876543210
    pattern = task(sample)
    if pattern is None or pattern.count(str(sample)) != 1:
        return task
    before, after = pattern.split(str(sample))
    return lambda task_or_id: f"{before}{_id(task_or_id)}{after}"


def task_bids(task_or_id) -> str:
    return url("bids.task_bids", task_id=_id(task_or_id))


def contract(contract_or_id) -> str:
    return url("contracts.detail", contract_id=_id(contract_or_id))


def messages(task_or_id, solver_id: int) -> str:
    return url("contracts.messages", task_id=_id(task_or_id), solver_id=solver_id)


def org(org_or_id) -> str:
    return url("organisations.show", org_id=_id(org_or_id))


def profile(user_or_id) -> str:
    return url("accounts.public_profile", user_id=_id(user_or_id))


def wallet() -> str:
    return url("payments.wallet")
