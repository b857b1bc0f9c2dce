"""Demo data: who took part in the demo trainings.

The figures follow the BO «Від серця до серця» report: 21 specialists trained on the status of a
victim of trafficking, 23 on needs assessment and the rehabilitation plan. The running MDG
training is full with two people waiting; upcoming trainings are partly filled; the trainers
o.melnyk and v.tkachenko are graduates of the training of trainers for the MDGs. Open
trainings are filled through the enrolment service (without emails); the lists of closed ones
are written as they stood, since a closed training takes no changes.
"""

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import func, select

from lms.cohorts import enrolment
from lms.cohorts.models import Cohort, Enrollment
from lms.courses.models import Course
from lms.extensions import db
from seed.cohorts import demo_status

DEMO_PARTICIPANT = "uchasnyk@cascade.demo"


def _participants(first: int, count: int, *extra: str) -> list[str]:
    return list(extra) + [f"uchasnyk{n:03d}@cascade.demo" for n in range(first, first + count)]


# (course code, cohort status, which of them by start date, people in enrolment order)
PLAN = [
    ("PTL-STATUS", "closed", 0, _participants(1, 20, DEMO_PARTICIPANT)),
    ("PTL-NEEDS", "closed", 0, _participants(21, 23)),
    ("TOT-MDG", "closed", 0, ["o.melnyk@cascade.demo", "v.tkachenko@cascade.demo"]),
    # Capacity 20: the last two wait.
    ("PTL-MDG", "in_progress", 0, _participants(39, 21, DEMO_PARTICIPANT)),
    # The demo participant's upcoming training (her home page: one completed, one running, one ahead).
    ("PTL-MDG", "scheduled", 0, _participants(10, 9, DEMO_PARTICIPANT)),
    ("PTL-MDG", "scheduled", 1, _participants(44, 7)),
    ("SCH-DIGNITY", "scheduled", 0, _participants(25, 12)),
]


def load(people: dict) -> dict:
    """Enrol the demo participants; safe to run again. Returns the counts of what is there."""
    cohort_ids = []
    for code, status, index, emails in PLAN:
        cohort = _cohort(code, status, index)
        if cohort is None:
            continue
        cohort_ids.append(cohort.id)
        members = [people[email] for email in emails if email in people]
        if status in ("closed", "cancelled"):
            _write_list(cohort, members)
        else:
            _enrol(cohort, members)
    if not cohort_ids:
        return {}
    counts = dict(
        db.session.execute(
            select(Enrollment.status, func.count())
            .where(Enrollment.cohort_id.in_(cohort_ids))
            .group_by(Enrollment.status)
        ).all()
    )
    return {"enrollments": sum(counts.values()), "waitlisted": counts.get("waitlisted", 0)}


def _cohort(code: str, status: str, index: int) -> Cohort | None:
    query = (
        select(Cohort)
        .join(Course, Cohort.course_id == Course.id)
        .where(Course.code == code)
        .order_by(Cohort.start_date, Cohort.id)
    )
    cohorts = [cohort for cohort in db.session.scalars(query) if demo_status(cohort) == status]
    return cohorts[index] if index < len(cohorts) else None


def _already_in(cohort: Cohort) -> set[int]:
    return set(db.session.scalars(select(Enrollment.user_id).where(Enrollment.cohort_id == cohort.id)))


def _enrol(cohort: Cohort, members: list) -> None:
    present = _already_in(cohort)
    for person in members:
        if person.id not in present:
            enrolment.enrol(cohort, by=cohort.lead_trainer, user_id=person.id, send_invitation=False)


def _write_list(cohort: Cohort, members: list) -> None:
    present = _already_in(cohort)
    # Lists of past trainings were gathered two weeks before the first day.
    enrolled_at = datetime.combine(cohort.start_date - timedelta(days=14), time(10), tzinfo=UTC)
    for person in members:
        if person.id not in present:
            db.session.add(
                Enrollment(
                    cohort_id=cohort.id,
                    user_id=person.id,
                    status="enrolled",
                    enrolled_by_id=cohort.lead_trainer_id,
                    created_at=enrolled_at,
                    updated_at=enrolled_at,
                )
            )
    db.session.flush()
