"""API: question bank, opening and closing tests, results and item analysis, paper entry;
with permissions (a trainer sees only her cohorts) and constant query counts."""

import pytest

from lms.assessments import delivery, paper
from tests import factories
from tests.assessment_factories import question, running_cohort
from tests.conftest import api_headers
from tests.queries import count_queries


@pytest.fixture
def cohort_with_bank(db, admin):
    cohort, people = running_cohort(participants=3)
    questions = [question(cohort.course, text=f"Питання {i}", topic="Статус") for i in range(4)]
    return cohort, people, questions


def test_trainer_accredited_for_the_course_adds_and_reads_questions(client, db):
    course = factories.CourseFactory()
    trainer = factories.UserFactory(roles=["trainer"])
    factories.AccreditationFactory(user=trainer, course=course)
    body = {
        "kind": "multiple",
        "text": "Які документи подає особа?",
        "choices": [
            {"text": "Заява", "correct": True},
            {"text": "Паспорт", "correct": True},
            {"text": "Диплом"},
        ],
        "topic": "Документи",
        "form": "A",
    }
    created = client.post(f"/api/v1/courses/{course.id}/questions", json=body, headers=api_headers(trainer))
    assert created.status_code == 201, created.json
    assert created.json["form"] == "A"
    assert [c["correct"] for c in created.json["choices"]] == [True, True, False]
    listed = client.get(f"/api/v1/courses/{course.id}/questions", headers=api_headers(trainer))
    assert listed.json["total"] == 1


def test_invalid_question_gets_field_errors(client, db, admin):
    course = factories.CourseFactory()
    response = client.post(
        f"/api/v1/courses/{course.id}/questions",
        json={"kind": "single", "text": "Х", "choices": [{"text": "а"}, {"text": "б"}]},
        headers=api_headers(admin),
    )
    assert response.status_code == 422
    assert "choices" in response.json["error"]["fields"]


def test_participant_cannot_read_the_bank(client, db):
    course = factories.CourseFactory()
    q = question(course)
    person = factories.UserFactory()
    assert (
        client.get(f"/api/v1/courses/{course.id}/questions", headers=api_headers(person)).status_code == 403
    )
    assert client.get(f"/api/v1/questions/{q.id}", headers=api_headers(person)).status_code == 404


def test_patch_an_answered_question_makes_a_new_version(client, cohort_with_bank, admin):
    cohort, (enrollment, *_), questions = cohort_with_bank
    paper.enter_responses(
        enrollment, "pre", "A", {questions[0].id: [questions[0].current.choices[0].id]}, by=admin
    )
    response = client.patch(
        f"/api/v1/questions/{questions[0].id}", json={"text": "Уточнене питання"}, headers=api_headers(admin)
    )
    assert response.status_code == 200
    assert response.json["version"] == 2
    assert response.json["text"] == "Уточнене питання"


def test_trainer_opens_and_closes_her_cohorts_test(client, cohort_with_bank):
    cohort, _people, _questions = cohort_with_bank
    headers = api_headers(cohort.lead_trainer)
    opened = client.post(
        f"/api/v1/cohorts/{cohort.id}/tests/pre/open", json={"time_limit_minutes": 20}, headers=headers
    )
    assert opened.status_code == 200, opened.json
    assert opened.json["status"] == "open"
    assert opened.json["form"] == "A"
    assert opened.json["room_url"].startswith("http")
    tests = client.get(f"/api/v1/cohorts/{cohort.id}/tests", headers=headers).json
    assert [(t["phase"], t["status"], t["enrolled"]) for t in tests] == [
        ("pre", "open", 3),
        ("post", "not_open", 3),
    ]
    again = client.post(f"/api/v1/cohorts/{cohort.id}/tests/pre/open", json={}, headers=headers)
    assert again.status_code == 409
    closed = client.post(f"/api/v1/cohorts/{cohort.id}/tests/pre/close", headers=headers)
    assert closed.json["status"] == "closed"
    assert (
        client.post(f"/api/v1/cohorts/{cohort.id}/tests/mid/open", json={}, headers=headers).status_code
        == 404
    )


def test_trainer_cannot_see_other_trainers_cohort_results(client, cohort_with_bank):
    cohort, _people, _questions = cohort_with_bank
    stranger = factories.UserFactory(roles=["trainer"])
    for path in ("results", "item-analysis", "tests"):
        assert (
            client.get(f"/api/v1/cohorts/{cohort.id}/{path}", headers=api_headers(stranger)).status_code
            == 404
        )


def test_participant_cannot_see_her_cohorts_results(client, cohort_with_bank):
    cohort, (enrollment, *_), _questions = cohort_with_bank
    response = client.get(f"/api/v1/cohorts/{cohort.id}/results", headers=api_headers(enrollment.user))
    assert response.status_code == 403


def test_coordinator_of_another_region_cannot_enter_scores(client, cohort_with_bank):
    _cohort, (enrollment, *_), _questions = cohort_with_bank
    coordinator = factories.UserFactory(roles=["coordinator"], regions=[factories.RegionFactory()])
    response = client.put(
        f"/api/v1/enrollments/{enrollment.id}/scores", json={"pre": 50}, headers=api_headers(coordinator)
    )
    assert response.status_code == 404


def test_paper_scores_and_responses_through_the_api(client, cohort_with_bank):
    cohort, (first, second, _third), questions = cohort_with_bank
    headers = api_headers(cohort.lead_trainer)
    bad = client.put(f"/api/v1/enrollments/{first.id}/scores", json={"pre": 55, "post": 120}, headers=headers)
    assert bad.status_code == 422
    assert "post" in bad.json["error"]["fields"]
    ok = client.put(f"/api/v1/enrollments/{first.id}/scores", json={"pre": 55, "post": 85}, headers=headers)
    assert ok.status_code == 200
    answers = {str(q.id): [q.current.choices[0].id] for q in questions}
    unknown = client.put(
        f"/api/v1/enrollments/{second.id}/responses/pre",
        json={"form": "A", "answers": answers | {str(questions[0].id): [10**6]}},
        headers=headers,
    )
    assert unknown.status_code == 422
    saved = client.put(
        f"/api/v1/enrollments/{second.id}/responses/pre",
        json={"form": "A", "answers": answers},
        headers=headers,
    )
    assert saved.status_code == 200
    assert saved.json["score_percent"] == 100.0
    results = client.get(f"/api/v1/cohorts/{cohort.id}/results", headers=headers).json
    by_id = {r["enrollment_id"]: r for r in results["items"]}
    assert (by_id[first.id]["pre"], by_id[first.id]["post"], by_id[first.id]["passed"]) == (55.0, 85.0, True)
    assert by_id[first.id]["normalized_gain"] == pytest.approx(30 / 45, abs=0.001)
    assert results["summary"]["paired"] == 1
    assert second.id in results["unpaired_enrollment_ids"]


def _fill(cohort, people, questions, admin):
    for enrollment in people:
        paper.enter_responses(
            enrollment,
            "pre",
            "A",
            {q.id: [q.current.choices[enrollment.id % 2].id] for q in questions},
            by=admin,
        )
        paper.enter_scores(enrollment, {"post": 80}, by=admin)


@pytest.mark.parametrize("path", ["results", "item-analysis", "tests"])
def test_results_endpoints_run_the_same_queries_for_1_and_30_participants(client, db, admin, path):
    # Not under strict_loading: bearer-token sign-in itself lazy-loads the token's user (core
    # code); the same services are held to strict loading by the results page's test.
    counts = []
    for size in (1, 30):
        cohort, people = running_cohort(participants=size)
        questions = [question(cohort.course, text=f"П{i}", by=admin) for i in range(3)]
        _fill(cohort, people, questions, admin)
        headers = api_headers(cohort.lead_trainer)
        with count_queries() as statements:
            response = client.get(f"/api/v1/cohorts/{cohort.id}/{path}", headers=headers)
        assert response.status_code == 200, response.json
        counts.append(len(statements))
    assert counts[0] == counts[1]


def test_question_list_runs_the_same_queries_for_1_and_30_questions(client, db, admin):
    counts = []
    for size in (1, 30):
        course = factories.CourseFactory()
        for i in range(size):
            question(course, text=f"П{i}", by=admin)
        headers = api_headers(admin)
        with count_queries() as statements:
            response = client.get(f"/api/v1/courses/{course.id}/questions?per_page=100", headers=headers)
        assert response.json["total"] == size
        counts.append(len(statements))
    assert counts[0] == counts[1]


def test_extend_time_for_one_attempt(client, cohort_with_bank, admin):
    cohort, (enrollment, *_), _questions = cohort_with_bank
    test = delivery.open_test(cohort, "pre", by=admin, time_limit_minutes=10)
    attempt = delivery.start_attempt(test, enrollment)
    before = attempt.deadline
    response = client.post(
        f"/api/v1/attempts/{attempt.id}/extend", json={"minutes": 5}, headers=api_headers(cohort.lead_trainer)
    )
    assert response.status_code == 200
    db_attempt = delivery.attempt_of(test, enrollment)
    assert (db_attempt.deadline - before).total_seconds() == 300
    stranger = factories.UserFactory(roles=["trainer"])
    refused = client.post(
        f"/api/v1/attempts/{attempt.id}/extend", json={"minutes": 5}, headers=api_headers(stranger)
    )
    assert refused.status_code == 404
