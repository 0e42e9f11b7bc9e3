"""Signals the verification domain sends (blinker; higher domains connect in init_app).

    verification_approved(sender, request=)   an operator approved an identity or organisation
"""
from blinker import Namespace

NS = Namespace()

verification_approved = NS.signal("verification.approved")
