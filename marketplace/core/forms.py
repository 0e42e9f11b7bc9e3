"""Form helpers shared by every domain."""
from __future__ import annotations

from .db import rollback
from .errors import ValidationFailed


def apply_errors(form, exc: ValidationFailed) -> None:
    """Attach a service's field errors to a WTForms form (unknown fields go to form.form_errors)
    and drop whatever the failed service call had added to the session."""
    rollback()
    for name, messages in (exc.errors or {}).items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors) + list(messages)
        else:
            form.form_errors.append(f"{name}: {'; '.join(messages)}")
    if not exc.errors:
        form.form_errors.append(str(exc.message))
