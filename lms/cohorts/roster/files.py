"""Reading roster files (see ``lms.core.spreadsheets``) with the columns found by their names in
Ukrainian or English."""

from collections.abc import Iterator
from pathlib import Path

from flask_babel import lazy_gettext as _l

from lms.core.spreadsheets import HEADER_SEARCH_ROWS, bad_file, cell_text, header_key, read_records
from lms.core.upload_limits import UploadLimits, limits_for

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


def header_score(cells) -> int:
    """How many known columns a row names, if one of them is a name: 0 when it is no header."""
    columns = map_columns(cells)
    return len(columns) if _has_name(columns) else 0


def read_roster(path: Path, limits: UploadLimits | None = None) -> Iterator[tuple[int, dict[str, str]]]:
    """``(row number, {field: text})`` for each row of people, read lazily after the header.

    The file is checked against the roster upload limits before it is parsed, and while it is
    read. The header is the first of the top rows naming a name column; rows without any known
    field filled in are passed over.
    """
    records = read_records(path, limits or limits_for("roster"), header_score)
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
