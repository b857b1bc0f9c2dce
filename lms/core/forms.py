"""Helpers that join service errors to WTForms forms."""

from flask import flash

from lms.core.errors import DomainError


def show_error_on_form(form, error: DomainError) -> None:
    """Put a service error next to the fields it names, or above the form if none match."""
    placed = False
    for name, messages in error.fields.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = list(field.errors) + [str(m) for m in messages]
            placed = True
    if not placed or not error.fields:
        flash(str(error.message), "danger")
