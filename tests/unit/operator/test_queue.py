"""The queue registry: sections from domains, and the API document with every key."""
import pytest

from marketplace.operator import queue


@pytest.fixture
def registry():
    saved = dict(queue.SECTIONS)
    yield queue.SECTIONS
    queue.SECTIONS.clear()
    queue.SECTIONS.update(saved)


def test_every_api_key_is_present_even_without_a_section(registry):
    registry.clear()
    assert queue.as_json() == {k: [] for k in ("verifications", "bank_transfers", "payouts", "disputes",
                                               "reports", "bounty_reviews")}


def test_registered_section_is_loaded_serialised_and_limited(registry):
    registry.clear()
    seen = []

    def loader(limit):
        seen.append(limit)
        return [{"pk": 1, "owner": 7}, {"pk": 2, "owner": 8}][:limit]

    queue.register_section("payouts", title="Payouts", loader=loader, template="x.html",
                           api_serializer=lambda item: {"id": item["pk"], "user_id": item["owner"]})
    doc = queue.as_json(limit=1)
    assert doc["payouts"] == [{"id": 1, "user_id": 7}]
    assert doc["disputes"] == [] and seen == [1]
    page = queue.load(limit=5)
    assert [(s.key, len(items)) for s, items in page] == [("payouts", 2)]


def test_sections_are_shown_in_the_documented_order_and_replaced_by_key(registry):
    registry.clear()
    for key in ("reports", "extra", "verifications"):
        queue.register_section(key, title=key, loader=lambda limit: [], template="x.html",
                               api_serializer=dict)
    queue.register_section("reports", title="Reports v2", loader=lambda limit: [], template="y.html",
                           api_serializer=dict)
    assert [s.key for s in queue.ordered_sections()] == ["verifications", "reports", "extra"]
    assert queue.SECTIONS["reports"].template == "y.html"
    assert "extra" in queue.as_json()
