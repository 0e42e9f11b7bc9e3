"""The operator queue: sections provided through core.events.queue_sections, and the API document
with every key."""
import pytest
from blinker import Signal

from marketplace.core.events import QueueSection
from marketplace.operator import queue


@pytest.fixture
def queue_sections(monkeypatch):
    """A fresh signal in place of core.events.queue_sections: only this test's providers answer."""
    signal = Signal()
    monkeypatch.setattr(queue, "queue_sections", signal)
    return signal


def test_every_api_key_is_present_even_without_a_section(queue_sections):
    assert queue.as_json() == {k: [] for k in ("verifications", "bank_transfers", "payouts", "disputes",
                                               "reports", "bounty_reviews")}


def test_provided_section_is_loaded_serialised_and_limited(queue_sections):
    seen = []

    def loader(limit):
        seen.append(limit)
        return [{"pk": 1, "owner": 7}, {"pk": 2, "owner": 8}][:limit]

    def provide(_sender=None):
        return QueueSection("payouts", title="Payouts", loader=loader, template="x.html",
                            api_serializer=lambda item: {"id": item["pk"], "user_id": item["owner"]})

    with queue_sections.connected_to(provide):
        doc = queue.as_json(limit=1)
        page = queue.load(limit=5)
    assert doc["payouts"] == [{"id": 1, "user_id": 7}]
    assert doc["disputes"] == [] and seen[0] == 1
    assert [(s.key, len(items)) for s, items in page] == [("payouts", 2)]


def test_sections_are_shown_in_the_documented_order_and_replaced_by_key(queue_sections):
    def provide(_sender=None):
        return [QueueSection(key, title=key, loader=lambda limit: [], template="x.html", api_serializer=dict)
                for key in ("reports", "extra", "verifications")]

    def provide_later(_sender=None):
        return QueueSection("reports", title="Reports v2", loader=lambda limit: [], template="y.html",
                            api_serializer=dict)

    with queue_sections.connected_to(provide), queue_sections.connected_to(provide_later):
        assert [s.key for s in queue.ordered_sections()] == ["verifications", "reports", "extra"]
        assert queue.sections()["reports"].template == "y.html"
        assert "extra" in queue.as_json()
