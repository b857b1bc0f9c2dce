"""Files of paper answers: one row per participant (her enrolment id as on the answer sheet's QR
code, her email, or her full name), then one column per item numbered as on the answer sheet
(1..n) holding the keys the grid takes, or a single percent column for totals only.

``read_answers`` reads such a file lazily within the ``paper`` upload limits; ``template_xlsx``
and ``template_csv`` give the file to fill in, with the cohort's participants and the form's
item numbers."""

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lms.assessments.bank_files import xlsx_bytes
from lms.cohorts.roster.files import HEADER_ALIASES, NAME_PARTS
from lms.core.cells import safe_cell
from lms.core.spreadsheets import HEADER_SEARCH_ROWS, bad_file, cell_text, header_key, read_records
from lms.core.upload_limits import limits_for

LIMITS_KIND = "paper"
ID_ALIASES = [
    "id", "ід", "qr", "qr код", "код", "enrolment", "enrollment", "enrolment id", "enrollment id",
    "запис", "номер запису", "id запису",
]  # fmt: skip
PERCENT_ALIASES = ["percent", "відсоток", "відсотки", "percent score", "score percent"]
_FIELD_BY_HEADER = (
    {alias: name for name in ("full_name", "email", *NAME_PARTS) for alias in HEADER_ALIASES[name]}
    | dict.fromkeys(ID_ALIASES, "id")
    | dict.fromkeys(PERCENT_ALIASES, "percent")
)
# An item's column: its number as on the answer sheet, maybe after a word ("Питання 3", "Q3").
_ITEM_HEADER = re.compile(r"^(?:питання|завдання|item|question|q|n)?\s*(\d{1,4})$")
IDENTITY = ("id", "email", "full_name", "surname")


@dataclass
class Columns:
    fields: dict[str, int] = field(default_factory=dict)  # field name -> column index
    items: dict[int, int] = field(default_factory=dict)  # item number -> column index

    @property
    def is_header(self) -> bool:
        return any(name in self.fields for name in IDENTITY) and bool(self.items or "percent" in self.fields)


def map_columns(cells) -> Columns:
    """Which column holds which field and which item (the first one wins)."""
    columns = Columns()
    for index, cell in enumerate(cells):
        text = cell_text(cell)
        key = header_key(text)
        name = "percent" if text == "%" else _FIELD_BY_HEADER.get(key)
        item = _ITEM_HEADER.match(key)
        if name is not None:
            columns.fields.setdefault(name, index)
        elif item is not None:
            columns.items.setdefault(int(item[1]), index)
    return columns


def header_score(cells) -> int:
    columns = map_columns(cells)
    return len(columns.fields) + len(columns.items) if columns.is_header else 0


@dataclass
class AnswerRow:
    """A row as written: who (``id``, ``email``, ``full_name``), the item cells and the percent."""

    number: int
    id: str = ""
    email: str = ""
    full_name: str = ""
    cells: dict[int, str] = field(default_factory=dict)  # item number -> what is written
    percent: str = ""


def read_answers(path: Path) -> Iterator[AnswerRow]:
    """The rows after the header (the first of the top rows naming a participant column and
    item or percent columns); rows with nothing in them are passed over."""
    records = read_records(path, limits_for(LIMITS_KIND), header_score)
    columns = None
    for number, cells in records:
        if number > HEADER_SEARCH_ROWS:
            break
        found = map_columns(cells)
        if found.is_header:
            columns = found
            break
    if columns is None:
        raise bad_file(
            _l(
                "No header row was found. The first row should name the columns: ID, email or full "
                "name, then the item numbers 1, 2, 3… (or a percent column). Download the template."
            )
        )

    def text(cells, index: int) -> str:
        return cell_text(cells[index]) if index < len(cells) else ""

    for number, cells in records:
        values = {name: text(cells, index) for name, index in columns.fields.items()}
        row = AnswerRow(number=number, id=values.get("id", ""), email=values.get("email", ""))
        parts = [values.get(part, "") for part in NAME_PARTS]
        row.full_name = values.get("full_name") or " ".join(part for part in parts if part)
        row.percent = values.get("percent", "")
        row.cells = {item: text(cells, index) for item, index in columns.items.items()}
        row.cells = {item: value for item, value in row.cells.items() if value}
        if row.id or row.email or row.full_name or row.cells or row.percent:
            yield row


def template_rows(people, items: int, *, totals: bool) -> tuple[list, list[list]]:
    """The header and one row per enrolment (``people``) to fill in."""
    header = ["ID", _("Full name"), _("Email")] + ([_("Percent")] if totals else list(range(1, items + 1)))
    blank = [""] * (1 if totals else items)
    return header, [[e.id, e.user.full_name, e.user.email, *blank] for e in people]


def template_xlsx(people, items: int, *, totals: bool = False) -> bytes:
    return xlsx_bytes(*template_rows(people, items, totals=totals))


def template_csv(people, items: int, *, totals: bool = False) -> bytes:
    """For Excel: UTF-8 with BOM, semicolons; names neutralised against formula injection."""
    header, rows = template_rows(people, items, totals=totals)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([safe_cell(value) for value in row] for row in rows)
    return out.getvalue().encode("utf-8-sig")
