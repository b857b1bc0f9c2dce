"""What a person sees about herself: each training she is in with its status, her attendance,
her pre/post results once released, her certificate, and the tests she can take now.

The home page and ``GET /api/v1/me/trainings`` both read ``my_trainings``: they show the same.

Results follow the assessments rule (``lms.assessments.personal``): a phase's score is shown
only when she submitted it and the trainer has released that test's results
(``CohortTest.results_released``); until then it is None.

The statements do not grow with her trainings: one for the page of enrolments (with course,
district and region joined), then one each for sessions, attendance, tests, attempts and
certificates of all of them.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from lms.assessments import access
from lms.assessments.delivery import accepting
from lms.assessments.models import PHASES, Attempt, CohortTest
from lms.certificates.models import Certificate
from lms.cohorts.attendance import ATTENDED, share_of_session_time
from lms.cohorts.models import Attendance, Cohort, Enrollment, TrainingSession
from lms.core.db import utcnow
from lms.core.i18n import local_today
from lms.extensions import db
from lms.org.models import District

# The status she reads for one training (see ``training_status``).
TRAINING_STATUSES = ("upcoming", "in_progress", "completed", "cancelled", "waitlisted", "withdrawn")
PER_PAGE = 20
MAX_PER_PAGE = 500


@dataclass
class TestToTake:
    phase: str
    test: CohortTest
    started: bool


@dataclass
class MyTraining:
    enrollment: Enrollment
    status: str
    attendance_percent: float | None
    pre: float | None
    post: float | None
    released: dict[str, bool] = field(default_factory=dict)
    certificate: Certificate | None = None
    tests_to_take: list[TestToTake] = field(default_factory=list)

    @property
    def cohort(self) -> Cohort:
        return self.enrollment.cohort

    @property
    def results_released(self) -> bool:
        """At least one of her phases' results is released (each phase on its own)."""
        return any(self.released.values())


@dataclass
class MyTrainingsPage:
    items: list[MyTraining]
    pagination: object  # Flask-SQLAlchemy's page of enrolments (total, pages, links)

    @property
    def total(self) -> int:
        return self.pagination.total

    @property
    def tests_to_take(self) -> list[tuple[MyTraining, TestToTake]]:
        return [(t, test) for t in self.items for test in t.tests_to_take]


def training_status(enrollment: Enrollment, today: date) -> str:
    """Withdrawn or waitlisted as her enrolment says; else the training's own state: cancelled,
    completed (closed), upcoming (draft, or scheduled before its first day), in progress."""
    if enrollment.status in ("withdrawn", "waitlisted"):
        return enrollment.status
    cohort = enrollment.cohort
    if cohort.status == "cancelled":
        return "cancelled"
    if cohort.status == "closed":
        return "completed"
    if cohort.status == "draft" or today < cohort.start_date:
        return "upcoming"
    return "in_progress"


def enrollments_query(user):
    """Her enrolments, newest training first, with what a row shows joined in."""
    return (
        select(Enrollment)
        .join(Enrollment.cohort)
        .options(
            joinedload(Enrollment.cohort).joinedload(Cohort.course),
            joinedload(Enrollment.cohort).joinedload(Cohort.district).joinedload(District.region),
        )
        .where(Enrollment.user_id == user.id)
        .order_by(Cohort.start_date.desc(), Enrollment.id.desc())
    )


def my_trainings(
    user, *, page: int = 1, per_page: int = PER_PAGE, today: date | None = None, now: datetime | None = None
) -> MyTrainingsPage:
    """One page of her trainings with everything a row shows."""
    today = today or local_today(now)
    now = now or utcnow()
    pagination = db.paginate(
        enrollments_query(user), page=page, per_page=per_page, max_per_page=MAX_PER_PAGE, error_out=False
    )
    return MyTrainingsPage(_details(list(pagination.items), today, now), pagination)


def _details(enrollments: list[Enrollment], today: date, now: datetime) -> list[MyTraining]:
    if not enrollments:
        return []
    ids = [e.id for e in enrollments]
    cohort_ids = [e.cohort_id for e in enrollments]
    sessions: dict[int, list[TrainingSession]] = {}
    for s in db.session.scalars(
        select(TrainingSession).where(
            TrainingSession.cohort_id.in_(cohort_ids), TrainingSession.attendance_not_taken.is_(False)
        )
    ):
        sessions.setdefault(s.cohort_id, []).append(s)
    attended: dict[int, set[int]] = {}
    for enrollment_id, session_id in db.session.execute(
        select(Attendance.enrollment_id, Attendance.session_id).where(
            Attendance.enrollment_id.in_(ids), Attendance.status.in_(ATTENDED)
        )
    ):
        attended.setdefault(enrollment_id, set()).add(session_id)
    tests: dict[int, dict[str, CohortTest]] = {}
    for test in db.session.scalars(select(CohortTest).where(CohortTest.cohort_id.in_(cohort_ids))):
        tests.setdefault(test.cohort_id, {})[test.phase] = test
    attempts = {
        (a.enrollment_id, a.test_id): a
        for a in db.session.scalars(select(Attempt).where(Attempt.enrollment_id.in_(ids)))
    }
    certificates: dict[int, Certificate] = {}
    for certificate in db.session.scalars(
        select(Certificate)
        .where(Certificate.enrollment_id.in_(ids), Certificate.status != "superseded")
        .order_by(Certificate.id)
    ):
        # The valid one when there is one, else the latest (revoked).
        current = certificates.get(certificate.enrollment_id)
        if current is None or current.status != "valid":
            certificates[certificate.enrollment_id] = certificate
    rows = []
    for enrollment in enrollments:
        status = training_status(enrollment, today)
        row = MyTraining(
            enrollment=enrollment,
            status=status,
            attendance_percent=(
                round(
                    share_of_session_time(
                        sessions.get(enrollment.cohort_id, []), attended.get(enrollment.id, set())
                    ),
                    1,
                )
                if status not in ("waitlisted",)
                else None
            ),
            pre=None,
            post=None,
            certificate=certificates.get(enrollment.id),
        )
        for phase in PHASES:
            test = tests.get(enrollment.cohort_id, {}).get(phase)
            attempt = attempts.get((enrollment.id, test.id)) if test is not None else None
            submitted = attempt is not None and attempt.submitted_at is not None
            row.released[phase] = bool(test is not None and test.results_released and submitted)
            if row.released[phase]:
                setattr(row, phase, attempt.score_percent)
            if (
                test is not None
                and not submitted
                and enrollment.status == "enrolled"
                and access.is_valid_for_dates(enrollment.cohort, now)
                and accepting(test, attempt, now)
            ):
                row.tests_to_take.append(TestToTake(phase, test, attempt is not None))
        rows.append(row)
    return rows
