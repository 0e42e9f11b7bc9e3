"""Signals the verification domain sends (blinker; higher domains connect in init_app).

    verification_approved(sender, request=)   an operator approved an identity or organisation
"""
from ..core.events import NS

verification_approved = NS.signal("verification.approved")
