"""Question bank files: export to CSV or XLSX, and import from them with a preview of every
problem row. One row per question: topic, form, kind, text, text_en, option 1–6, correct
(option numbers such as ``1`` or ``1,3``; Ukrainian letters А–Е also work).

Uploads are bounded: a byte cap, a row cap, and for XLSX the zip's uncompressed sizes are
checked before openpyxl parses it (a small file must not unpack into gigabytes)."""

import csv
import io
import zipfile
from dataclasses import dataclass, field

import openpyxl
from flask_babel import lazy_gettext as _l

from lms.assessments import bank
from lms.assessments.models import QUESTION_FORMS, QUESTION_KINDS, Question
from lms.core.errors import ValidationError
from lms.courses.models import Course

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 2000
MAX_UNCOMPRESSED = 30 * 1024 * 1024
MAX_OPTIONS = 6
COLUMNS = (
    ["topic", "form", "kind", "text", "text_en"]
    + [f"option_{i}" for i in range(1, MAX_OPTIONS + 1)]
    + ["correct"]
)
LETTERS = "АБВГҐДЕ"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """A cell a spreadsheet will not run as a formula (CSV/XLSX injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


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
        writer.writerow([neutralise(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def export_xlsx(course: Course) -> bytes:
    return xlsx_bytes(COLUMNS, _bank_rows(course))


def xlsx_bytes(header: list, rows: list[list]) -> bytes:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(header)
    for row in rows:
        sheet.append([neutralise(v) for v in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _bad(message) -> ValidationError:
    return ValidationError.on("file", message)


def _xlsx_rows(data: bytes) -> list[tuple]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise _bad(_l("The Excel file could not be opened. Save it again as .xlsx.")) from None
    if unpacked > MAX_UNCOMPRESSED:
        raise _bad(_l("The Excel file unpacks to more than %(mb)d MB.", mb=MAX_UNCOMPRESSED // (1024 * 1024)))
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        rows = []
        for row in workbook.worksheets[0].iter_rows(values_only=True):
            rows.append(row)
            if len(rows) > MAX_ROWS + 1:
                break
        workbook.close()
        return rows
    except Exception:
        # openpyxl raises many kinds of errors for a damaged workbook; all mean "cannot read it".
        raise _bad(_l("The Excel file is damaged. Save it again as .xlsx.")) from None


def _csv_rows(data: bytes) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1251")
    delimiter = ";" if text.split("\n", 1)[0].count(";") >= text.split("\n", 1)[0].count(",") else ","
    rows = []
    for row in csv.reader(io.StringIO(text), delimiter=delimiter):
        rows.append(row)
        if len(rows) > MAX_ROWS + 1:
            break
    return rows


@dataclass
class BankRow:
    number: int
    data: dict
    problems: list[str] = field(default_factory=list)


def _positions(text: str) -> list[int]:
    positions = []
    for part in str(text or "").replace(";", ",").replace(" ", ",").split(","):
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


def parse_bank(data: bytes) -> list[BankRow]:
    """Every row with its problems (an empty list: ready to import). Raises for a file that
    cannot be read at all, is too large, or has more than ``MAX_ROWS`` rows."""
    if not data:
        raise _bad(_l("The file is empty."))
    if len(data) > MAX_BYTES:
        raise _bad(_l("The file is larger than %(mb)d MB: split it.", mb=MAX_BYTES // (1024 * 1024)))
    rows = _xlsx_rows(data) if data.startswith(b"PK\x03\x04") else _csv_rows(data)
    if len(rows) > MAX_ROWS + 1:
        raise _bad(_l("The file has more than %(n)d questions: split it.", n=MAX_ROWS))
    parsed = []
    for number, cells in enumerate(rows[1:], start=2):
        values = ["" if v is None else str(v).strip() for v in cells] + [""] * len(COLUMNS)
        if not any(values):
            continue
        row = dict(zip(COLUMNS, values, strict=False))
        options = [row[f"option_{i}"] for i in range(1, MAX_OPTIONS + 1) if row[f"option_{i}"]]
        correct = _positions(row["correct"])
        problems = []
        kind = row["kind"].lower() or "single"
        form = row["form"] or "both"
        if kind not in QUESTION_KINDS:
            problems.append(str(_l("Unknown kind “%(kind)s”: single, multiple or true_false.", kind=kind)))
        if form not in QUESTION_FORMS:
            problems.append(str(_l("The form is A, B or both.")))
        if not row["text"]:
            problems.append(str(_l("Write the question.")))
        if any(p < 1 or p > len(options) for p in correct):
            problems.append(str(_l("The correct answer names an option that is not there.")))
        elif not correct:
            problems.append(str(_l("Name the correct option(s) in the “correct” column.")))
        data_row = {
            "kind": kind,
            "form": form,
            "topic": row["topic"],
            "text": row["text"],
            "text_en": row["text_en"],
            "choices": [{"text": o, "correct": i + 1 in correct} for i, o in enumerate(options)],
        }
        parsed.append(BankRow(number, data_row, problems))
    return parsed


def check_rows(course: Course, rows: list[BankRow]) -> None:
    """Add the bank's own rules (number of options, one correct for single choice) to each row."""
    for row in rows:
        if row.problems:
            continue
        try:
            bank._clean(row.data, course)
        except ValidationError as error:
            row.problems.extend(str(m) for messages in error.fields.values() for m in messages)


def import_rows(course: Course, rows: list[BankRow], *, by) -> list[Question]:
    """Create the questions of the rows without problems."""
    return [bank.create_question(course, row.data, by=by) for row in rows if not row.problems]
