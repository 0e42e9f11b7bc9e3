"""Signals the accounts domain sends (blinker; higher domains connect receivers in init_app).

    user_summaries(sender, user_ids=[...]) -> receivers return {user_id: {key: value}}
        what cards of bidders and claimants show: rating, reviews, completed, score, level.
    user_blocklisted(sender, user=..., reason=..., by=...)   put on the blocklist (失信名单)
    user_blocklist_lifted(sender, user=..., reason=..., by=...)
"""
from blinker import Namespace

NS = Namespace()

user_summaries = NS.signal("accounts.user_summaries")
user_blocklisted = NS.signal("accounts.user_blocklisted")
user_blocklist_lifted = NS.signal("accounts.user_blocklist_lifted")
