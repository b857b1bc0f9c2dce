"""Test data for assessments: questions with their choices, and a cohort ready to test."""

from datetime import date, timedelta

from lms.assessments import bank
from tests import factories


def question(
    course, *, kind="single", form="both", topic="Процедура", correct=(0,), options=4, by=None, text=None
):
    """A question with ``options`` choices; ``correct`` lists the positions (0-based) of the
    correct ones."""
    if kind == "true_false":
        data = {"kind": kind, "text": text or "Статус встановлює Мінсоцполітики.", "answer": 0 in correct}
    else:
        data = {
            "kind": kind,
            "text": text or "Хто ухвалює рішення про встановлення статусу?",
            "choices": [{"text": f"Варіант {i + 1}", "correct": i in correct} for i in range(options)],
        }
    data |= {"form": form, "topic": topic}
    author = by or factories.UserFactory(roles=["admin"])
    return bank.create_question(course, data, by=author)


def running_cohort(*, participants=3, course=None):
    """A cohort running today with ``participants`` enrolled people."""
    kwargs = {"course": course} if course is not None else {}
    cohort = factories.CohortFactory(
        status="in_progress", start_date=date.today(), end_date=date.today() + timedelta(days=1), **kwargs
    )
    enrollments = [factories.EnrollmentFactory(cohort=cohort) for _ in range(participants)]
    return cohort, enrollments
