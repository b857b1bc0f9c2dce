"""Reading roster files: CSV (UTF-8, UTF-16 or Windows-1251; comma, semicolon or tab) or XLSX,
one row at a time, with the columns found by their names in Ukrainian or English."""

import codecs
import csv
import re
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import openpyxl
from flask_babel import lazy_gettext as _l

from lms.core.errors import ValidationError
from lms.core.upload_limits import UploadLimits, check_file, limit_records, limits_for

HEADER_SEARCH_ROWS = 10
SAMPLE_BYTES = 64 * 1024

# Column names as people type them, after ``header_key``: lower case, no punctuation.
HEADER_ALIASES = {
    "full_name": [
        "піб", "п і б", "прізвище імя по батькові", "прізвище імя та по батькові", "прізвище та імя",
        "прізвище імя", "піб учасника", "піб учасниці", "учасник", "full name", "fullname", "name",
    ],
    "surname": ["прізвище", "surname", "last name", "family name"],
    "first_name": ["імя", "first name", "given name"],
    "patronymic": ["по батькові", "patronymic", "middle name"],
    "email": [
        "email", "e mail", "електронна пошта", "ел пошта", "електронна адреса", "ел адреса",
        "адреса електронної пошти", "e mail адреса", "пошта", "mail",
    ],
    "phone": ["телефон", "phone", "тел", "номер телефону", "контактний телефон", "мобільний телефон",
              "phone number", "mobile"],
    "position": ["посада", "position", "job title"],
    "institution": ["установа", "заклад", "institution", "organisation", "organization", "організація",
                    "місце роботи", "назва установи", "установа організація", "employer"],
    "district": ["район", "district", "raion"],
}  # fmt: skip
_FIELD_BY_HEADER = {alias: name for name, aliases in HEADER_ALIASES.items() for alias in aliases}
NAME_PARTS = ("surname", "first_name", "patronymic")


def bad_file(message) -> ValidationError:
    return ValidationError.on("file", message)


def header_key(text) -> str:
    """A column name reduced to what matters: ``"Ел. пошта"`` and ``"ел пошта"`` are the same."""
    text = re.sub(r"['’ʼ`\"«»]", "", str(text or "").casefold())
    return " ".join(re.sub(r"[^\w]+", " ", text).replace("_", " ").split())


def map_columns(cells) -> dict[str, int]:
    """Which column holds which field (the first one wins); empty when nothing is recognised."""
    columns: dict[str, int] = {}
    for index, cell in enumerate(cells):
        name = _FIELD_BY_HEADER.get(header_key(cell))
        if name is not None and name not in columns:
            columns[name] = index
    return columns


def _has_name(columns: dict[str, int]) -> bool:
    return "full_name" in columns or "surname" in columns


def detect_format(path: Path) -> str:
    """``"xlsx"`` or ``"csv"`` from the content (names lie); raises for anything else."""
    with open(path, "rb") as file:
        head = file.read(8192)
    if not head.strip():
        raise bad_file(_l("The file is empty."))
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise bad_file(_l("This is an old Excel file (.xls): save it as .xlsx or .csv and upload it again."))
    if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise bad_file(_l("This is neither a CSV nor an XLSX file."))
    return "csv"


def text_encoding(path: Path) -> str:
    """UTF-16 (by its BOM), UTF-8 with or without BOM if every byte decodes, else Windows-1251."""
    with open(path, "rb") as file:
        if file.read(2) in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            return "utf-16"
        file.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := file.read(SAMPLE_BYTES):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1251"
    return "utf-8-sig"


def sniff_delimiter(sample: str) -> str:
    """The delimiter among ``;``, ``,`` and tab under which the header names the most known
    columns, and the rows below it have as many cells; a comma when nothing tells."""
    lines = [line for line in sample.splitlines()[:HEADER_SEARCH_ROWS] if line.strip()]
    best, best_score = ",", (0, 0)
    for delimiter in (";", ",", "\t"):
        rows = [next(csv.reader([line], delimiter=delimiter), []) for line in lines]
        for index, cells in enumerate(rows):
            columns = map_columns(cells)
            if _has_name(columns):
                same_width = sum(len(other) == len(cells) for other in rows[index + 1 :])
                score = (len(columns), same_width)
                if score > best_score:
                    best, best_score = delimiter, score
                break
    return best


def _csv_records(path: Path) -> Iterator[tuple[int, list]]:
    encoding = text_encoding(path)
    with open(path, "rb") as file:
        sample = file.read(SAMPLE_BYTES).decode(encoding, errors="ignore")
    delimiter = sniff_delimiter(sample)
    with open(path, encoding=encoding, errors="replace", newline="") as text:
        try:
            yield from enumerate(csv.reader(text, delimiter=delimiter), start=1)
        except csv.Error as error:
            raise bad_file(
                _l("The file could not be read as CSV (%(problem)s).", problem=str(error))
            ) from None


def _xlsx_records(path: Path) -> Iterator[tuple[int, tuple]]:
    # A file object, not a path: openpyxl judges a path by its extension, and uploads have none.
    with open(path, "rb") as file:
        # openpyxl raises many kinds of errors for a damaged workbook; all mean "cannot read it".
        try:
            workbook = openpyxl.load_workbook(file, read_only=True, data_only=True)
        except Exception:
            raise bad_file(_l("The Excel file could not be opened. Save it again as .xlsx.")) from None
        try:
            yield from enumerate(workbook.worksheets[0].iter_rows(values_only=True), start=1)
        except Exception:
            raise bad_file(_l("The Excel file is damaged. Save it again as .xlsx.")) from None
        finally:
            workbook.close()


def cell_text(value, field_name: str = "") -> str:
    """A cell as text: whole numbers without ``.0``, a 9-digit phone number that lost its
    leading zero in Excel gets it back, runs of spaces become one."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and field_name == "phone" and len(str(value)) == 9:
        return f"0{value}"
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return " ".join(str(value).split())


def read_roster(path: Path, limits: UploadLimits | None = None) -> Iterator[tuple[int, dict[str, str]]]:
    """``(row number, {field: text})`` for each row of people, read lazily after the header.

    The file is checked against the roster upload limits before it is parsed, and while it is
    read. The header is the first of the top rows naming a name column; rows without any known
    field filled in are passed over.
    """
    limits = limits or limits_for("roster")
    kind = detect_format(path)
    check_file(path, limits, count_rows=True)
    records = limit_records(_xlsx_records(path) if kind == "xlsx" else _csv_records(path), limits)
    columns = None
    for number, cells in records:
        if number > HEADER_SEARCH_ROWS:
            break
        found = map_columns(cells)
        if _has_name(found):
            columns = found
            break
    if columns is None:
        raise bad_file(
            _l(
                "No column with the names was found. The first row should name the columns, e.g. ПІБ, Email, Телефон."
            )
        )
    people = 0
    for number, cells in records:
        values = {
            name: cell_text(cells[index], name) if index < len(cells) else ""
            for name, index in columns.items()
        }
        if not any(values.values()):
            continue
        people += 1
        parts = [values.pop(part, "") for part in NAME_PARTS]
        if not values.get("full_name"):
            values["full_name"] = " ".join(part for part in parts if part)
            # A surname column says which word is the surname: lists sort by it.
            values["surname"] = parts[0]
        yield number, values
    if people == 0:
        raise bad_file(_l("The file names its columns but has no rows of people."))


TEMPLATE_HEADER = ["ПІБ", "Email", "Телефон", "Посада", "Установа", "Район"]
TEMPLATE_EXAMPLE = [
    "Ґалаґан Марʼяна Іванівна",
    "m.galagan@example.org",
    "+380 67 123 4567",
    "Фахівчиня із соціальної роботи",
    "Уманський районний центр соціальних служб",
    "Уманський",
]


def template_csv() -> bytes:
    """An empty roster to fill in: the recognised columns and one example row, for Excel (UTF-8
    with BOM, semicolons)."""
    lines = [";".join(TEMPLATE_HEADER), ";".join(TEMPLATE_EXAMPLE)]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")
