"""Limits on uploaded spreadsheets (rosters, paper answers, question banks), checked before parsing.

A small file can stand for an enormous one: an XLSX is a zip, and 176 KB can declare 20 million
rows or unpack to gigabytes. ``check_file`` refuses such files from the zip directory and the
first bytes of each sheet, without unpacking the rest; ``limit_records`` then stops a reader
that meets more rows, columns or cells than the limits while streaming (a sheet may declare no
size, or lie). Python's zipfile never unpacks a member past the size its directory declares,
so checking the declared sizes bounds what any parser of the file can be handed.

Limits come from the config: ``UPLOAD_LIMITS`` for every upload, ``UPLOAD_LIMITS_<KIND>``
(e.g. ``UPLOAD_LIMITS_ROSTER``) to change some of them for one kind of file.
"""

import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields, replace
from pathlib import Path

from flask import current_app, has_app_context
from flask_babel import format_number, ngettext
from flask_babel import lazy_gettext as _l

from lms.core.errors import ValidationError

MB = 1024 * 1024
SHEET_HEAD_BYTES = 64 * 1024
SCAN_CHUNK = MB
_DIMENSION = re.compile(
    rb"<(?:\w+:)?dimension\s+ref=\"\$?([A-Z]{1,3})\$?(\d+)(?::\$?([A-Z]{1,3})\$?(\d+))?\""
)
_SHEET = re.compile(r"^xl/worksheets/[^/]+\.xml$")
_ROW_TAGS = (b"<row", b":row ", b":row>", b":row/")
_ROW_NUMBER = re.compile(rb"<(?:\w+:)?row\s[^>]*?\br=\"(\d{1,12})\"")
_CELL_TAGS = (b"<c ", b"<c>", b"<c/", b":c ", b":c>", b":c/")


@dataclass(frozen=True)
class UploadLimits:
    max_bytes: int = 10 * MB  # the file as uploaded
    max_rows: int = 100_000  # rows of a sheet or lines of a CSV, the header included
    max_columns: int = 50
    max_cells: int = 1_000_000
    max_unpacked_bytes: int = 64 * MB  # all members of an XLSX together, unpacked
    max_shared_strings_bytes: int = 16 * MB  # openpyxl holds this part in memory whole
    max_zip_entries: int = 200


def limits_for(kind: str) -> UploadLimits:
    """The limits for uploads of ``kind`` (``"roster"``, ``"paper"``…) from the config;
    the defaults outside an app (a script reading a file)."""
    if not has_app_context():
        return UploadLimits()
    settings = {**current_app.config.get("UPLOAD_LIMITS", {})}
    settings |= current_app.config.get(f"UPLOAD_LIMITS_{kind.upper()}", {})
    known = {f.name for f in fields(UploadLimits)}
    return replace(UploadLimits(), **{k: int(v) for k, v in settings.items() if k in known})


def refuse(message) -> ValidationError:
    return ValidationError.on("file", message)


def _too_many_rows(limits: UploadLimits) -> ValidationError:
    return refuse(
        ngettext(
            "The file has more than %(n)s row: split it into smaller files.",
            "The file has more than %(n)s rows: split it into smaller files.",
            limits.max_rows,
            n=format_number(limits.max_rows),
        )
    )


def _too_many_columns(limits: UploadLimits) -> ValidationError:
    return refuse(
        ngettext(
            "The file has more than %(n)s column: keep only the columns of the template.",
            "The file has more than %(n)s columns: keep only the columns of the template.",
            limits.max_columns,
            n=format_number(limits.max_columns),
        )
    )


def _too_many_cells(limits: UploadLimits) -> ValidationError:
    return refuse(
        ngettext(
            "The file has more than %(n)s cell: split it into smaller files.",
            "The file has more than %(n)s cells: split it into smaller files.",
            limits.max_cells,
            n=format_number(limits.max_cells),
        )
    )


def column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def check_file(path: Path, limits: UploadLimits, *, count_rows: bool = False) -> int:
    """Refuse a file over ``limits`` without parsing it; returns its rows as far as can be told
    cheaply (lines of a CSV, the declared size of a sheet, 0 when not declared).

    With ``count_rows`` (in the worker, before parsing) an XLSX's sheets are also unpacked as a
    stream to count their row and cell tags: a parser spends ~20 s per million rows, even empty
    ones it never hands over, so a sheet is refused on its tags, not after parsing them."""
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise refuse(_l("The file is larger than %(mb)d MB: split it.", mb=limits.max_bytes // MB))
    with open(path, "rb") as file:
        is_zip = file.read(4) == b"PK\x03\x04"
    return check_xlsx(path, limits, count_rows=count_rows) if is_zip else check_csv(path, limits)


def check_csv(path: Path, limits: UploadLimits) -> int:
    lines = 0
    with open(path, "rb") as file:
        while chunk := file.read(MB):
            lines += chunk.count(b"\n")
            if lines > limits.max_rows:
                raise _too_many_rows(limits)
    return lines


def check_xlsx(path: Path, limits: UploadLimits, *, count_rows: bool = False) -> int:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise refuse(_l("The Excel file could not be opened. Save it again as .xlsx.")) from None
    with archive:
        members = archive.infolist()
        if len(members) > limits.max_zip_entries:
            raise refuse(_l("The Excel file has too many parts: save it again as a plain .xlsx."))
        for member in members:
            if (
                member.filename.lower() == "xl/sharedstrings.xml"
                and member.file_size > limits.max_shared_strings_bytes
            ):
                raise refuse(
                    _l(
                        "The Excel file holds more than %(mb)d MB of text: split it or save it as .csv.",
                        mb=limits.max_shared_strings_bytes // MB,
                    )
                )
        if sum(member.file_size for member in members) > limits.max_unpacked_bytes:
            raise refuse(
                _l(
                    "Unpacked, the Excel file would take more than %(mb)d MB: split it or save it as .csv.",
                    mb=limits.max_unpacked_bytes // MB,
                )
            )
        sheets = [m for m in members if _SHEET.match(m.filename)]
        declared = [_check_dimension(archive, sheet, limits) for sheet in sheets]
        if count_rows:
            declared += [_count_tags(archive, sheet, limits) for sheet in sheets]
    return max(declared, default=0)


def _rows_in(text: bytes) -> int:
    return sum(text.count(tag) for tag in _ROW_TAGS) - text.count(b"<rowBreaks")


def _cells_in(text: bytes) -> int:
    return sum(text.count(tag) for tag in _CELL_TAGS)


def _count_tags(archive: zipfile.ZipFile, member: zipfile.ZipInfo, limits: UploadLimits) -> int:
    """The ``<row>`` and ``<c>`` tags of a sheet, counted in unpacked chunks (bounded memory)."""
    rows = cells = last_number = 0
    tail = b""
    try:
        with archive.open(member) as sheet:
            while chunk := sheet.read(SCAN_CHUNK):
                # With the previous chunk's last bytes, less what they held alone: a tag cut in
                # two is counted once, and none twice.
                text = tail + chunk
                rows += _rows_in(text) - _rows_in(tail)
                cells += _cells_in(text) - _cells_in(tail)
                # A row numbered far beyond the one before it stands for the rows it skips too:
                # a reader hands those over as empty rows.
                last_number = max([last_number, *map(int, _ROW_NUMBER.findall(text))])
                tail = text[-9:]
                if last_number > limits.max_rows:
                    raise _too_many_rows(limits)
                if rows > limits.max_rows:
                    raise _too_many_rows(limits)
                if cells > limits.max_cells:
                    raise _too_many_cells(limits)
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError):
        raise refuse(_l("The Excel file is damaged. Save it again as .xlsx.")) from None
    return rows


def _check_dimension(archive: zipfile.ZipFile, member: zipfile.ZipInfo, limits: UploadLimits) -> int:
    """The rows a sheet declares (``<dimension ref="A1:F120"/>`` near its start), checked."""
    try:
        with archive.open(member) as sheet:
            head = sheet.read(SHEET_HEAD_BYTES)
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError):
        raise refuse(_l("The Excel file is damaged. Save it again as .xlsx.")) from None
    found = _DIMENSION.search(head)
    if found is None:
        return 0
    first_col, first_row, last_col, last_row = found.groups()
    rows = int(last_row or first_row)
    columns = column_number((last_col or first_col).decode())
    if rows > limits.max_rows:
        raise _too_many_rows(limits)
    if columns > limits.max_columns:
        raise _too_many_columns(limits)
    if rows * columns > limits.max_cells:
        raise _too_many_cells(limits)
    return rows


def limit_records(records: Iterable[tuple[int, tuple | list]], limits: UploadLimits) -> Iterator:
    """``(number, cells)`` records passed through while within the limits, counting every row
    read (empty ones too: a sheet can stream millions of them)."""
    cells = 0
    for number, row in records:
        if number > limits.max_rows:
            raise _too_many_rows(limits)
        if len(row) > limits.max_columns:
            # Trailing empty cells are padding a reader adds, not columns.
            filled = len(row) - next(
                (i for i, v in enumerate(reversed(row)) if v not in (None, "")), len(row)
            )
            if filled > limits.max_columns:
                raise _too_many_columns(limits)
            row = row[: limits.max_columns]
        cells += len(row)
        if cells > limits.max_cells:
            raise _too_many_cells(limits)
        yield number, row
