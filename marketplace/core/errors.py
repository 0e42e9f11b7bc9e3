"""Domain errors. Services raise these; one handler renders them for pages, one for the API.

Every error carries an HTTP status and a translatable message. `ValidationFailed` carries
field-named messages so forms and RFC 9457 problem documents can name each bad field.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l


class DomainError(Exception):
    status = 400
    type_slug = "domain-error"
    default_message = _l("The request could not be completed.")

    def __init__(self, message=None, *, errors: dict | None = None, status: int | None = None):
        self.message = message if message is not None else self.default_message
        self.errors = {k: [str(m) for m in (v if isinstance(v, (list, tuple)) else [v])]
                       for k, v in (errors or {}).items()}
        if status is not None:
            self.status = status
        super().__init__(str(self.message))

    @property
    def title(self) -> str:
        return str(self.message)


class ValidationFailed(DomainError):
    """Bad input; `errors` maps each field name to its messages."""
    status = 422
    type_slug = "validation-failed"
    default_message = _l("Some fields are not valid.")


class NotAuthenticated(DomainError):
    status = 401
    type_slug = "not-authenticated"
    default_message = _l("Please log in.")


class Forbidden(DomainError):
    status = 403
    type_slug = "forbidden"
    default_message = _l("You are not allowed to do that.")


class NotFound(DomainError):
    status = 404
    type_slug = "not-found"
    default_message = _l("Not found.")


class WrongState(DomainError):
    """The object is not in a state that allows the action (or another request won a race)."""
    status = 409
    type_slug = "wrong-state"
    default_message = _l("This action is not possible in the current state.")


class Conflict(DomainError):
    status = 409
    type_slug = "conflict"
    default_message = _l("This conflicts with the current state.")


class ServiceUnavailable(DomainError):
    status = 503
    type_slug = "service-unavailable"
    default_message = _l("A service we depend on is unavailable. Please try again later.")


def field_error(field: str, message) -> ValidationFailed:
    """Shorthand for a one-field validation error."""
    return ValidationFailed(errors={field: [message]})
