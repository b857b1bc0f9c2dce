"""Reading uploaded spreadsheets people make: CSV (UTF-8, UTF-16 or Windows-1251; comma,
semicolon or tab) or XLSX, one row at a time, within the upload limits of their kind.

Each feature says which of the top rows is its header and what its columns mean; this module
only turns a file into ``(row number, cells)`` records without holding them all at once.
"""

import codecs
import csv
import re
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path

import openpyxl
from flask_babel import lazy_gettext as _l

from lms.core.errors import ValidationError
from lms.core.upload_limits import UploadLimits, check_file, limit_records

HEADER_SEARCH_ROWS = 10
SAMPLE_BYTES = 64 * 1024

# Says how well a row of cells reads as a header: the delimiter with the best score wins.
HeaderScore = Callable[[list[str]], int]


def bad_file(message) -> ValidationError:
    return ValidationError.on("file", message)


def header_key(text) -> str:
    """A column name reduced to what matters: ``"Ел. пошта"`` and ``"ел пошта"`` are the same."""
    text = re.sub(r"['’ʼ`\"«»]", "", str(text or "").casefold())
    return " ".join(re.sub(r"[^\w]+", " ", text).replace("_", " ").split())


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


def sniff_delimiter(sample: str, header_score: HeaderScore) -> str:
    """The delimiter among ``;``, ``,`` and tab under which a header (the first of the top rows
    ``header_score`` gives a score) scores best, and the rows below it have as many cells; a
    comma when nothing tells."""
    lines = [line for line in sample.splitlines()[:HEADER_SEARCH_ROWS] if line.strip()]
    best, best_score = ",", (0, 0)
    for delimiter in (";", ",", "\t"):
        rows = [next(csv.reader([line], delimiter=delimiter), []) for line in lines]
        for index, cells in enumerate(rows):
            score = header_score(cells)
            if score:
                same_width = sum(len(other) == len(cells) for other in rows[index + 1 :])
                if (score, same_width) > best_score:
                    best, best_score = delimiter, (score, same_width)
                break
    return best


def _csv_records(path: Path, header_score: HeaderScore) -> Iterator[tuple[int, list]]:
    encoding = text_encoding(path)
    with open(path, "rb") as file:
        sample = file.read(SAMPLE_BYTES).decode(encoding, errors="ignore")
    delimiter = sniff_delimiter(sample, header_score)
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


def read_records(path: Path, limits: UploadLimits, header_score: HeaderScore) -> Iterator[tuple[int, list]]:
    """``(row number, cells)`` for every row of the file's first sheet, lazily. The file is
    checked against ``limits`` before it is parsed (its row and cell tags counted), and while
    it is read; ``header_score`` helps tell a CSV's delimiter."""
    kind = detect_format(path)
    check_file(path, limits, count_rows=True)
    return limit_records(_xlsx_records(path) if kind == "xlsx" else _csv_records(path, header_score), limits)


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
