"""Checking roster rows: each on its own, against the rows before it, and against the people
and enrolments in the database (one query per batch)."""

import itertools
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.accounts.models import User
from lms.accounts.services import normalize_email, normalize_phone
from lms.cohorts.enrolment import NAME_MAX, POSITION_MAX
from lms.cohorts.models import Cohort, Enrollment
from lms.cohorts.roster.files import header_key, read_roster
from lms.core.errors import ValidationError
from lms.extensions import db
from lms.org.models import District, Institution

BATCH_SIZE = 500

PROBLEMS = {
    "missing_name": _l("The name is missing."),
    "long_name": _l("The name is longer than %(n)d characters."),
    "bad_email": _l("The email is not valid."),
    "bad_phone": _l("The phone number is not valid."),
    "long_position": _l("The position is longer than %(n)d characters."),
    "unknown_district": _l("There is no district «%(value)s» in %(region)s."),
    "duplicate_email": _l("The same email as row %(row)d."),
    "duplicate_phone": _l("The same phone as row %(row)d."),
    "already_enrolled": _l("Already enrolled in this training."),
    "already_waitlisted": _l("Already on this training's waitlist."),
    "no_email": _l("No email: it is needed to add a new person."),
    "inactive": _l("This person's account is deactivated."),
    "phone_shared": _l("Several people have this phone number: add the email."),
}
NOTES = {
    "institution_not_found": _l("«%(value)s» is not among the institutions of %(district)s: left empty."),
    "matched_by_phone": _l("Matched by phone; the person's email is %(email)s."),
}


def describe(reason: list | tuple) -> str:
    """The message for a stored ``[code, params]`` problem or note, in the current language."""
    code, params = reason
    message = PROBLEMS.get(code) or NOTES.get(code) or code
    return str(message) % params if params else str(message)


@dataclass(slots=True)
class RosterRow:
    number: int
    full_name: str
    surname: str = ""
    email: str | None = None
    phone: str | None = None
    raw_email: str = ""
    position: str = ""
    institution: str = ""
    district_id: int | None = None
    institution_id: int | None = None
    problems: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    user_id: int | None = None
    person_name: str = ""
    matched_by: str | None = None
    withdrawn_enrollment_id: int | None = None

    def problem(self, code: str, **params) -> None:
        self.problems.append([code, params])

    def note(self, code: str, **params) -> None:
        self.notes.append([code, params])

    def summary(self) -> dict:
        return {
            "row": self.number,
            "name": self.full_name,
            "email": self.email or self.raw_email,
            "phone": self.phone or "",
            "institution": self.institution,
            "matched_by": self.matched_by,
            "person": self.person_name,
            "problems": self.problems,
            "notes": self.notes,
        }


def place_key(text: str) -> str:
    """A district name without the word for district: "Уманський р-н" → "уманський"."""
    words = header_key(text).split()
    while words and words[-1] in {"район", "р", "н", "рн", "raion", "district"}:
        words.pop()
    return " ".join(words)


class Places:
    """The districts of the cohort's region and their institutions, matched by forgiving names."""

    def __init__(self, cohort: Cohort):
        self.region_name = cohort.district.region.name
        self.default_district = cohort.district
        self.district_names: dict[int, str] = {}
        self.district_ids: dict[str, int] = {}
        for district in db.session.scalars(
            select(District).where(District.region_id == cohort.district.region_id)
        ):
            self.district_names[district.id] = district.name
            for name in (district.name, district.name_en):
                self.district_ids.setdefault(place_key(name), district.id)
        self._institutions: dict[int, dict[str, int]] = {}

    def district_id(self, text: str) -> int | None:
        return self.district_ids.get(place_key(text)) if text else self.default_district.id

    def institution_id(self, district_id: int, text: str) -> int | None:
        if district_id not in self._institutions:
            rows = db.session.execute(
                select(Institution.id, Institution.name).where(Institution.district_id == district_id)
            )
            self._institutions[district_id] = {header_key(name): i for i, name in rows}
        return self._institutions[district_id].get(header_key(text))


def parse_row(number: int, values: dict[str, str], places: Places) -> RosterRow:
    """A row with the problems that show without looking at other rows or people."""
    row = RosterRow(
        number=number,
        full_name=values["full_name"],
        surname=values.get("surname", ""),
        raw_email=values.get("email", ""),
    )
    row.position = values.get("position", "")
    row.institution = values.get("institution", "")
    if not row.full_name:
        row.problem("missing_name")
    elif len(row.full_name) > NAME_MAX:
        row.problem("long_name", n=NAME_MAX)
    if row.raw_email:
        try:
            row.email = normalize_email(row.raw_email)
        except ValidationError:
            row.problem("bad_email")
    try:
        row.phone = normalize_phone(values.get("phone"))
    except ValidationError:
        row.problem("bad_phone")
    if len(row.position) > POSITION_MAX:
        row.problem("long_position", n=POSITION_MAX)
    district_text = values.get("district", "")
    row.district_id = places.district_id(district_text)
    if row.district_id is None:
        row.problem("unknown_district", value=district_text, region=places.region_name)
    elif row.institution:
        row.institution_id = places.institution_id(row.district_id, row.institution)
        if row.institution_id is None:
            row.note(
                "institution_not_found",
                value=row.institution,
                district=places.district_names[row.district_id],
            )
    return row


class SeenKeys:
    """Emails and phones met so far in the file, kept in a temporary SQLite file on disk so a
    file of any length is checked for duplicates without holding them all in memory."""

    def __enter__(self):
        self._folder = tempfile.TemporaryDirectory(prefix="roster-")
        self._db = sqlite3.connect(Path(self._folder.name) / "seen.sqlite3")
        self._db.execute("CREATE TABLE seen (key TEXT PRIMARY KEY, row INTEGER) WITHOUT ROWID")
        return self

    def __exit__(self, *exc_info):
        self._db.close()
        self._folder.cleanup()

    def first_rows(self, keys: list[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            # Only "?" placeholders are formatted in; the keys travel as parameters.
            found.update(self._db.execute(f"SELECT key, row FROM seen WHERE key IN ({marks})", chunk))  # noqa: S608  # nosec B608
        return found

    def add(self, first_rows: dict[str, int]) -> None:
        self._db.executemany("INSERT OR IGNORE INTO seen VALUES (?, ?)", first_rows.items())


def mark_duplicates(rows: list[RosterRow], seen: SeenKeys) -> None:
    """A row repeating an earlier row's email or phone is a duplicate of that row."""
    keyed = [(row, _keys(row)) for row in rows]
    earlier = seen.first_rows([key for _row, keys in keyed for key in keys])
    new: dict[str, int] = {}
    for row, keys in keyed:
        for key in keys:
            first = earlier.get(key) or new.get(key)
            if first is not None:
                row.problem("duplicate_email" if key.startswith("e:") else "duplicate_phone", row=first)
            else:
                new[key] = row.number
    seen.add(new)


def _keys(row: RosterRow) -> list[str]:
    return ([f"e:{row.email}"] if row.email else []) + ([f"p:{row.phone}"] if row.phone else [])


def match_people(rows: list[RosterRow], cohort: Cohort) -> None:
    """Find each row's person (by email, else by phone) and her place in the cohort. Repeated
    rows are left alone: the row they repeat speaks for that person."""
    rows = [row for row in rows if not any(code.startswith("duplicate_") for code, _params in row.problems)]
    emails = {row.email for row in rows if row.email}
    by_email = {}
    if emails:
        query = select(User.email, User.id, User.full_name, User.active).where(User.email.in_(emails))
        by_email = {email: person for email, *person in db.session.execute(query)}
    phones = {row.phone for row in rows if row.phone and row.email not in by_email}
    by_phone: dict[str, list] = {}
    if phones:
        query = select(User.phone, User.id, User.full_name, User.active, User.email).where(
            User.phone.in_(phones)
        )
        for phone, *person in db.session.execute(query):
            by_phone.setdefault(phone, []).append(person)
    for row in rows:
        if row.email in by_email:
            row.user_id, row.person_name, active = by_email[row.email]
            row.matched_by = "email"
        elif row.phone in by_phone:
            people = by_phone[row.phone]
            if len(people) > 1:
                row.problem("phone_shared")
                continue
            row.user_id, row.person_name, active, email = people[0]
            row.matched_by = "phone"
            if row.email and row.email != email:
                row.note("matched_by_phone", email=email)
        elif not row.email and not row.problems:
            row.problem("no_email")
            continue
        else:
            continue
        if not active:
            row.problem("inactive")
    _check_enrolments([row for row in rows if row.user_id], cohort)


def _check_enrolments(rows: list[RosterRow], cohort: Cohort) -> None:
    if not rows:
        return
    statuses = {
        user_id: (enrollment_id, status)
        for enrollment_id, user_id, status in db.session.execute(
            select(Enrollment.id, Enrollment.user_id, Enrollment.status).where(
                Enrollment.cohort_id == cohort.id, Enrollment.user_id.in_({row.user_id for row in rows})
            )
        )
    }
    for row in rows:
        enrollment_id, status = statuses.get(row.user_id, (None, None))
        if status == "enrolled":
            row.problem("already_enrolled")
        elif status == "waitlisted":
            row.problem("already_waitlisted")
        elif status == "withdrawn":
            row.withdrawn_enrollment_id = enrollment_id


def checked_batches(cohort: Cohort, path: Path, after_row: int = 0) -> Iterator[list[RosterRow]]:
    """The file's rows in batches, each row checked against the file so far and the database.

    Batches ending at or before row ``after_row`` (imported before a resumed job stopped) are
    only remembered for the duplicate check, not matched or yielded: the same file gives the
    same batches, so a resumed import starts exactly after its last committed batch.
    """
    places = Places(cohort)
    with SeenKeys() as seen:
        rows = (parse_row(number, values, places) for number, values in read_roster(path))
        while batch := list(itertools.islice(rows, BATCH_SIZE)):
            mark_duplicates(batch, seen)
            if batch[-1].number <= after_row:
                continue
            match_people(batch, cohort)
            yield batch
