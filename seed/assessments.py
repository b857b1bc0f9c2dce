"""Demo data: question banks, pre/post results of closed trainings and an open post-test in the
running one.

Each person has an ability; the chance of answering an item right grows with it (logistic).
The training adds a gain that varies by person (a spread of gains, a few who learn little). In
each closed training one person took only the pre-test; two PTL-STATUS items are answered at
random, so item analysis flags them. The first closed training was tested on paper.
"""

import math
import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select

from lms.assessments import bank, delivery
from lms.assessments.models import Attempt, CohortTest, Question, Response
from lms.cohorts.attendance import roster
from lms.cohorts.models import Cohort
from lms.core.db import utcnow
from lms.courses.models import Course
from lms.extensions import db
from seed.assessment_questions import BAD_ITEMS, BANKS
from seed.cohorts import demo_status

ADMIN = "admin@cascade.demo"
DEMO_PARTICIPANT = "uchasnyk@cascade.demo"


def _load_banks(admin) -> None:
    for course in db.session.scalars(select(Course).where(Course.code.in_(BANKS))):
        if db.session.scalar(select(func.count(Question.id)).where(Question.course_id == course.id)):
            continue
        for topic, form, kind, text, options in BANKS[course.code] + BAD_ITEMS.get(course.code, []):
            bank.create_question(
                course,
                {
                    "kind": kind,
                    "text": text,
                    "topic": topic,
                    "form": form,
                    "choices": [{"text": option, "correct": correct} for option, correct in options],
                },
                by=admin,
            )


def _at(day, hour: int) -> datetime:
    return datetime.combine(
        day, datetime.min.time(), tzinfo=ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    ) + timedelta(hours=hour)


def _answer(question: Question, ability: float, rng: random.Random, bad: set[str]) -> list[int]:
    """Choices a person of ``ability`` gives: right with a logistic chance, else a wrong one."""
    version = question.current
    chance = 0.5 if version.text in bad else 1 / (1 + math.exp(-(ability - question.position % 3 * 0.4)))
    right = [c.id for c in version.choices if c.correct]
    wrong = [c.id for c in version.choices if not c.correct]
    if rng.random() < chance:
        return right if version.kind == "multiple" else right[:1]
    if version.kind == "multiple" and rng.random() < 0.5:
        return right[:1] + wrong[:1]  # half right: partial credit
    return [rng.choice(wrong)]


def _record(
    test: CohortTest, enrollment, ability, rng, bad, *, source: str, when: datetime, submit=True
) -> None:
    questions = delivery._questions_on_form(test.cohort.course_id, test.form)
    order = [q.id for q in questions]
    if source == "online":
        rng.shuffle(order)
    attempt = Attempt(
        test_id=test.id,
        enrollment_id=enrollment.id,
        source=source,
        form=test.form,
        shuffle_seed=rng.randrange(2**31),
        item_ids=order,
        started_at=when,
        deadline=test.closes_at,
        entered_by_id=test.cohort.lead_trainer_id if source == "paper" else None,
    )
    db.session.add(attempt)
    db.session.flush()
    by_id = {q.id: q for q in questions}
    answered = order if submit else order[: len(order) // 2]
    for number, question_id in enumerate(answered):
        db.session.add(
            Response(
                attempt_id=attempt.id,
                question_id=question_id,
                version_id=by_id[question_id].current.id,
                choice_ids=_answer(by_id[question_id], ability, rng, bad),
                answered_at=when + timedelta(seconds=40 * (number + 1)),
            )
        )
    db.session.flush()
    if submit:
        delivery.finish(attempt, now=when + timedelta(minutes=15))


def _test(cohort: Cohort, phase: str, status: str, opened: datetime, *, released: bool) -> CohortTest:
    test = delivery.test_of(cohort, phase)
    test.status, test.opened_at = status, opened
    test.closed_at = opened + timedelta(minutes=25) if status == "closed" else None
    test.results_released = released
    return test


def _results_for(cohort: Cohort, index: int) -> None:
    rng = random.Random(  # nosec B311
        f"assessments-{cohort.course.code}-{cohort.start_date}"
    )  # reproducible demo, not security
    bad = {text for _t, _f, _k, text, _o in BAD_ITEMS.get(cohort.course.code, [])}
    people = roster(cohort)
    if not people:
        return
    closed = demo_status(cohort) == "closed"
    source = "paper" if closed and index == 0 else "online"
    pre = _test(cohort, "pre", "closed", _at(cohort.start_date, 9), released=closed)
    abilities = {e.id: rng.gauss(0.2, 0.8) for e in people}
    # The demo participant: passes a finished training, and still has the running one's
    # post-test to take (her home page shows both).
    demo = next((e.id for e in people if e.user.email == DEMO_PARTICIPANT), None)
    if demo is not None:
        abilities[demo] = max(abilities[demo], 0.9)
    for enrollment in people:
        _record(
            pre, enrollment, abilities[enrollment.id], rng, bad, source=source, when=_at(cohort.start_date, 9)
        )
    if closed:
        post = _test(cohort, "post", "closed", _at(cohort.end_date, 16), released=True)
        tot = cohort.course.is_tot  # future trainers: all stay to the end and pass
        only_pre = None if tot else rng.choice([e for e in people if e.id != demo] or people).id
        for enrollment in people:
            if enrollment.id == only_pre:
                continue  # left before the post-test
            gain = 4.0 if tot else max(-0.3, rng.gauss(1.7, 0.7))
            _record(
                post,
                enrollment,
                abilities[enrollment.id] + gain,
                rng,
                bad,
                source=source,
                when=_at(cohort.end_date, 16),
            )
    else:
        post = _test(cohort, "post", "open", utcnow() - timedelta(minutes=10), released=False)
        for enrollment in [e for e in people if e.id != demo][: len(people) // 3]:
            ability = abilities[enrollment.id] + rng.gauss(1.7, 0.6)
            _record(
                post,
                enrollment,
                ability,
                rng,
                bad,
                source="online",
                when=utcnow() - timedelta(minutes=8),
                submit=rng.random() < 0.5,
            )


def load(people: dict) -> dict:
    """Banks for the demo courses, results for closed trainings, an open post-test in the
    running one; trainings that already have tests are left alone."""
    _load_banks(people[ADMIN])
    cohorts = db.session.scalars(
        select(Cohort)
        .where(Cohort.status.in_(("closed", "in_progress")), Cohort.course.has(Course.code.in_(BANKS)))
        .order_by(Cohort.start_date, Cohort.id)
    ).all()
    tested = set(db.session.scalars(select(CohortTest.cohort_id)))
    for index, cohort in enumerate(cohorts):
        if cohort.id not in tested:
            _results_for(cohort, index)
    db.session.flush()
    return {
        "questions": db.session.scalar(select(func.count(Question.id))),
        "attempts": db.session.scalar(select(func.count(Attempt.id))),
    }
