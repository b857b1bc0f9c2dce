"""Question bank files: export to CSV or XLSX, and the reading of an uploaded one. One row per
question under a header row: topic, form, kind, text, text_en, option 1–6, correct (option
numbers such as ``1`` or ``1,3``; Ukrainian letters А–Е also work).

``read_bank`` reads a file lazily within the ``bank`` upload limits (lms.core.upload_limits)
and gives each row with the problems the file alone shows; ``lms.assessments.bank_upload``
adds the bank's own rules, in a job."""

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
from flask_babel import lazy_gettext as _l

from lms.assessments import bank
from lms.assessments.models import QUESTION_FORMS, QUESTION_KINDS
from lms.core.cells import restored, safe_cell
from lms.core.spreadsheets import read_records
from lms.core.upload_limits import limits_for
from lms.courses.models import Course

LIMITS_KIND = "bank"
MAX_OPTIONS = 6
COLUMNS = (
    ["topic", "form", "kind", "text", "text_en"]
    + [f"option_{i}" for i in range(1, MAX_OPTIONS + 1)]
    + ["correct"]
)
LETTERS = "АБВГҐДЕ"


def _bank_rows(course: Course) -> list[list]:
    rows = []
    for question in bank.questions_of(course):
        current = question.current
        options = [c.text for c in current.choices][:MAX_OPTIONS]
        correct = ",".join(str(i + 1) for i, c in enumerate(current.choices) if c.correct)
        rows.append(
            [question.topic, question.form, current.kind, current.text, current.text_en]
            + options
            + [""] * (MAX_OPTIONS - len(options))
            + [correct]
        )
    return rows


def export_csv(course: Course) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(COLUMNS)
    for row in _bank_rows(course):
        writer.writerow([safe_cell(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def export_xlsx(course: Course) -> bytes:
    return xlsx_bytes(COLUMNS, _bank_rows(course))


def xlsx_bytes(header: list, rows: list[list]) -> bytes:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(header)
    for row in rows:
        sheet.append([safe_cell(v) for v in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@dataclass
class BankRow:
    """A question as written in row ``number``, and its problems as ``[code, params]``."""

    number: int
    data: dict
    problems: list = field(default_factory=list)

    def problem(self, code: str, **params) -> None:
        self.problems.append([code, params])


# What the file alone can show wrong in a row; the bank's own rules are ``bank.RULES``.
PROBLEMS = {
    "unknown_kind": _l("Unknown kind “%(kind)s”: single, multiple or true_false."),
    "no_correct": _l("Name the correct option(s) in the “correct” column."),
    "bad_correct": _l("The correct answer names an option that is not there."),
} | bank.RULES


def describe(reason: list | tuple) -> str:
    """The message for a stored ``[code, params]`` problem, in the current language."""
    code, params = reason
    message = PROBLEMS.get(code, code)
    return str(message) % params if params else str(message)


def _positions(text: str) -> list[int]:
    positions = []
    # A dot too: Excel in a Ukrainian locale keeps "1,3" as the number 1.3.
    for part in str(text or "").replace(";", ",").replace(".", ",").replace(" ", ",").split(","):
        part = part.strip().upper()
        if not part:
            continue
        if part.isdecimal():
            positions.append(int(part))
        elif part in LETTERS:
            positions.append(LETTERS.index(part) + 1)
        else:
            positions.append(0)
    return positions


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # an option number Excel kept as 2.0
    return restored(str(value).strip())


def header_score(cells) -> int:
    """How well a row reads as the header: the columns it fills (a CSV's delimiter is the one
    that splits the header into the most)."""
    return sum(1 for cell in cells if _text(cell))


def bank_row(number: int, cells) -> BankRow | None:
    """The question of a row, with the problems the row alone shows; None for an empty row."""
    values = [_text(v) for v in cells] + [""] * len(COLUMNS)
    if not any(values):
        return None
    row = dict(zip(COLUMNS, values, strict=False))
    options = [row[f"option_{i}"] for i in range(1, MAX_OPTIONS + 1) if row[f"option_{i}"]]
    correct = _positions(row["correct"])
    kind = row["kind"].lower() or "single"
    form = row["form"] or "both"
    parsed = BankRow(
        number,
        {
            "kind": kind,
            "form": form,
            "topic": row["topic"],
            "text": row["text"],
            "text_en": row["text_en"],
            "choices": [{"text": o, "correct": i + 1 in correct} for i, o in enumerate(options)],
        },
    )
    if kind not in QUESTION_KINDS:
        parsed.problem("unknown_kind", kind=kind)
    if form not in QUESTION_FORMS:
        parsed.problem("form")
    if not row["text"]:
        parsed.problem("no_text")
    if any(p < 1 or p > len(options) for p in correct):
        parsed.problem("bad_correct")
    elif not correct:
        parsed.problem("no_correct")
    return parsed


def read_bank(path: Path) -> Iterator[BankRow]:
    """Every question row of the file (the first row is the header), lazily. Raises for a
    file that cannot be read or is over the ``bank`` upload limits."""
    for number, cells in read_records(path, limits_for(LIMITS_KIND), header_score):
        row = bank_row(number, cells) if number > 1 else None
        if row is not None:
            yield row


def check_row(course: Course, row: BankRow) -> BankRow:
    """Add the bank's own rules (number of options, one correct for single choice) to a row
    the file alone shows nothing wrong with."""
    if not row.problems:
        for code in bank.broken_rules(row.data, course).values():
            row.problem(code)
    return row
