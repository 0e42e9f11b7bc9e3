"""Who may do what with accounts, and the role guards other domains use.

    require_operator(user)   raises NotAuthenticated (no user) or Forbidden (not operator/admin)
    require_admin(user)      the same for admins
    @operator_required       page decorator: anonymous -> login page, member -> 403 page
    ensure_not_blocklisted(user)  raises Blocklisted (403, with the reason) for a user on the
                             blocklist (失信名单); posting, bidding, claiming and submitting call it
"""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..core.errors import Forbidden, NotAuthenticated
from ..extensions import login_manager


class Blocklisted(Forbidden):
    type_slug = "blocklisted"
    default_message = _l("Your account is on the list of dishonest parties (失信名单), so you cannot "
                         "post, bid, claim or submit.")


def ensure_not_blocklisted(user) -> None:
    """Refuse a user on the blocklist, naming the reason the operator gave."""
    if user is not None and getattr(user, "blocklisted_at", None) is not None:
        raise Blocklisted(_l("Your account is on the list of dishonest parties (失信名单): %(reason)s. "
                             "You cannot post, bid, claim or submit until an operator lifts it.",
                             reason=(user.blocklist_reason or "").rstrip("。.！!　 ")))


def _authenticated(user) -> bool:
    return user is not None and bool(getattr(user, "is_authenticated", False)) and user.is_active


def require_login(user) -> None:
    if not _authenticated(user):
        raise NotAuthenticated()


def require_operator(user) -> None:
    require_login(user)
    if not user.is_operator:
        raise Forbidden()


def require_admin(user) -> None:
    require_login(user)
    if not user.is_admin:
        raise Forbidden()


def _page_guard(check):
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not _authenticated(current_user):
                return login_manager.unauthorized()
            if not check(current_user):
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator


operator_required = _page_guard(lambda user: user.is_operator)
admin_required = _page_guard(lambda user: user.is_admin)
