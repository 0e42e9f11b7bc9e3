"""Notification kinds sent by contracts, claims and messages."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..notifications.service import register_kind

register_kind("contract.proposed", _l("You were awarded “%(task)s” for %(amount)s. Review and accept the contract."))
register_kind("contract.accepted", _l("%(solver)s accepted the contract for “%(task)s”. Fund the first milestone."))
register_kind("contract.declined", _l("%(solver)s declined the contract for “%(task)s”."))
register_kind("contract.withdrawn", _l("The award of “%(task)s” was withdrawn."))
register_kind("contract.cancel_requested", _l("%(who)s asked to cancel the contract for “%(task)s”."))
register_kind("contract.cancelled", _l("The contract for “%(task)s” was cancelled; funded money was refunded."))
register_kind("contract.completed", _l("The contract for “%(task)s” is completed."))
register_kind("milestone.funded", _l("Milestone “%(milestone)s” of “%(task)s” is funded. You can start."))
register_kind("milestone.delivered", _l("%(solver)s delivered “%(milestone)s” of “%(task)s”. Review it by %(until)s."))
register_kind("milestone.accepted", _l("“%(milestone)s” of “%(task)s” was accepted: %(amount)s released, platform fee %(fee)s, you received %(net)s."))
register_kind("milestone.auto_accepted", _l("“%(milestone)s” of “%(task)s” was accepted automatically: %(amount)s released (to the solver: %(net)s after the platform fee %(fee)s)."))
register_kind("milestone.revision_requested", _l("A revision of “%(milestone)s” of “%(task)s” was requested: %(reason)s"))
register_kind("claim.claimed", _l("%(solver)s claimed “%(task)s”."))
register_kind("claim.done", _l("%(solver)s marked “%(task)s” done. Confirm it by %(until)s."))
register_kind("claim.confirmed", _l("“%(task)s” was confirmed: %(amount)s released, platform fee %(fee)s, you received %(net)s."))
register_kind("claim.auto_confirmed", _l("“%(task)s” was confirmed automatically: %(amount)s released (to the solver: %(net)s after the platform fee %(fee)s)."))
register_kind("claim.expired", _l("Nobody claimed “%(task)s” before its time window ended; it expired and the escrow was refunded."))
register_kind("claim.abandoned", _l("%(solver)s gave up “%(task)s”; it is open for claims again."))
register_kind("message.received", _l("%(sender)s sent you a message about “%(task)s”."))
