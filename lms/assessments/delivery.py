"""Running a cohort's pre/post test: opening and closing it, attempts, answers saved as they
are given, submission scored once, and the server's deadline."""

import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from lms.assessments.models import (
    DEFAULT_FORM,
    PHASES,
    TEST_FORMS,
    Attempt,
    CohortTest,
    Question,
    QuestionVersion,
    Response,
)
from lms.assessments.scoring import percent, question_credit
from lms.cohorts.models import Cohort, Enrollment
from lms.core import audit
from lms.core.db import utcnow
from lms.core.errors import Conflict, DomainError, NotFound, ValidationError
from lms.core.permissions import require
from lms.extensions import db

ROOM_CODE_LENGTH = 6


class TestUnavailable(DomainError):
    """The test is not open, or her time is up: a message she can act on."""

    status = 409
    code = "test_unavailable"


def check_phase(phase: str) -> str:
    if phase not in PHASES:
        raise NotFound(_l("There is no such test phase."))
    return phase


def test_of(cohort: Cohort, phase: str, *, create: bool = True) -> CohortTest | None:
    """The cohort's test for ``phase``; made (not open, default form) when first asked for."""
    check_phase(phase)
    test = db.session.scalars(
        select(CohortTest).where(CohortTest.cohort_id == cohort.id, CohortTest.phase == phase)
    ).first()
    if test is None and create:
        test = CohortTest(
            cohort_id=cohort.id,
            phase=phase,
            form=DEFAULT_FORM[phase],
            room_code=secrets.token_urlsafe(6)[:ROOM_CODE_LENGTH],
        )
        db.session.add(test)
        db.session.flush()
    return test


@dataclass
class TestOverview:
    phase: str
    test: CohortTest | None
    enrolled: int
    started: int
    submitted: int

    @property
    def status(self) -> str:
        return self.test.status if self.test else "not_open"


def tests_overview(cohort: Cohort) -> list[TestOverview]:
    """Both phases with how many are enrolled, started and submitted (three queries)."""
    tests = {
        t.phase: t for t in db.session.scalars(select(CohortTest).where(CohortTest.cohort_id == cohort.id))
    }
    enrolled = db.session.scalar(
        select(func.count(Enrollment.id)).where(
            Enrollment.cohort_id == cohort.id, Enrollment.status == "enrolled"
        )
    )
    counts = {
        phase: (started, submitted)
        for phase, started, submitted in db.session.execute(
            select(CohortTest.phase, func.count(Attempt.id), func.count(Attempt.submitted_at))
            .join(Attempt, Attempt.test_id == CohortTest.id)
            .where(CohortTest.cohort_id == cohort.id)
            .group_by(CohortTest.phase)
        )
    }
    return [
        TestOverview(phase, tests.get(phase), enrolled or 0, *counts.get(phase, (0, 0))) for phase in PHASES
    ]


def open_test(
    cohort: Cohort,
    phase: str,
    *,
    by,
    time_limit_minutes: int | None = None,
    form: str | None = None,
    now: datetime | None = None,
) -> CohortTest:
    """Open the phase's test in the room; with a time limit it closes by itself at the end."""
    require(by, "test.manage", cohort)
    if cohort.status in ("cancelled", "draft"):
        raise ValidationError(_l("Tests open only for scheduled and running trainings."))
    if time_limit_minutes is not None and not 1 <= time_limit_minutes <= 600:
        raise ValidationError.on("time_limit_minutes", _l("The time limit is between 1 and 600 minutes."))
    if form is not None and form not in TEST_FORMS:
        raise ValidationError.on("form", _l("The form is A or B."))
    test = test_of(cohort, phase)
    if test.status == "open":
        raise Conflict(_l("This test is already open."))
    form = form or test.form
    if not _questions_on_form(cohort.course_id, form):
        raise ValidationError(_l("The course's question bank has no questions on form %(form)s.", form=form))
    now = now or utcnow()
    test.status, test.form = "open", form
    test.opened_at, test.closed_at = now, None
    test.time_limit_minutes = time_limit_minutes
    test.closes_at = now + timedelta(minutes=time_limit_minutes) if time_limit_minutes else None
    audit.record(by, "test.open", test, phase=phase, form=form, time_limit_minutes=time_limit_minutes)
    return test


def close_test(cohort: Cohort, phase: str, *, by, now: datetime | None = None) -> CohortTest:
    """Close the test; attempts not yet submitted are scored on what was saved."""
    require(by, "test.manage", cohort)
    test = test_of(cohort, phase)
    if test.status != "open":
        raise Conflict(_l("This test is not open."))
    now = now or utcnow()
    test.status, test.closed_at = "closed", now
    for attempt in db.session.scalars(
        select(Attempt).where(Attempt.test_id == test.id, Attempt.submitted_at.is_(None))
    ):
        finish(attempt, now=now)
    audit.record(by, "test.close", test, phase=phase)
    return test


def _questions_on_form(course_id: int, form: str) -> list[Question]:
    return list(
        db.session.scalars(
            select(Question)
            .options(selectinload(Question.versions).selectinload(QuestionVersion.choices))
            .where(
                Question.course_id == course_id,
                Question.active.is_(True),
                Question.form.in_((form, "both")),
            )
            .order_by(Question.position, Question.id)
        )
    )


def start_attempt(test: CohortTest, enrollment: Enrollment, *, now: datetime | None = None) -> Attempt:
    """Her attempt at the test: the one she started before (so reopening resumes), or a new one
    if the test is open. Two tabs starting at once get the same attempt (unique in the DB)."""
    existing = attempt_of(test, enrollment)
    if existing is not None:
        return existing
    now = now or utcnow()
    if enrollment.status != "enrolled":
        raise TestUnavailable(_l("You are not enrolled in this training."))
    if not accepting(test, None, now):
        raise TestUnavailable(_l("This test is not open. Please wait for the trainer to open it."))
    seed = secrets.randbelow(2**31)
    items = [q.id for q in _questions_on_form(test.cohort.course_id, test.form)]
    random.Random(seed).shuffle(items)  # nosec B311 - the order of items, not a secret
    attempt = Attempt(
        test_id=test.id,
        enrollment_id=enrollment.id,
        source="online",
        form=test.form,
        shuffle_seed=seed,
        item_ids=items,
        started_at=now,
        deadline=test.closes_at,
    )
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
    except IntegrityError:
        return attempt_of(test, enrollment)
    return attempt


def attempt_for_phase(enrollment_id: int, phase: str) -> Attempt | None:
    """Her attempt at a phase with its test, enrolment and cohort, in one query."""
    return db.session.scalars(
        select(Attempt)
        .join(Attempt.test)
        .join(Attempt.enrollment)
        .join(Enrollment.cohort)
        .options(
            contains_eager(Attempt.test), contains_eager(Attempt.enrollment).contains_eager(Enrollment.cohort)
        )
        .where(Attempt.enrollment_id == enrollment_id, CohortTest.phase == phase)
    ).first()


def attempt_of(test: CohortTest, enrollment: Enrollment) -> Attempt | None:
    return db.session.scalars(
        select(Attempt).where(Attempt.test_id == test.id, Attempt.enrollment_id == enrollment.id)
    ).first()


def accepting(test: CohortTest, attempt: Attempt | None, now: datetime) -> bool:
    """Answers are taken while the test is open and her deadline (if any) has not passed."""
    if test.status != "open" or (attempt is not None and attempt.submitted_at is not None):
        return False
    deadline = attempt.deadline if attempt is not None else test.closes_at
    return deadline is None or now <= deadline


@dataclass
class Item:
    number: int
    question_id: int
    version: QuestionVersion
    choice_order: list  # Choice objects in her order


def items_of(attempt: Attempt) -> list[Item]:
    """Her questions and their choices in her order (fixed by the attempt's seed)."""
    questions = {
        q.id: q
        for q in db.session.scalars(
            select(Question)
            .options(selectinload(Question.versions).selectinload(QuestionVersion.choices))
            .where(Question.id.in_(attempt.item_ids or [-1]))
        )
    }
    answered = {r.question_id: r for r in _responses(attempt)}
    items = []
    for number, question_id in enumerate(attempt.item_ids, start=1):
        question = questions[question_id]
        response = answered.get(question_id)
        version = (
            next(v for v in question.versions if v.id == response.version_id)
            if response
            else question.current
        )
        choices = list(version.choices)
        random.Random(attempt.shuffle_seed * 7919 + question_id).shuffle(choices)  # nosec B311 - the order of choices, not a secret
        items.append(Item(number, question_id, version, choices))
    return items


def saved_answers(attempt: Attempt) -> dict[int, set[int]]:
    """Question id → the choice ids she saved (to show them again when she resumes)."""
    return {r.question_id: set(r.choice_ids) for r in _responses(attempt)}


def _responses(attempt: Attempt) -> list[Response]:
    return list(db.session.scalars(select(Response).where(Response.attempt_id == attempt.id)))


def _insert():
    dialect = db.session.get_bind().dialect.name
    return {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]


def save_answer(
    attempt: Attempt, question_id: int, choice_ids: list[int], *, now: datetime | None = None
) -> None:
    """Keep her answer to one question (replacing an earlier one) in one statement."""
    now = now or utcnow()
    if attempt.submitted_at is not None:
        raise TestUnavailable(_l("This test has been submitted; answers can no longer change."))
    if not accepting(attempt.test, attempt, now):
        raise TestUnavailable(_l("Time is up: answers are no longer accepted. What you saved before counts."))
    if question_id not in (attempt.item_ids or []):
        raise ValidationError.on("question_id", _l("This question is not on your test."))
    version = _version_for(attempt, question_id)
    valid = {c.id for c in version.choices}
    chosen = sorted(set(choice_ids))
    if not set(chosen) <= valid:
        raise ValidationError.on("choice_ids", _l("An answer option is not part of this question."))
    if version.kind != "multiple" and len(chosen) > 1:
        raise ValidationError.on("choice_ids", _l("Choose one answer."))
    table = Response.__table__
    statement = _insert()(table).values(
        attempt_id=attempt.id,
        question_id=question_id,
        version_id=version.id,
        choice_ids=chosen,
        answered_at=now,
    )
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.attempt_id, table.c.question_id],
        set_={"choice_ids": statement.excluded.choice_ids, "answered_at": statement.excluded.answered_at},
    )
    db.session.execute(statement)


def _version_for(attempt: Attempt, question_id: int) -> QuestionVersion:
    """The version she answers: the one of her earlier answer, else the question's current one
    (one query, with its choices: saving an answer is the busiest request of a test)."""
    earlier = (
        select(Response.version_id)
        .where(Response.attempt_id == attempt.id, Response.question_id == question_id)
        .scalar_subquery()
    )
    current = (
        select(QuestionVersion.id)
        .join(Question, Question.id == QuestionVersion.question_id)
        .where(QuestionVersion.question_id == question_id, QuestionVersion.number == Question.version)
        .scalar_subquery()
    )
    return (
        db.session.scalars(
            select(QuestionVersion)
            .options(joinedload(QuestionVersion.choices))
            .where(QuestionVersion.id == func.coalesce(earlier, current))
        )
        .unique()
        .one()
    )


def submit(attempt: Attempt, *, now: datetime | None = None) -> str:
    """Score and close her attempt once. Returns ``submitted`` (this call did it), ``already``
    (another tab or phone did) or ``late`` (her time was up: what she saved by the deadline
    is scored, and the caller tells her the submission itself came too late)."""
    now = now or utcnow()
    if attempt.submitted_at is not None:
        return "already"
    if attempt.deadline is not None and now > attempt.deadline:
        finish(attempt, now=attempt.deadline)
        outcome = "late"
    else:
        outcome = "submitted" if finish(attempt, now=now) else "already"
    return outcome


def finish(attempt: Attempt, *, now: datetime) -> bool:
    """Mark the attempt submitted and score it, only if nobody did yet: the conditional update
    takes the row, so a second submit waits and then finds it done."""
    claimed = db.session.execute(
        update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.submitted_at.is_(None))
        .values(submitted_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed:
        score_attempt(attempt)
    # The updates bypassed the ORM: the loaded attempt re-reads its state when next asked.
    db.session.expire(attempt, ["submitted_at", "score_percent"])
    return bool(claimed)


def score_attempt(attempt: Attempt) -> float:
    """Credit every response against the version it answered; the percent over her items."""
    responses = db.session.scalars(
        select(Response)
        .options(selectinload(Response.version).selectinload(QuestionVersion.choices))
        .where(Response.attempt_id == attempt.id)
    ).all()
    items = set(attempt.item_ids or [])
    credits = []
    for response in responses:
        response.credit = question_credit(
            response.version.kind, response.version.correct_ids, response.choice_ids
        )
        if response.question_id in items:
            credits.append(response.credit)
    score = percent(credits, len(items))
    db.session.execute(
        update(Attempt)
        .where(Attempt.id == attempt.id)
        .values(score_percent=score)
        .execution_options(synchronize_session=False)
    )
    return score
