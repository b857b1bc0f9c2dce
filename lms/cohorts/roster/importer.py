"""Previewing and importing a roster: what the file would do, then doing it in batches."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lms.accounts.models import User, UserRole
from lms.accounts.onboarding import queue_welcome
from lms.cohorts.calendar import cohort_ics
from lms.cohorts.enrolment import (
    check_open_for_enrolment,
    enrollment_counts,
    fill_from_waitlist,
    lock_seats,
    queue_invitation,
)
from lms.cohorts.hooks import extra_invitation_lines
from lms.cohorts.models import Cohort, Enrollment
from lms.cohorts.roster.checks import RosterRow, checked_batches
from lms.core import audit
from lms.core.db import utcnow
from lms.core.errors import Conflict, ValidationError
from lms.core.permissions import require
from lms.extensions import db
from lms.org.translit import transliterate

SHOWN = 200


@dataclass
class RosterPreview:
    """What importing the file would do; the first ``SHOWN`` problem and ready rows for display."""

    rows: int = 0
    ready: int = 0
    problems: int = 0
    matched_by_email: int = 0
    matched_by_phone: int = 0
    new_people: int = 0
    notes: int = 0
    free_seats: int = 0
    problem_rows: list = field(default_factory=list)
    ready_rows: list = field(default_factory=list)

    def add(self, row: RosterRow) -> None:
        self.rows += 1
        self.notes += bool(row.notes)
        if row.problems:
            self.problems += 1
            if len(self.problem_rows) < SHOWN:
                self.problem_rows.append(row.summary())
            return
        self.ready += 1
        self.matched_by_email += row.matched_by == "email"
        self.matched_by_phone += row.matched_by == "phone"
        self.new_people += row.user_id is None
        if len(self.ready_rows) < SHOWN:
            self.ready_rows.append(row.summary())

    @property
    def will_enrol(self) -> int:
        return min(self.ready, self.free_seats)

    @property
    def will_waitlist(self) -> int:
        return self.ready - self.will_enrol

    def to_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


class RosterHasProblems(ValidationError):
    """Some rows have problems and the caller did not ask to skip them: nothing was imported."""

    def __init__(self, preview: RosterPreview):
        self.preview = preview
        super().__init__(
            _l(
                "%(n)d rows have problems, so nothing was imported. Fix the file, or skip those rows.",
                n=preview.problems,
            ),
            fields={"file": [_l("Some rows have problems.")]},
        )


def preview_roster(cohort: Cohort, path: Path, progress: Callable[..., None] | None = None) -> RosterPreview:
    """Check the whole file without changing anything; ``progress(rows checked)`` per batch."""
    preview = RosterPreview(free_seats=_free_seats(cohort))
    for batch in checked_batches(cohort, path):
        for row in batch:
            preview.add(row)
        if progress is not None:
            progress(batch[-1].number)
    return preview


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    matched: int = 0
    enrolled: int = 0
    waitlisted: int = 0
    skipped: int = 0
    notes: int = 0
    skipped_rows: list = field(default_factory=list)
    noted_rows: list = field(default_factory=list)

    def skip(self, row: RosterRow) -> None:
        self.skipped += 1
        if len(self.skipped_rows) < SHOWN:
            self.skipped_rows.append(row.summary())

    def to_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def import_roster(
    cohort: Cohort,
    path: Path,
    *,
    by,
    skip_invalid: bool = False,
    send_invitations: bool = True,
    progress: Callable[..., None] | None = None,
    checkpoint: dict | None = None,
) -> dict:
    """Create the new people and enrol everyone ready (the waitlist takes the overflow).

    Without ``skip_invalid`` the file is checked first and any row with a problem stops the
    whole import (RosterHasProblems, nothing changed). ``progress(rows done, checkpoint)`` is
    called after each batch and commits it; given that ``checkpoint`` back, a resumed import
    continues after the last committed batch with the counts so far, so the rows it imported
    before count as imported, not as "already enrolled".
    """
    require(by, "enrollment.manage", cohort)
    check_open_for_enrolment(cohort)
    if not skip_invalid:
        preview = preview_roster(cohort, path)
        if preview.problems:
            raise RosterHasProblems(preview)
    fill_from_waitlist(cohort, by=by, send_invitation=send_invitations)
    ics = cohort_ics(cohort) if send_invitations else None
    report = ImportReport(**checkpoint["report"]) if checkpoint else ImportReport()
    after_row = checkpoint["last_row"] if checkpoint else 0
    for batch in checked_batches(cohort, path, after_row=after_row):
        report.rows += len(batch)
        for row in batch:
            if row.problems:
                report.skip(row)
            elif row.notes:
                report.notes += 1
                if len(report.noted_rows) < SHOWN:
                    report.noted_rows.append(row.summary())
        ready = [row for row in batch if not row.problems]
        _create_people(cohort, [row for row in ready if row.user_id is None], by=by, report=report)
        _enrol_rows(cohort, ready, by=by, report=report, ics=ics)
        if progress is not None:
            progress(report.rows, {"last_row": batch[-1].number, "report": report.to_dict()})
    result = report.to_dict()
    audit.record(
        by, "enrollment.roster_import", cohort, **{k: v for k, v in result.items() if isinstance(v, int)}
    )
    db.session.expire(cohort, ["enrollments"])
    return result


def _free_seats(cohort: Cohort) -> int:
    """Seats left for newcomers once the people already waiting have moved up."""
    counts = enrollment_counts(cohort)
    return max(counts["free"] - counts["waitlisted"], 0)


def _create_people(cohort: Cohort, rows: list[RosterRow], *, by, report: ImportReport) -> None:
    people = []
    for row in rows:
        user = User(
            email=row.email,
            full_name=row.full_name,
            surname=row.surname,
            full_name_latin=transliterate(row.full_name),
            phone=row.phone,
            position=row.position,
            institution_id=row.institution_id,
            locale="uk",
            # The role row directly: ``set_roles`` compares with roles a new person has not got.
            role_rows=[UserRole(role="participant")],
        )
        people.append(user)
    _flush_all(people)
    for row, user in zip(rows, people, strict=True):
        row.user_id = user.id
        audit.record(
            by, "enrollment.create_person", user, cohort_id=cohort.id, source="roster", row=row.number
        )
    report.created += len(people)


def _enrol_rows(
    cohort: Cohort, rows: list[RosterRow], *, by, report: ImportReport, ics: bytes | None
) -> None:
    if not rows:
        return
    lock_seats(cohort)
    free = _free_seats(cohort)
    reused = [row.withdrawn_enrollment_id for row in rows if row.withdrawn_enrollment_id]
    withdrawn = {e.id: e for e in db.session.scalars(select(Enrollment).where(Enrollment.id.in_(reused)))}
    people = _people_to_invite(rows) if ics is not None else {}
    enrollments = []
    for row in rows:
        enrollment = withdrawn.get(row.withdrawn_enrollment_id) or Enrollment(
            cohort_id=cohort.id, user_id=row.user_id
        )
        enrollment.status = "enrolled" if free > 0 else "waitlisted"
        enrollment.waitlisted_at = None if free > 0 else utcnow()
        enrollment.withdrawn_at = None
        enrollment.enrolled_by_id = by.id
        free -= 1
        enrollments.append(enrollment)
    _flush_all(enrollments)
    invited = [e for e in enrollments if e.status == "enrolled"] if ics is not None else []
    extras = extra_invitation_lines(cohort, invited)
    for row, enrollment in zip(rows, enrollments, strict=True):
        report.matched += row.matched_by is not None
        report.enrolled += enrollment.status == "enrolled"
        report.waitlisted += enrollment.status == "waitlisted"
        action = "enrollment.enrol" if enrollment.status == "enrolled" else "enrollment.waitlist"
        audit.record(by, action, enrollment, user_id=row.user_id, source="roster", row=row.number)
        if ics is not None and enrollment.status == "enrolled":
            enrollment.user = people[row.user_id]
            queue_invitation(enrollment, ics=ics, extras=extras)
        elif ics is not None and row.matched_by is None:
            # A new account on the waitlist: the welcome tells her how to get in meanwhile.
            queue_welcome(people[row.user_id], by=by)
    db.session.expire(cohort, ["enrollments"])


def _people_to_invite(rows: list[RosterRow]) -> dict[int, User]:
    """The batch's people in one query, rather than one query per invitation."""
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_([r.user_id for r in rows])))}


def _flush_all(objects: Iterable) -> None:
    try:
        with db.session.begin_nested():
            db.session.add_all(objects)
            db.session.flush()
    except IntegrityError:
        raise Conflict(
            _l("Someone changed these people or this training during the import. Import the file again.")
        ) from None
