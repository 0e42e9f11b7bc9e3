"""Signals the ledger announces (the hook mechanism: marketplace/core/events.py).

    verify_checks   one handler per check name, connected with
                    `ledger.verify.register_check(name, fn)`; `flask ledger verify` calls `fn()`,
                    which yields one string per problem (e.g. payments checks that each succeeded
                    card payment was posted once).
"""
from ..core.events import NS

verify_checks = NS.signal("ledger.verify_checks")
