"""The one link builder (works outside a request, e.g. in timers) and the reference describer
(domains answer per kind through core.events.describe_refs, one call per kind for a whole page)."""
from marketplace.core import links, references
from marketplace.core.events import describe_refs, handler_of


def test_links_are_paths_built_from_the_url_rules_in_and_outside_a_request(app):
    assert links.task(7) == "/tasks/7"
    assert links.contract(3) == "/contracts/3"
    assert links.messages(7, 2) == "/tasks/7/messages/2"
    assert links.url("no_such.page") is None
    with app.test_request_context("/"):
        assert links.task_bids(7) == "/tasks/7/bids"


def test_a_page_of_references_is_one_call_per_kind(app):
    calls = []
    previous = handler_of(describe_refs, "thing")

    def describe_things(ids):
        calls.append(list(ids))
        return {i: references.Described(f"Thing {i}", f"/things/{i}") for i in ids}

    references.register("thing", describe_things)
    try:
        words = references.describe_many(["thing:1", "thing:2", "thing:1:prize:2", "unknown:5", None])
    finally:
        if previous is None:
            from marketplace.core.events import disconnect_handler
            disconnect_handler(describe_refs, "thing")
    assert calls == [["1", "2"]]
    assert words["thing:1"].text == "Thing 1" and words["thing:1"].link == "/things/1"
    assert words["thing:1:prize:2"].link == "/things/1" and "2" in words["thing:1:prize:2"].text
    assert words["unknown:5"].link is None and "unknown:5" not in words["unknown:5"].text
