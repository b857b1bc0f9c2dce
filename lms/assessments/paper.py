"""Paper tests: answers typed in by the trainer (per item, or in a keyboard grid) and scored
exactly like an online attempt, or only the total percent. Invalid input saves nothing."""

import re
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from sqlalchemy.orm import joinedload

from lms.assessments import delivery
from lms.assessments.models import TEST_FORMS, Attempt, Response
from lms.cohorts.models import Cohort, Enrollment
from lms.core import audit
from lms.core.db import utcnow
from lms.core.errors import Conflict, NotFound, ValidationError
from lms.core.permissions import require
from lms.extensions import db

# The letters the booklet and the answer sheets print for options 1–6.
LETTERS = "АБВГҐДЕ"
# Keys a trainer may type for an option: its number or its printed (Ukrainian) letter. Latin
# letters are refused, not guessed: a Latin "B" typed for the printed "В" (option 3) would read
# as option 2 and score the sheet wrongly without a word.
KEY_POSITIONS = {str(n): n for n in range(1, 7)} | {
    letter: n for n, letter in enumerate(LETTERS[:6], start=1)
}
# What may stand between the keys of a multiple-choice item: "1,3", "А В", "1+3"; Excel turns
# "1,3" typed in a Ukrainian locale into the number 1.3.
KEY_SEPARATORS = re.compile(r"[\s,;.+/]")


def choice_ids(question, key: str) -> list[int] | None:
    """The choices of ``question`` that ``key`` names (``"2"``, ``"Б"``, ``"13"`` for a
    multiple-choice item); an empty list for an empty key, None when a key names no option."""
    keys = KEY_SEPARATORS.sub("", key or "").upper()
    choices = {c.position: c.id for c in question.current.choices}
    positions = [KEY_POSITIONS.get(k) for k in keys]
    if any(p not in choices for p in positions):
        return None
    return [choices[p] for p in positions]


def enrollment_for(enrollment_id: int, *, by) -> Enrollment:
    from lms.cohorts.lookup import ACCESS
    from lms.core.permissions import can

    enrollment = (
        db.session.scalars(
            select(Enrollment)
            .where(Enrollment.id == enrollment_id)
            .options(joinedload(Enrollment.cohort).options(*ACCESS))
        )
        .unique()
        .one_or_none()
    )
    if enrollment is None or not can(by, "cohort.view", enrollment.cohort):
        raise NotFound(_l("No such enrolment."))
    require(by, "scores.enter", enrollment.cohort)
    return enrollment


def _paper_attempt(enrollment: Enrollment, phase: str, form: str, *, by, source: str) -> Attempt:
    if enrollment.status != "enrolled":
        raise ValidationError(_l("This person is not enrolled in the training."))
    test = delivery.test_of(enrollment.cohort, phase)
    attempt = delivery.attempt_of(test, enrollment)
    if attempt is not None and attempt.source == "online":
        raise Conflict(_l("She took this test online; her online answers stand."))
    if attempt is None:
        attempt = Attempt(test_id=test.id, enrollment_id=enrollment.id, form=form, started_at=utcnow())
        db.session.add(attempt)
    attempt.source, attempt.form, attempt.entered_by_id = source, form, by.id
    return attempt


def enter_scores(enrollment: Enrollment, scores: dict, *, by, now: datetime | None = None) -> list[Attempt]:
    """Record total percents from paper (``{"pre": 55.0, "post": 85.0}``, either absent)."""
    require(by, "scores.enter", enrollment.cohort)
    problems = {}
    for phase, value in scores.items():
        if phase not in ("pre", "post"):
            problems[phase] = [_l("Only pre and post scores can be entered.")]
        elif value is None or not 0 <= float(value) <= 100:
            problems[phase] = [_l("A score is a percent between 0 and 100.")]
    if problems:
        raise ValidationError(fields=problems)
    saved = []
    for phase, value in scores.items():
        attempt = _paper_attempt(
            enrollment, phase, delivery.test_of(enrollment.cohort, phase).form, by=by, source="score_only"
        )
        db.session.flush()
        db.session.execute(delete(Response).where(Response.attempt_id == attempt.id))
        attempt.item_ids, attempt.score_percent = [], round(float(value), 1)
        attempt.submitted_at = now or utcnow()
        saved.append(attempt)
        audit.record(by, "scores.enter", enrollment, phase=phase, percent=attempt.score_percent)
    db.session.flush()
    return saved


def enter_responses(
    enrollment: Enrollment,
    phase: str,
    form: str,
    answers: dict[int, list[int]],
    *,
    by,
    now: datetime | None = None,
) -> Attempt:
    """Record a paper answer sheet: ``answers`` maps question ids to chosen choice ids. Every
    question of the form is an item; a question left out counts as unanswered."""
    require(by, "scores.enter", enrollment.cohort)
    delivery.check_phase(phase)
    if form not in TEST_FORMS:
        raise ValidationError.on("form", _l("The form is A or B."))
    questions = {q.id: q for q in delivery._questions_on_form(enrollment.cohort.course_id, form)}
    problems: dict[str, list] = {}
    for question_id, chosen in answers.items():
        question = questions.get(question_id)
        if question is None:
            problems[str(question_id)] = [_l("This question is not on form %(form)s.", form=form)]
            continue
        valid = {c.id for c in question.current.choices}
        if not set(chosen) <= valid:
            problems[str(question_id)] = [_l("Unknown answer option for this question.")]
        elif question.current.kind != "multiple" and len(set(chosen)) > 1:
            problems[str(question_id)] = [_l("This question takes one answer.")]
    if problems:
        raise ValidationError(_l("Some answers are not valid; nothing was saved."), fields=problems)
    attempt = _paper_attempt(enrollment, phase, form, by=by, source="paper")
    attempt.item_ids = list(questions)
    attempt.submitted_at = None
    db.session.flush()
    db.session.execute(delete(Response).where(Response.attempt_id == attempt.id))
    now = now or utcnow()
    for question_id, chosen in answers.items():
        db.session.add(
            Response(
                attempt_id=attempt.id,
                question_id=question_id,
                version_id=questions[question_id].current.id,
                choice_ids=sorted(set(chosen)),
                answered_at=now,
            )
        )
    db.session.flush()
    delivery.finish(attempt, now=now)
    audit.record(by, "responses.enter", enrollment, phase=phase, form=form, items=len(answers))
    return attempt


def grid_columns(cohort: Cohort, form: str) -> list:
    """The form's questions in booklet order: the grid's columns and the printed numbering."""
    return delivery._questions_on_form(cohort.course_id, form)


def enter_grid(
    cohort: Cohort, phase: str, form: str, rows: dict[int, list[str]], *, by
) -> dict[int, Attempt]:
    """A keyboard grid: per enrolment, one key per item (``1``–``4`` or ``А``–``Г``; several
    keys for a multiple-choice item; empty: unanswered). All rows are checked before any is
    saved."""
    require(by, "scores.enter", cohort)
    columns = grid_columns(cohort, form)
    enrolled = {
        e.id: e
        for e in db.session.scalars(
            select(Enrollment).where(Enrollment.cohort_id == cohort.id, Enrollment.status == "enrolled")
        )
    }
    problems: dict[str, list] = {}
    parsed: dict[int, dict[int, list[int]]] = {}
    for enrollment_id, keys in rows.items():
        if enrollment_id not in enrolled:
            problems[f"row-{enrollment_id}"] = [_l("This person is not in the training.")]
            continue
        answers = {}
        for question, key in zip(columns, keys, strict=False):
            chosen = choice_ids(question, key)
            if chosen is None:
                problems[f"{enrollment_id}-{question.id}"] = [
                    _l("Unknown answer “%(key)s”.", key=(key or "").strip())
                ]
            elif chosen:
                answers[question.id] = chosen
        parsed[enrollment_id] = answers
    if problems:
        raise ValidationError(_l("Some answers are not valid; nothing was saved."), fields=problems)
    return {
        enrollment_id: enter_responses(enrolled[enrollment_id], phase, form, answers, by=by)
        for enrollment_id, answers in parsed.items()
        if answers
    }
