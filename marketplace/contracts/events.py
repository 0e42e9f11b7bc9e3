"""Signals the contracts domain sends when an engagement ends (blinker; higher domains such as
reviews and credit connect receivers in their init_app). All are sent with keyword arguments:

    contract_completed(sender, contract=, task=, amount=)   every milestone of a tender contract accepted
    claim_confirmed(sender, contract=, task=, amount=)      a claim's work confirmed (or auto-confirmed)
    claim_abandoned(sender, contract=, task=, abandonment=) the claimant gave the task up
    contract_cancelled(sender, contract=, task=, refunded=)  an active contract was cancelled
                                                            (refunded: funded money went back)
"""
from ..core.events import NS

contract_completed = NS.signal("contracts.contract_completed")
claim_confirmed = NS.signal("contracts.claim_confirmed")
claim_abandoned = NS.signal("contracts.claim_abandoned")
contract_cancelled = NS.signal("contracts.contract_cancelled")
