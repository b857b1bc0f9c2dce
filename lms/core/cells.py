"""Cells that a spreadsheet shows as text and never runs as a formula (CSV/XLSX injection).

A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, also after
leading spaces (spreadsheets skip them), gets a leading apostrophe: the person reads the text,
the spreadsheet computes nothing. Numbers, dates and empty cells are left as they are, so that
sums and charts still work. Control characters that XML cannot hold are dropped. Every export
of the platform (reports, results, question banks, answer templates) writes its cells through
here, and an import of such a file reads its text back through ``restored``."""

import re
from datetime import date, datetime

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# XML 1.0 (the XLSX format) cannot hold these; a CSV reader would choke on some of them too.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def is_formula_like(text: str) -> bool:
    return text.startswith(FORMULA_START) or text.lstrip(" ").startswith(FORMULA_START)


def safe_text(text: str) -> str:
    """``text`` as a spreadsheet will show it, never evaluate it."""
    text = _CONTROL.sub("", text)
    return "'" + text if is_formula_like(text) else text


def restored(text: str) -> str:
    """The text a neutralised cell stood for: an export read back (a question bank exported,
    edited and imported again) does not gain an apostrophe."""
    if text.startswith("'") and is_formula_like(text[1:]):
        return text[1:]
    return text


def safe_cell(value):
    """A cell value for XLSX: numbers, dates and booleans as they are, text neutralised."""
    if value is None or isinstance(value, (bool, int, float, date, datetime)):
        return value
    return safe_text(str(value))


def csv_cell(value) -> str:
    """A cell for CSV: numbers as plain numbers (a dot for decimals), dates as YYYY-MM-DD,
    text neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float)):
        return format(value, ".15g") if isinstance(value, float) else str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return safe_text(str(value))
