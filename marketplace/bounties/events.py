"""Signals the bounties domain announces (blinker; higher domains connect in their init_app).

    bounty_awarded(sender, task=, winners=[{"user_ids": [...], "submission_id": .., "rank": .., "amount": ..}],
                   amount=<total paid to winners>)   winners chosen (by the poster or an operator)
    piece_accepted(sender, task=, submission=, amount=)   one piece entry accepted and paid
    bounty_refunded(sender, task=, amount=)               the unspent reward returned to the payer
"""
from __future__ import annotations

from ..core.events import NS

bounty_awarded = NS.signal("bounty.awarded")
piece_accepted = NS.signal("bounty.piece_accepted")
bounty_refunded = NS.signal("bounty.refunded")
