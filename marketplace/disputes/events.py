"""Signals the disputes domain announces (blinker). Higher domains (credit) connect receivers.

Every signal is sent with the same keyword arguments:
    dispute           the Dispute row
    poster_id         the poster of the task
    solver_id         the solver (contract solver, claimant or bounty submitter)
    solver_share_bps  the share of the held money that went to the solver (0..10000); None when opened
    subject           "milestone" | "claim" | "bounty"
    subject_id        the milestone id, the contract id (claim) or the task id (bounty)
    amount            the amount in question (minor units, the dispute's currency)
    respondent_id     the winner whose held bounty prize an entrant disputes (None otherwise): the
                      other side of such a dispute instead of the poster, whose money is not in it
"""
from __future__ import annotations

from ..core.events import NS

dispute_opened = NS.signal("dispute.opened")
dispute_settled = NS.signal("dispute.settled")
dispute_decided = NS.signal("dispute.decided")


def send(signal, dispute) -> None:
    signal.send(dispute, dispute=dispute, poster_id=dispute.poster_id, solver_id=dispute.solver_id,
                solver_share_bps=dispute.solver_share_bps, subject=dispute.subject,
                subject_id=dispute.subject_id, amount=dispute.amount, respondent_id=dispute.respondent_id)
