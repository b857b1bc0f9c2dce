"""Running a cohort's pre/post test: opening and closing it, attempts, answers saved as they
are given, submission scored once, and the server's deadline."""

import random
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import Float, Integer, String, bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from lms.assessments import access
from lms.assessments.models import (
    DEFAULT_FORM,
    PHASES,
    TEST_FORMS,
    Attempt,
    Choice,
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
from lms.core.shell import MAX_ID
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
        select(Attempt).where(Attempt.test_id == test.id, Attempt.submitted_at.is_(None)).with_for_update()
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


def attempt_of(test: CohortTest, enrollment: Enrollment) -> Attempt | None:
    return db.session.scalars(
        select(Attempt).where(Attempt.test_id == test.id, Attempt.enrollment_id == enrollment.id)
    ).first()


def accepting(test: CohortTest, attempt: Attempt | None, now: datetime) -> bool:
    """Answers are taken while the test is open and her deadline (if any) has not passed."""
    if attempt is None:
        return _accepts(test.status, None, test.closes_at, now)
    return _accepts(test.status, attempt.submitted_at, attempt.deadline, now)


def _accepts(status: str, submitted_at: datetime | None, deadline: datetime | None, now: datetime) -> bool:
    return status == "open" and submitted_at is None and (deadline is None or now <= deadline)


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


def save_answer(
    attempt: Attempt, question_id: int, choice_ids: list[int], *, now: datetime | None = None
) -> None:
    """Keep her answer to one question (replacing an earlier one)."""
    target = _answer_target(_TARGET_BY_ATTEMPT, {"attempt_id": attempt.id, "question_id": question_id})
    if target is None:
        raise NotFound()
    save_to(target, question_id, choice_ids, now=now)


def answer_target(enrollment_id: int, phase: str, question_id: int) -> "AnswerTarget | None":
    """Her attempt at ``phase`` and the question's version she answers, in one statement."""
    return _answer_target(
        _TARGET_TO_ANSWER, {"enrollment_id": enrollment_id, "phase": phase, "question_id": question_id}
    )


@dataclass(frozen=True)
class AnswerTarget:
    """What saving one answer needs to know, read in one statement (saving an answer is the
    busiest request of a test: twenty per person in a room of hundreds)."""

    attempt_id: int
    submitted_at: datetime | None
    deadline: datetime | None
    item_ids: list
    test_status: str
    enrollment_status: str
    cohort_status: str
    start_date: date
    end_date: date
    version_id: int | None
    kind: str | None
    choice_ids: frozenset

    @property
    def usable(self) -> bool:
        """Her limited session still works: enrolled, within the training's dates."""
        return self.enrollment_status == "enrolled" and access.pass_dates_valid(
            self.cohort_status, self.start_date, self.end_date
        )


def save_to(
    target: AnswerTarget, question_id: int, choice_ids: list[int], *, now: datetime | None = None
) -> None:
    """Check her answer against what ``target`` read and keep it in one statement."""
    now = now or utcnow()
    if target.submitted_at is not None:
        raise TestUnavailable(_l("This test has been submitted; answers can no longer change."))
    if not _accepts(target.test_status, target.submitted_at, target.deadline, now):
        raise TestUnavailable(_l("Time is up: answers are no longer accepted. What you saved before counts."))
    if question_id not in (target.item_ids or []) or target.version_id is None:
        raise ValidationError.on("question_id", _l("This question is not on your test."))
    chosen = sorted(set(choice_ids))
    if not set(chosen) <= target.choice_ids:
        raise ValidationError.on("choice_ids", _l("An answer option is not part of this question."))
    if target.kind != "multiple" and len(chosen) > 1:
        raise ValidationError.on("choice_ids", _l("Choose one answer."))
    db.session.connection().execute(
        _upsert_response(),
        {
            "attempt_id": target.attempt_id,
            "question_id": question_id,
            "version_id": target.version_id,
            "choice_ids": chosen,
            "answered_at": now,
        },
    )


def _answer_target(statement, params: dict) -> AnswerTarget | None:
    if not 0 < params["question_id"] <= MAX_ID:
        params = params | {"question_id": 0}  # no such question: its version reads as none
    rows = db.session.connection().execute(statement, params).all()
    if not rows:
        return None
    first = rows[0]
    return AnswerTarget(
        *first[:-1], choice_ids=frozenset(row.choice_id for row in rows if row.choice_id is not None)
    )


def _target_statement():
    """The attempt with its test, enrolment and cohort, joined to the version she answers (that
    of her earlier answer, else the question's current one) and its choices: one row a choice.
    Built once from the tables (no ORM entities) with bound parameters; the callers add how the
    attempt is found."""
    attempts, tests, enrollments = Attempt.__table__, CohortTest.__table__, Enrollment.__table__
    cohorts, versions, questions = Cohort.__table__, QuestionVersion.__table__, Question.__table__
    responses, choices = Response.__table__, Choice.__table__
    question_id = bindparam("question_id", type_=Integer)
    earlier = (
        select(responses.c.version_id)
        .where(responses.c.attempt_id == attempts.c.id, responses.c.question_id == question_id)
        .scalar_subquery()
    )
    current = (
        select(versions.c.id)
        .select_from(versions.join(questions, questions.c.id == versions.c.question_id))
        .where(versions.c.question_id == question_id, versions.c.number == questions.c.version)
        .correlate(None)
        .scalar_subquery()
    )
    answered = versions.alias("answered")
    return select(
        attempts.c.id,
        attempts.c.submitted_at,
        attempts.c.deadline,
        attempts.c.item_ids,
        tests.c.status,
        enrollments.c.status,
        cohorts.c.status,
        cohorts.c.start_date,
        cohorts.c.end_date,
        answered.c.id,
        answered.c.kind,
        choices.c.id.label("choice_id"),
    ).select_from(
        attempts.join(tests, tests.c.id == attempts.c.test_id)
        .join(enrollments, enrollments.c.id == attempts.c.enrollment_id)
        .join(cohorts, cohorts.c.id == enrollments.c.cohort_id)
        .outerjoin(answered, answered.c.id == func.coalesce(earlier, current))
        .outerjoin(choices, choices.c.version_id == answered.c.id)
    )


# Saving and submitting take the attempt's row (PostgreSQL; SQLite runs one writer at a time):
# an answer keeps it shared until its commit, a submit exclusive before it reads the answers to
# score. So a submit waits for an answer being saved and scores it, and an answer arriving while
# another phone submits waits, then finds the attempt submitted and is refused: never kept
# unscored.
_ATTEMPTS = Attempt.__table__
_BY_PASS = (
    _ATTEMPTS.c.enrollment_id == bindparam("enrollment_id", type_=Integer),
    CohortTest.__table__.c.phase == bindparam("phase", type_=String),
)
_TARGET_TO_ANSWER = _target_statement().where(*_BY_PASS).with_for_update(read=True, of=_ATTEMPTS)
_TARGET_TO_SUBMIT = _target_statement().where(*_BY_PASS).with_for_update(of=_ATTEMPTS)
_TARGET_BY_ATTEMPT = (
    _target_statement()
    .where(_ATTEMPTS.c.id == bindparam("attempt_id", type_=Integer))
    .with_for_update(read=True, of=_ATTEMPTS)
)
_UPSERTS: dict = {}


def _upsert_response():
    """Insert her answer or replace the earlier one, built once per database dialect."""
    dialect = db.session.get_bind().dialect.name
    if dialect not in _UPSERTS:
        table = Response.__table__
        statement = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect](table).values(
            attempt_id=bindparam("attempt_id"),
            question_id=bindparam("question_id"),
            version_id=bindparam("version_id"),
            choice_ids=bindparam("choice_ids"),
            answered_at=bindparam("answered_at"),
        )
        _UPSERTS[dialect] = statement.on_conflict_do_update(
            index_elements=[table.c.attempt_id, table.c.question_id],
            set_={"choice_ids": statement.excluded.choice_ids, "answered_at": statement.excluded.answered_at},
        )
    return _UPSERTS[dialect]


def submit(attempt: Attempt, *, now: datetime | None = None) -> str:
    """Score and close her attempt once. Returns ``submitted`` (this call did it), ``already``
    (another tab or phone did) or ``late`` (her time was up: what she saved by the deadline
    is scored, and the caller tells her the submission itself came too late)."""
    db.session.execute(select(Attempt.id).where(Attempt.id == attempt.id).with_for_update())
    outcome = _submit(attempt.id, attempt.submitted_at, attempt.deadline, attempt.item_ids, now or utcnow())
    db.session.expire(attempt, ["submitted_at", "score_percent"])
    return outcome


def attempt_target(enrollment_id: int, phase: str) -> "AnswerTarget | None":
    """Her attempt at ``phase`` with what submitting it needs, in one statement (no question),
    taking its row until the submit commits."""
    return _answer_target(
        _TARGET_TO_SUBMIT, {"enrollment_id": enrollment_id, "phase": phase, "question_id": 0}
    )


def submit_target(target: "AnswerTarget", *, now: datetime | None = None) -> str:
    """``submit`` for the attempt ``attempt_target`` read (the participant's submit request)."""
    return _submit(target.attempt_id, target.submitted_at, target.deadline, target.item_ids, now or utcnow())


def _submit(attempt_id: int, submitted_at, deadline, item_ids, now: datetime) -> str:
    if submitted_at is not None:
        return "already"
    if deadline is not None and now > deadline:
        _finish(attempt_id, item_ids, deadline)
        return "late"
    return "submitted" if _finish(attempt_id, item_ids, now) else "already"


def finish(attempt: Attempt, *, now: datetime) -> bool:
    """Mark the attempt submitted and score it, only if nobody did yet."""
    claimed = _finish(attempt.id, attempt.item_ids, now)
    # The updates bypassed the ORM: the loaded attempt re-reads its state when next asked.
    db.session.expire(attempt, ["submitted_at", "score_percent"])
    return claimed


def _finish(attempt_id: int, item_ids: list, now: datetime) -> bool:
    """Score what she saved, then close the attempt with its score in one conditional update:
    it takes the row, so a second submit waits, then finds it done and writes nothing; only the
    submit that closes it writes her credits. Two statements on PostgreSQL, where closing and
    crediting are one (three elsewhere), whatever the number of items."""
    score, credits = _credits(attempt_id, item_ids)
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        claimed = connection.execute(
            _CLOSE_AND_CREDIT,
            {
                "attempt": attempt_id,
                "now": now,
                "score": score,
                "response_ids": list(credits),
                "credits": list(credits.values()),
            },
        ).scalar_one()
    else:
        claimed = connection.execute(_CLOSE, {"attempt": attempt_id, "now": now, "score": score}).rowcount
        if claimed and credits:
            connection.execute(_CREDIT, [{"response": rid, "given_credit": c} for rid, c in credits.items()])
    if claimed:
        _expire_loaded_responses(attempt_id)
    return bool(claimed)


def _credits(attempt_id: int, item_ids: list) -> tuple[float, dict[int, float]]:
    """Her percent over her items, and each response's credit against the version it answered
    (one statement: responses with their version's kind and correct choices)."""
    rows = db.session.connection().execute(_SCORED_RESPONSES, {"attempt": attempt_id})
    answered: dict[int, tuple] = {}
    for response_id, question_id, chosen, kind, correct_id in rows:
        entry = answered.setdefault(response_id, (question_id, chosen, kind, set()))
        if correct_id is not None:
            entry[3].add(correct_id)
    items = set(item_ids or [])
    credits = {
        response_id: question_credit(kind, correct, chosen)
        for response_id, (_question, chosen, kind, correct) in answered.items()
    }
    on_items = [credits[response_id] for response_id, entry in answered.items() if entry[0] in items]
    return percent(on_items, len(items)), credits


def _scoring_statements():
    """Built once from the tables with bound parameters (submitting is the second busiest
    request of a test): her responses with their correct choices; the conditional close; and,
    for PostgreSQL, the close and the credits in one statement (a data-modifying CTE whose
    credits join the row the close returned, so only the submit that closed writes them)."""
    # Parameters are not named after the updated tables' columns: Core would take such a key
    # for one more value to SET.
    attempts, responses = Attempt.__table__, Response.__table__
    versions, choices = QuestionVersion.__table__, Choice.__table__
    scored = (
        select(responses.c.id, responses.c.question_id, responses.c.choice_ids, versions.c.kind, choices.c.id)
        .select_from(
            responses.join(versions, versions.c.id == responses.c.version_id).outerjoin(
                choices, (choices.c.version_id == versions.c.id) & choices.c.correct.is_(True)
            )
        )
        .where(responses.c.attempt_id == bindparam("attempt", type_=Integer))
    )
    close = (
        update(attempts)
        .where(attempts.c.id == bindparam("attempt", type_=Integer), attempts.c.submitted_at.is_(None))
        .values(
            submitted_at=bindparam("now", type_=attempts.c.submitted_at.type),
            score_percent=bindparam("score", type_=Float),
        )
    )
    closed = close.returning(attempts.c.id).cte("closed")
    given = (
        func.unnest(
            bindparam("response_ids", type_=postgresql.ARRAY(Integer)),
            bindparam("credits", type_=postgresql.ARRAY(Float)),
        )
        .table_valued("id", "credit")
        .render_derived()
        .alias("given")
    )
    credited = (
        update(responses)
        .where(responses.c.id == given.c.id, responses.c.attempt_id == closed.c.id)
        .values(credit=given.c.credit)
        .cte("credited")
    )
    credit = (
        update(responses)
        .where(responses.c.id == bindparam("response", type_=Integer))
        .values(credit=bindparam("given_credit", type_=Float))
    )
    return scored, close, credit, select(func.count()).select_from(closed).add_cte(credited)


_SCORED_RESPONSES, _CLOSE, _CREDIT, _CLOSE_AND_CREDIT = _scoring_statements()


def _expire_loaded_responses(attempt_id: int) -> None:
    """Responses this session already holds read their new credit when next asked."""
    for instance in list(db.session.identity_map.values()):
        if isinstance(instance, Response) and instance.attempt_id == attempt_id:
            db.session.expire(instance, ["credit"])
