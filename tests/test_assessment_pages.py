"""Trainer pages: question bank, tests, paper grid and results; constant queries under strict
loading for 1 and 30 rows."""

from datetime import timedelta

import pytest

from lms.assessments import delivery, paper
from tests import factories
from tests.assessment_factories import question, running_cohort
from tests.conftest import sign_in
from tests.queries import count_queries


def test_bank_page_lists_questions_with_their_forms(client, db, admin):
    course = factories.CourseFactory()
    question(course, form="A", text="Хто веде реєстр?")
    sign_in(client, admin)
    page = client.get(f"/courses/{course.id}/questions")
    assert page.status_code == 200
    assert "Хто веде реєстр?" in page.text


def test_adding_a_question_through_the_form(client, db, admin):
    course = factories.CourseFactory()
    sign_in(client, admin)
    response = client.post(
        f"/courses/{course.id}/questions/new",
        data={
            "kind": "single",
            "text": "Строк розгляду заяви?",
            "form": "B",
            "topic": "Строки",
            "choice-0": "10 днів",
            "choice-1": "30 днів",
            "choice-1-correct": "on",
        },
    )
    assert response.status_code == 302
    listed = client.get(f"/courses/{course.id}/questions?form=B").text
    assert "Строк розгляду заяви?" in listed


def test_a_question_form_with_no_correct_option_shows_the_problem(client, db, admin):
    course = factories.CourseFactory()
    sign_in(client, admin)
    response = client.post(
        f"/courses/{course.id}/questions/new",
        data={"kind": "single", "text": "Питання", "choice-0": "а", "choice-1": "б"},
    )
    assert response.status_code == 422
    assert "invalid-feedback" in response.text


def test_participant_cannot_open_the_bank(client, db):
    course = factories.CourseFactory()
    sign_in(client, factories.UserFactory())
    assert client.get(f"/courses/{course.id}/questions").status_code == 403


def test_paper_grid_saves_and_scores(client, db, admin):
    cohort, (enrollment,) = running_cohort(participants=1)
    first = question(cohort.course, correct=(1,))
    question(cohort.course, correct=(0,))
    sign_in(client, cohort.lead_trainer)
    response = client.post(
        f"/cohorts/{cohort.id}/tests/pre/paper", data={"form": "A", f"a-{enrollment.id}-{first.id}": "Б"}
    )
    assert response.status_code == 302
    attempt = delivery.attempt_of(delivery.test_of(cohort, "pre"), enrollment)
    assert attempt.source == "paper" and attempt.score_percent == 50.0


def test_paper_grid_with_an_unknown_key_saves_nothing(client, db, admin):
    cohort, (enrollment,) = running_cohort(participants=1)
    first = question(cohort.course)
    sign_in(client, cohort.lead_trainer)
    response = client.post(
        f"/cohorts/{cohort.id}/tests/pre/paper", data={"form": "A", f"a-{enrollment.id}-{first.id}": "7"}
    )
    assert response.status_code == 422
    assert delivery.attempt_of(delivery.test_of(cohort, "pre"), enrollment) is None


def test_opening_a_test_from_the_page(client, db, admin):
    cohort, _people = running_cohort(participants=1)
    question(cohort.course)
    sign_in(client, cohort.lead_trainer)
    response = client.post(
        f"/cohorts/{cohort.id}/tests/pre/open", data={"time_limit_minutes": "15", "form": "A"}
    )
    assert response.status_code == 302
    test = delivery.test_of(cohort, "pre")
    assert test.status == "open" and test.time_limit_minutes == 15
    detail = client.get(f"/cohorts/{cohort.id}")
    assert f"/cohorts/{cohort.id}/tests" in detail.text


def _scored_cohort(size, admin):
    cohort, people = running_cohort(participants=size)
    questions = [question(cohort.course, text=f"П{i}", by=admin) for i in range(3)]
    for enrollment in people:
        paper.enter_responses(
            enrollment,
            "pre",
            "A",
            {q.id: [q.current.choices[enrollment.id % 2].id] for q in questions},
            by=admin,
        )
        paper.enter_scores(enrollment, {"post": 75}, by=admin)
    test = delivery.open_test(cohort, "post", by=admin)
    test.status = "open"
    return cohort


@pytest.mark.parametrize("path", ["results", "tests", "tests/slips", "tests/pre/paper"])
def test_cohort_test_pages_run_the_same_queries_for_1_and_30_participants(
    client, db, admin, strict_loading, path
):
    counts = []
    for size in (1, 30):
        cohort = _scored_cohort(size, admin)
        sign_in(client, cohort.lead_trainer)
        client.get(f"/cohorts/{cohort.id}/{path}")  # slips make the passes on first view
        with count_queries() as statements:
            response = client.get(f"/cohorts/{cohort.id}/{path}")
        assert response.status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1]


def test_results_page_labels_both_normalized_gains_and_draws_the_chart(client, db, admin):
    cohort = _scored_cohort(3, admin)
    sign_in(client, cohort.lead_trainer)
    page = client.get(f"/cohorts/{cohort.id}/results").text
    assert "<svg" in page
    # Both normalized gains, each labelled with its formula (the page is in Ukrainian).
    assert "(після − до)/(100 − до)" in page
    assert "(середнє після − середнє до)/(100 − середнє до)" in page


def test_course_results_by_trainer_show_only_cohorts_the_person_may_read(client, db, admin):
    first = _scored_cohort(3, admin)
    second = _scored_cohort(2, admin)
    second.course = first.course
    sign_in(client, first.lead_trainer)
    mine = client.get(f"/courses/{first.course_id}/results")
    assert mine.status_code == 200
    assert first.lead_trainer.full_name in mine.text
    assert second.lead_trainer.full_name not in mine.text
    sign_in(client, admin)
    everyone = client.get(f"/courses/{first.course_id}/results").text
    assert first.lead_trainer.full_name in everyone and second.lead_trainer.full_name in everyone


def test_course_results_run_the_same_queries_for_1_and_30_cohorts(client, db, admin, strict_loading):
    counts = []
    for size in (1, 30):
        course = factories.CourseFactory()
        for _ in range(size):
            cohort, people = running_cohort(participants=2, course=course)
            paper.enter_scores(people[0], {"pre": 40, "post": 80}, by=admin)
        sign_in(client, admin)
        with count_queries() as statements:
            response = client.get(f"/courses/{course.id}/results")
        assert response.status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1]


@pytest.mark.parametrize("kind", ["booklet", "answer-sheets"])
def test_paper_booklet_and_answer_sheets_are_pdfs(client, db, admin, kind):
    cohort, people = running_cohort(participants=2)
    question(cohort.course, form="A", text="Куди подають заяву?")
    sign_in(client, cohort.lead_trainer)
    response = client.get(f"/cohorts/{cohort.id}/tests/pre/{kind}.pdf")
    assert response.status_code == 200
    assert response.data.startswith(b"%PDF")
    stranger = factories.UserFactory(roles=["trainer"])
    sign_in(client, stranger)
    assert client.get(f"/cohorts/{cohort.id}/tests/pre/{kind}.pdf").status_code == 404


def test_a_trainer_gives_one_person_extra_time_from_the_page(client, db, admin, strict_loading):
    """The attempt's test is loaded with it (it was lazy-loaded: a 500 under strict loading)."""
    cohort, (person,) = running_cohort(participants=1)
    question(cohort.course, by=admin)
    test = delivery.open_test(cohort, "pre", by=admin, time_limit_minutes=30)
    attempt = delivery.start_attempt(test, person)
    deadline = attempt.deadline
    sign_in(client, cohort.lead_trainer)
    response = client.post(f"/cohorts/{cohort.id}/attempts/{attempt.id}/extend", data={"minutes": "10"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(type(attempt), attempt.id).deadline == deadline + timedelta(minutes=10)
    other = running_cohort(participants=0)[0]
    sign_in(client, other.lead_trainer)
    assert (
        client.post(f"/cohorts/{cohort.id}/attempts/{attempt.id}/extend", data={"minutes": "10"}).status_code
        == 404
    )
