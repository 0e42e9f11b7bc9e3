"""The one hook mechanism: blinker named signals (docs/architecture.md, "Hooks").

A lower domain announces; higher domains react, without the lower one importing them. The domain
that announces declares its signals in its own `events.py`, in the shared namespace `NS`:

    # marketplace/tasks/events.py
    task_published = NS.signal("task.published")      # kwargs: task

    # the announcing service (tasks.lifecycle)
    events.task_published.send(task=task)

    # a higher domain, in its init_app
    connect(task_events.task_published, on_task_published)   # on_task_published(sender, *, task)

Signals are sent with keyword arguments only (the sender is None) and receivers take
``(sender, **kwargs)``. A signal that asks for contributions (profile sections, /me keys, queue
sections) is read with `collect`, which returns the receivers' non-None answers in connection
order (the order of `DOMAINS`).

Where exactly one receiver answers for a key (a timer kind, a fundable kind, a ledger check), the
receiver is connected for that key as sender with `connect_handler` and called with `dispatch`.

Receivers are held strongly (`weak=False`): they are module-level functions connected once per
process; connecting the same function again changes nothing.

Core's own signals (announced by core; provided by higher domains):
    home_sections     kwargs: none. Return (template, context) or None; shown on the home page.
    queue_sections    kwargs: none. Return a QueueSection or a list of them (the operator queue;
                      declared here, low, because payments, verification and moderation provide
                      sections while the operator console that reads them sits above them all).
    describe_refs     one handler per reference kind ("task", "milestone", "funding", ...),
                      connected with `core.references.register(kind, describer)`;
                      `describer(ids) -> {id: Described}` answers for many ids in one query.
    negative_rule_overrides
                      kwargs: none. Return {rule: words} (words replace the configured ones or add
                      a rule; None switches the rule off), or None (core.negative_list; moderation).
    negative_rule_label
                      kwargs: rule. Return the rule's label in words, or None.
    negative_list_hit kwargs: rule, word, field, text. Sent when a post is refused by the negative
                      list (the request is rolled back after); receivers keep the record.
"""
from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from blinker import ANY, Namespace, Signal
from blinker._utilities import make_id

NS = Namespace()


def connect(signal: Signal, receiver: Callable, *, sender: Any = ANY) -> Callable:
    """Connect receiver(sender, **kwargs) to signal, held strongly; returns the receiver."""
    signal.connect(receiver, sender=sender, weak=False)
    return receiver


def _receivers_in_order(signal: Signal, sender: Any = None) -> list[Callable]:
    """The receivers that `signal.send(sender)` would call, in connection order (blinker keeps
    them in a set per sender, so its own order is arbitrary)."""
    if signal.is_muted or not signal.receivers:
        return []
    wanted = {make_id(r) for r in signal.receivers_for(sender)}
    found = []
    for receiver_id, receiver in signal.receivers.items():
        if receiver_id in wanted:
            if isinstance(receiver, weakref.ref):
                receiver = receiver()
            if receiver is not None:
                found.append(receiver)
    return found


def collect(signal: Signal, **kwargs) -> list:
    """Send signal with kwargs to its receivers in connection order; their answers that are not
    None. A receiver may answer with a list (several contributions); it is flattened."""
    values: list = []
    for receiver in _receivers_in_order(signal):
        value = receiver(None, **kwargs)
        if value is None:
            continue
        if isinstance(value, list):
            values.extend(v for v in value if v is not None)
        else:
            values.append(value)
    return values


class Handler:
    """The receiver that is the one handler of `key` on a signal. It calls `fn` with the arguments
    given to `dispatch`."""

    def __init__(self, key: str, fn: Callable):
        self.key = key
        self.fn = fn

    def __call__(self, sender, *, args: tuple = (), kwargs: dict | None = None):
        return self.fn(*args, **(kwargs or {}))


def _handlers(signal: Signal, key: str | None = None) -> list[Handler]:
    found = [r for r in signal.receivers.values() if isinstance(r, Handler)]
    return [h for h in found if key is None or h.key == key]


def connect_handler(signal: Signal, key: str, fn: Callable, *, replace: bool = False) -> None:
    """Make fn the handler of key on signal. Connecting the same fn again is a no-op; another fn
    for a key that has one raises ValueError unless `replace`."""
    for current in _handlers(signal, key):
        if current.fn is fn:
            return
        if not replace:
            raise ValueError(f"{signal.name}: a different handler is already connected for {key!r}")
        signal.disconnect(current)  # every sender: a Handler has only its key
    signal.connect(Handler(key, fn), sender=key, weak=False)


def disconnect_handler(signal: Signal, key: str) -> None:
    for current in _handlers(signal, key):
        signal.disconnect(current)  # every sender: a Handler has only its key


def handler_of(signal: Signal, key: str) -> Callable | None:
    """The function connected for key, or None."""
    found = _handlers(signal, key)
    return found[0].fn if found else None


def handler_keys(signal: Signal) -> list[str]:
    return sorted({h.key for h in _handlers(signal)})


def dispatch(signal: Signal, key: str, *args, **kwargs):
    """Call the handler of key with args and kwargs; LookupError when there is none."""
    fn = handler_of(signal, key)
    if fn is None:
        raise LookupError(f"{signal.name}: no handler for {key!r}")
    return fn(*args, **kwargs)


def handlers(signal: Signal) -> Iterable[tuple[str, Callable]]:
    """(key, fn) of every handler on signal, in connection order."""
    return [(h.key, h.fn) for h in _handlers(signal)]


# --- core's own signals ---------------------------------------------------------------------------

home_sections = NS.signal("core.home_sections")
queue_sections = NS.signal("core.queue_sections")
describe_refs = NS.signal("core.describe_refs")
negative_rule_overrides = NS.signal("core.negative_rule_overrides")
negative_rule_label = NS.signal("core.negative_rule_label")
negative_list_hit = NS.signal("core.negative_list_hit")


@dataclass(frozen=True)
class QueueSection:
    """A section of the operator's work queue.

    `loader(limit)` returns the pending items (oldest first); the page includes `template` with
    `section` and `items` in its context; `GET /api/v1/operator/queue` lists each item through
    `api_serializer(item)`, which gives the item's own `id` and the subject's `user_id`.
    """
    key: str
    title: object
    loader: Callable
    template: str
    api_serializer: Callable
