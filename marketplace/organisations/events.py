"""Signals the organisations domain announces (the hook mechanism: marketplace/core/events.py).

    org_details   kwargs: org. Return a dict merged into what the organisation's page and API
                  show about it (verification answers {"verification": {"status", "masked_number"}}).
"""
from ..core.events import NS

org_details = NS.signal("organisations.org_details")
