"""The hook mechanism: ordered collection of answers, and one handler per key."""
import pytest
from blinker import Namespace

from marketplace.core.events import (
    collect,
    connect,
    connect_handler,
    disconnect_handler,
    dispatch,
    handler_keys,
)

ns = Namespace()


def test_collect_answers_in_connection_order_skipping_none_and_flattening_lists():
    signal = ns.signal("test.sections")
    names = [f"r{i}" for i in range(12)]
    receivers = []
    for name in names:
        def receiver(_sender, *, user, name=name):
            return None if name == "r3" else ([name, name + "b"] if name == "r5" else f"{name}:{user}")
        receivers.append(connect(signal, receiver))
    answers = collect(signal, user=7)
    expected = []
    for name in names:
        if name == "r3":
            continue
        expected += [name, name + "b"] if name == "r5" else [f"{name}:7"]
    assert answers == expected
    connect(signal, receivers[0])  # connecting again changes nothing
    assert collect(signal, user=7) == expected
    with signal.muted():
        assert collect(signal, user=7) == []


def test_one_handler_per_key():
    signal = ns.signal("test.handlers")

    def first(ref, now):
        return ("first", ref, now)

    def second(ref, now):
        return ("second", ref, now)

    connect_handler(signal, "kind.a", first)
    connect_handler(signal, "kind.a", first)  # the same function again is fine
    with pytest.raises(ValueError):
        connect_handler(signal, "kind.a", second)
    connect_handler(signal, "kind.b", second)
    assert dispatch(signal, "kind.a", "task:1", now=5) == ("first", "task:1", 5)
    assert handler_keys(signal) == ["kind.a", "kind.b"]
    connect_handler(signal, "kind.a", second, replace=True)
    assert dispatch(signal, "kind.a", "x", 1)[0] == "second"
    disconnect_handler(signal, "kind.a")
    assert handler_keys(signal) == ["kind.b"]
    with pytest.raises(LookupError):
        dispatch(signal, "kind.a", "x", 1)
