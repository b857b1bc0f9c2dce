"""Attendance: marking a session's register and the attendance percentages the completion rule
reads. (Self check-in by a rotating QR code is in ``checkin.py``.)"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload

from lms.accounts.models import User
from lms.cohorts.lookup import get_cohort, get_session
from lms.cohorts.models import ATTENDANCE_STATUSES, Attendance, Cohort, Enrollment, TrainingSession
from lms.core import audit
from lms.core.collation import sort_key
from lms.core.db import utcnow
from lms.core.errors import ValidationError
from lms.core.i18n import local_today
from lms.core.permissions import require
from lms.extensions import db

ATTENDED = ("present", "late")


# Ukrainian alphabetical order (Python's code-point order puts і, ї, є and ґ after я).
def cohort_for(cohort_id: int, *, by, action: str) -> Cohort:
    """The cohort, if ``by`` may see it (else NotFound) and may do ``action`` (else 403)."""
    return get_cohort(cohort_id, by=by, action=action)


def session_for(session_id: int, *, by, action: str = "attendance.mark") -> TrainingSession:
    """The session, if ``by`` may see its cohort (else NotFound) and may do ``action`` on it."""
    return get_session(session_id, by=by, action=action)


def roster(cohort: Cohort) -> list[Enrollment]:
    """Enrolled people (not waitlisted or withdrawn) in alphabetical order of surnames: the numbering the
    printed sign-in sheet and the attendance grid share."""
    enrollments = db.session.scalars(
        select(Enrollment)
        .options(joinedload(Enrollment.user).joinedload(User.institution))
        .where(Enrollment.cohort_id == cohort.id, Enrollment.status == "enrolled")
    ).all()
    return sorted(enrollments, key=lambda e: (sort_key(e.user.sort_name), e.id))


def marks_by_enrollment(session: TrainingSession) -> dict[int, Attendance]:
    """The session's attendance rows keyed by enrollment id."""
    rows = db.session.scalars(select(Attendance).where(Attendance.session_id == session.id))
    return {row.enrollment_id: row for row in rows}


def _check_markable(session: TrainingSession, statuses, now: datetime | None) -> None:
    if session.cohort.status == "cancelled":
        raise ValidationError(_l("This training is cancelled; attendance cannot be marked."))
    if any(status in ATTENDED for status in statuses) and session.date > local_today(now) + timedelta(days=1):
        raise ValidationError(
            _l(
                "This session is on %(date)s. People can be marked present or late from the day before.",
                date=session.date.isoformat(),
            )
        )


def _check_enrolled(session: TrainingSession, enrollment_ids, field_name: str) -> None:
    enrolled = {e.id for e in roster(session.cohort)}
    strangers = sorted(set(enrollment_ids) - enrolled)
    if strangers:
        raise ValidationError.on(
            field_name,
            _l(
                "Not enrolled in this training: %(ids)s.",
                ids=", ".join(str(enrollment_id) for enrollment_id in strangers),
            ),
        )


def _insert_for_dialect():
    dialect = db.session.get_bind().dialect.name
    inserts = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
    if dialect not in inserts:
        raise RuntimeError(f"Attendance upsert is not implemented for {dialect}.")
    return inserts[dialect]


def upsert_marks(rows: list[dict], *, replace_statuses=ATTENDANCE_STATUSES) -> None:
    """Insert attendance rows or update the existing ones on (session, enrollment) in one
    statement, so two trainers saving at once cannot create a second row.

    An existing row is only touched when its status or note changes (so re-saving an
    unchanged register keeps who marked it and how) and its current status is one of
    ``replace_statuses``.
    """
    if not rows:
        return
    table = Attendance.__table__
    statement = _insert_for_dialect()(table).values(rows)
    new = statement.excluded
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.session_id, table.c.enrollment_id],
        set_={name: new[name] for name in ("status", "note", "source", "marked_by_id", "marked_at")},
        where=or_(table.c.status != new.status, table.c.note != new.note)
        & table.c.status.in_(replace_statuses),
    )
    db.session.flush()
    db.session.execute(statement)
    # The statement bypassed the ORM: loaded attendance rows and lists are out of date now. Only
    # those are expired: expiring everything would reload the session and cohort in hand.
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Attendance):
            db.session.expire(obj)
        elif isinstance(obj, TrainingSession | Enrollment):
            db.session.expire(obj, ["attendance"])


def mark_attendance(
    session: TrainingSession,
    *,
    by,
    statuses: dict[int, str],
    notes: dict[int, str] | None = None,
    source: str = "trainer",
    now: datetime | None = None,
) -> dict[str, int]:
    """Record ``statuses`` ({enrollment id: present/late/absent}) for the session; people not
    named keep their current mark (or stay unmarked). Returns the counts saved."""
    require(by, "attendance.mark", session.cohort)
    if not statuses:
        raise ValidationError.on("status", _l("Choose present, late or absent for at least one person."))
    if any(status not in ATTENDANCE_STATUSES for status in statuses.values()):
        raise ValidationError.on("status", _l("Choose present, late or absent."))
    notes = {k: (v or "").strip() for k, v in (notes or {}).items()}
    notes = {k: v for k, v in notes.items() if v or k in statuses}
    too_long = [k for k, v in notes.items() if len(v) > 255]
    if too_long:
        raise ValidationError.on(f"note-{too_long[0]}", _l("At most %(n)d characters.", n=255))
    orphan_notes = [k for k in notes if k not in statuses]
    if orphan_notes:
        raise ValidationError.on(
            f"note-{orphan_notes[0]}", _l("Choose present, late or absent for a person with a note.")
        )
    _check_enrolled(session, statuses, "present")
    _check_markable(session, statuses.values(), now)
    # After closing, a changed mark can change who earned a certificate: keep before and after.
    closed = session.cohort.status == "closed"
    before = {eid: row.status for eid, row in marks_by_enrollment(session).items()} if closed else {}
    marked_at = now or utcnow()
    upsert_marks(
        [
            {
                "session_id": session.id,
                "enrollment_id": enrollment_id,
                "status": status,
                "note": notes.get(enrollment_id, ""),
                "source": source,
                "marked_by_id": by.id,
                "marked_at": marked_at,
            }
            for enrollment_id, status in sorted(statuses.items())
        ]
    )
    counts = {status: list(statuses.values()).count(status) for status in ATTENDANCE_STATUSES}
    audit.record(by, "attendance.mark", session, source=source, **counts)
    changed = sorted(eid for eid, status in statuses.items() if before.get(eid) != status)
    if closed and changed:
        audit.record(
            by,
            "attendance.change_after_close",
            session,
            cohort_id=session.cohort_id,
            before={eid: before.get(eid) for eid in changed},
            after={eid: statuses[eid] for eid in changed},
        )
    return counts


def set_session_attendance(
    session: TrainingSession,
    *,
    by,
    present: list[int],
    late: list[int] | None = None,
    notes: dict[int, str] | None = None,
    source: str = "api",
    now: datetime | None = None,
) -> dict[str, int]:
    """The whole register at once: ``present`` and ``late`` as given, everyone else enrolled
    absent. Unknown or not enrolled ids are refused by name."""
    require(by, "attendance.mark", session.cohort)
    late = list(late or [])
    _check_enrolled(session, present, "present")
    _check_enrolled(session, late, "late")
    _check_enrolled(session, list(notes or {}), "notes")
    both = sorted(set(present) & set(late))
    if both:
        raise ValidationError.on(
            "late",
            _l("Listed as both present and late: %(ids)s.", ids=", ".join(str(i) for i in both)),
        )
    statuses = {enrollment.id: "absent" for enrollment in roster(session.cohort)}
    if not statuses:
        return dict.fromkeys(ATTENDANCE_STATUSES, 0)  # nobody enrolled: an empty register
    statuses.update(dict.fromkeys(present, "present"))
    statuses.update(dict.fromkeys(late, "late"))
    return mark_attendance(session, by=by, statuses=statuses, notes=notes, source=source, now=now)


@dataclass
class AttendanceLine:
    """One enrolled person's mark for a session (``attendance`` is None while unmarked)."""

    number: int
    enrollment: Enrollment
    attendance: Attendance | None

    @property
    def status(self) -> str | None:
        return self.attendance.status if self.attendance else None


def session_register(session: TrainingSession) -> list[AttendanceLine]:
    """Every enrolled person, numbered as on the sign-in sheet, with their mark if any."""
    marks = marks_by_enrollment(session)
    return [
        AttendanceLine(number, enrollment, marks.get(enrollment.id))
        for number, enrollment in enumerate(roster(session.cohort), start=1)
    ]


def session_minutes(session: TrainingSession) -> int:
    start = datetime.combine(session.date, session.starts_at)
    end = datetime.combine(session.date, session.ends_at)
    return int((end - start).total_seconds() // 60)


def share_of_session_time(sessions: list[TrainingSession], attended_session_ids: set[int]) -> float:
    """Share of the cohort's session time attended, in percent (a half-day counts half)."""
    total = sum(session_minutes(s) for s in sessions)
    if total <= 0:
        return 0.0
    attended = sum(session_minutes(s) for s in sessions if s.id in attended_session_ids)
    return 100.0 * attended / total


def _counted_sessions(cohort_id: int) -> list[TrainingSession]:
    # A session where the trainer recorded that no register was kept does not count either way.
    return db.session.scalars(
        select(TrainingSession).where(
            TrainingSession.cohort_id == cohort_id, TrainingSession.attendance_not_taken.is_(False)
        )
    ).all()


def attendance_percent(enrollment: Enrollment) -> float:
    """Time attended (present or late) over the duration of all the cohort's sessions, in
    percent; 0 when the cohort has no sessions."""
    return attendance_percents(enrollment.cohort_id, [enrollment.id])[enrollment.id]


def attendance_percents(cohort_id: int, enrollment_ids: list[int]) -> dict[int, float]:
    """``attendance_percent`` of many enrolments of one cohort, in two queries."""
    sessions = _counted_sessions(cohort_id)
    attended: dict[int, set[int]] = {enrollment_id: set() for enrollment_id in enrollment_ids}
    for enrollment_id, session_id in db.session.execute(
        select(Attendance.enrollment_id, Attendance.session_id).where(
            Attendance.enrollment_id.in_(enrollment_ids), Attendance.status.in_(ATTENDED)
        )
    ):
        attended[enrollment_id].add(session_id)
    return {enrollment_id: share_of_session_time(sessions, ids) for enrollment_id, ids in attended.items()}


def attendance_rule_met(percent: float, minimum_percent: int) -> bool:
    """The attendance rule: at least the course's minimum share of session time, the minimum
    itself included. The completion rule and the cohort summary both ask this function."""
    return percent >= minimum_percent


def meets_attendance_rule(enrollment: Enrollment) -> bool:
    """True when the person attended at least the course's minimum share of session time."""
    return attendance_rule_met(
        attendance_percent(enrollment), enrollment.cohort.course.min_attendance_percent
    )


@dataclass
class ParticipantAttendance:
    number: int
    enrollment: Enrollment
    statuses: list[str | None]
    percent: float
    meets_rule: bool
    # Over the sessions held so far (None before the first): the early warning.
    percent_so_far: float | None = None
    below_so_far: bool = False


@dataclass
class SessionTally:
    session: TrainingSession
    enrolled: int
    present: int = 0
    late: int = 0
    absent: int = 0

    @property
    def attended(self) -> int:
        return self.present + self.late

    @property
    def marked(self) -> int:
        return self.present + self.late + self.absent


@dataclass
class CohortAttendance:
    cohort: Cohort
    sessions: list[TrainingSession]
    today: date
    participants: list[ParticipantAttendance] = field(default_factory=list)
    tallies: list[SessionTally] = field(default_factory=list)

    held: list[TrainingSession] = field(default_factory=list)

    @property
    def below_rule(self) -> int:
        """People below the rule counting only the sessions that have taken place: a training
        that has only begun does not flag everyone."""
        return sum(1 for p in self.participants if p.below_so_far)


def cohort_attendance_summary(cohort: Cohort) -> CohortAttendance:
    """Participants × sessions with each mark, every person's percent and rule, and per-session
    tallies, read with a fixed number of queries whatever the size of the cohort."""
    if "sessions" in inspect(cohort).dict:  # the cohort's page loaded them already
        sessions = list(cohort.sessions)
    else:
        sessions = db.session.scalars(
            select(TrainingSession)
            .where(TrainingSession.cohort_id == cohort.id)
            .order_by(TrainingSession.date, TrainingSession.starts_at)
        ).all()
    people = roster(cohort)
    enrolled_ids = {e.id for e in people}
    marks: dict[tuple[int, int], str] = {
        (session_id, enrollment_id): status
        for session_id, enrollment_id, status in db.session.execute(
            select(Attendance.session_id, Attendance.enrollment_id, Attendance.status)
            .join(TrainingSession, TrainingSession.id == Attendance.session_id)
            .where(TrainingSession.cohort_id == cohort.id)
        )
    }
    minimum = cohort.course.min_attendance_percent
    today = local_today()
    marked_sessions = {session_id for session_id, _enrollment_id in marks}
    # As for the completion rule (``_counted_sessions``): a session without a register counts
    # neither way.
    counted = [s for s in sessions if not s.attendance_not_taken]
    held = [s for s in counted if s.date < today or s.id in marked_sessions]
    summary = CohortAttendance(cohort, list(sessions), today, held=held)
    for number, enrollment in enumerate(people, start=1):
        statuses = [marks.get((s.id, enrollment.id)) for s in sessions]
        attended = {s.id for s, status in zip(sessions, statuses, strict=True) if status in ATTENDED}
        percent = share_of_session_time(counted, attended)
        so_far = share_of_session_time(held, attended) if held else None
        meets = attendance_rule_met(percent, minimum)
        # The same rule for the sessions held so far (asked again only when that differs).
        meets_so_far = meets if so_far is None or so_far == percent else attendance_rule_met(so_far, minimum)
        summary.participants.append(
            ParticipantAttendance(
                number,
                enrollment,
                statuses,
                percent,
                meets,
                percent_so_far=so_far,
                below_so_far=so_far is not None and not meets_so_far,
            )
        )
    for session in sessions:
        tally = SessionTally(session, enrolled=len(people))
        for (session_id, enrollment_id), status in marks.items():
            if session_id == session.id and enrollment_id in enrolled_ids:
                setattr(tally, status, getattr(tally, status) + 1)
        summary.tallies.append(tally)
    return summary
