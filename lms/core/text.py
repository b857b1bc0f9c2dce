"""Single-line text: names, titles and venues never hold line breaks or other control characters.

A carriage return in a course title once broke every calendar and invitation that carried it;
such text is refused at input and stripped wherever it leaves the system in a line format.
"""

import re

from flask_babel import lazy_gettext as _l

from lms.core.errors import ValidationError

# C0 and C1 controls and DEL; tabs and line breaks included.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def has_control_characters(value: str | None) -> bool:
    return bool(value) and CONTROL_CHARACTERS.search(value) is not None


def refuse_control_characters(value: str | None, field: str) -> str | None:
    """``value`` unchanged, or a ValidationError on ``field`` when it holds a control character."""
    if has_control_characters(value):
        raise ValidationError.on(field, _l("Line breaks and control characters are not allowed here."))
    return value


def one_line(value: str | None) -> str:
    """``value`` with every control character turned into a space, for line-based formats."""
    return " ".join(CONTROL_CHARACTERS.sub(" ", value or "").split())
