"""Helpers that join service errors to WTForms forms."""

from collections.abc import Callable
from typing import TypeVar

from flask import flash

from lms.core.errors import DomainError
from lms.extensions import db

T = TypeVar("T")


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


def run_form(form, action: Callable[[], T]) -> tuple[T | None, int]:
    """``action()`` once ``form`` is submitted and valid, then commit. A DomainError it raises
    is rolled back and shown on the form. Returns the result (None if it did not run or
    failed) and the page's status: 200, 422 for an invalid form, or the error's."""
    if not form.validate_on_submit():
        return None, 422 if form.is_submitted() else 200
    try:
        result = action()
    except DomainError as error:
        db.session.rollback()
        show_error_on_form(form, error)
        return None, error.status
    db.session.commit()
    return result, 200
