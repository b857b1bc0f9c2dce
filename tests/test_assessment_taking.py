"""A participant's limited session: her personal link or the room link with her code opens her
own tests only; answers never leak before submission; codes are throttled and expire."""

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from lms.assessments import access, delivery
from lms.assessments.access import MAX_FAILURES_PER_PERSON
from lms.assessments.models import Attempt, Response
from tests import factories
from tests.assessment_factories import question, running_cohort
from tests.conftest import sign_in
from tests.queries import count_queries

TAKE_JS = Path(__file__).resolve().parent.parent / "lms" / "static" / "js" / "take.js"


@pytest.fixture
def open_pre(db, admin):
    cohort, people = running_cohort(participants=2)
    questions = [question(cohort.course, text=f"Питання {i}", correct=(1,)) for i in range(3)]
    test = delivery.open_test(cohort, "pre", by=admin)
    return cohort, people, questions, test


def _link(client, enrollment):
    token = access.pass_for(enrollment).token
    return client.get(f"/t/p/{token}")


def test_personal_link_opens_her_tests_without_a_password(client, open_pre):
    _cohort, (enrollment, _other), _questions, _test = open_pre
    response = _link(client, enrollment)
    assert response.status_code == 302
    home = client.get("/t/")
    assert enrollment.user.full_name in home.text
    page = client.get("/t/pre", follow_redirects=True)
    assert page.status_code == 200
    assert "Питання 0" in page.text


def test_the_limited_session_opens_nothing_of_her_account(client, open_pre):
    cohort, (enrollment, _other), _questions, _test = open_pre
    _link(client, enrollment)
    assert client.get(f"/cohorts/{cohort.id}").status_code == 302  # to the sign-in page
    assert client.get("/api/v1/me/trainings").status_code in (401, 404)


def test_a_guessed_or_withdrawn_link_fails(client, open_pre):
    _cohort, (enrollment, _other), _questions, _test = open_pre
    assert client.get("/t/p/guessed-token-value").status_code == 404
    token = access.pass_for(enrollment).token
    enrollment.status = "withdrawn"
    assert client.get(f"/t/p/{token}").status_code == 404


def test_the_link_expires_with_the_cohorts_dates(client, open_pre):
    cohort, (enrollment, _other), _questions, _test = open_pre
    token = access.pass_for(enrollment).token
    cohort.start_date, cohort.end_date = date.today() - timedelta(days=5), date.today() - timedelta(days=4)
    assert client.get(f"/t/p/{token}").status_code == 404


def test_without_a_pass_the_test_pages_are_not_found(client, open_pre):
    assert client.get("/t/pre", follow_redirects=True).status_code == 404
    assert client.post("/t/pre/answer", json={"question_id": 1, "choice_ids": []}).status_code == 404


def test_room_link_with_her_name_and_code_opens_her_test(client, open_pre):
    _cohort, (enrollment, other), _questions, test = open_pre
    code = access.pass_for(enrollment).code
    room = client.get(f"/t/r/{test.room_code}")
    assert enrollment.user.full_name in room.text and other.user.full_name in room.text
    response = client.post(f"/t/r/{test.room_code}", data={"enrollment_id": enrollment.id, "code": code})
    assert response.status_code == 302
    assert client.get("/t/pre", follow_redirects=True).status_code == 200


def test_wrong_codes_are_refused_then_throttled(client, open_pre):
    _cohort, (enrollment, _other), _questions, test = open_pre
    code = access.pass_for(enrollment).code
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(MAX_FAILURES_PER_PERSON):
        refused = client.post(f"/t/r/{test.room_code}", data={"enrollment_id": enrollment.id, "code": wrong})
        assert refused.status_code == 422
    throttled = client.post(f"/t/r/{test.room_code}", data={"enrollment_id": enrollment.id, "code": code})
    assert throttled.status_code == 429


def test_code_of_another_cohort_person_is_refused(client, open_pre):
    _cohort, _people, _questions, test = open_pre
    stranger = factories.EnrollmentFactory()
    code = access.pass_for(stranger).code
    response = client.post(f"/t/r/{test.room_code}", data={"enrollment_id": stranger.id, "code": code})
    assert response.status_code == 404


def test_correct_answers_never_reach_the_browser_before_submission(client, open_pre):
    _cohort, (enrollment, _other), questions, _test = open_pre
    _link(client, enrollment)
    page = client.get("/t/pre", follow_redirects=True).text
    for word in ("correct", "score", "credit"):
        assert word not in page.lower().replace("csrf", "")
    item = questions[0]
    right = item.current.choices[1].id
    # Every choice id is on the page; nothing marks one apart from the others.
    for choice in item.current.choices:
        tag = re.search(rf'<input[^>]*value="{choice.id}"[^>]*>', page).group(0)
        assert re.sub(r"\d+", "N", tag.replace(" checked", "")) == re.sub(
            r"\d+", "N", re.search(rf'<input[^>]*value="{right}"[^>]*>', page).group(0)
        )
    saved = client.post("/t/pre/answer", json={"question_id": item.id, "choice_ids": [right]})
    assert saved.json == {"saved": True, "question_id": item.id}
    script = TAKE_JS.read_text()
    assert "correct" not in script and "score" not in script


def test_answers_are_saved_resumed_and_submitted_once(client, open_pre):
    _cohort, (enrollment, _other), questions, test = open_pre
    _link(client, enrollment)
    client.get("/t/pre", follow_redirects=True)
    right = {q.id: q.current.choices[1].id for q in questions}
    for q in questions[:2]:
        assert (
            client.post("/t/pre/answer", json={"question_id": q.id, "choice_ids": [right[q.id]]}).status_code
            == 200
        )
    resumed = client.get("/t/pre", follow_redirects=True).text
    assert resumed.count(" checked") == 2
    assert client.post("/t/pre/submit").status_code == 302
    attempt = delivery.attempt_of(test, enrollment)
    assert attempt.score_percent == round(200 / 3, 1)
    again = client.post("/t/pre/submit")
    assert again.status_code == 302
    late_answer = client.post(
        "/t/pre/answer", json={"question_id": questions[2].id, "choice_ids": [right[questions[2].id]]}
    )
    assert late_answer.status_code == 409
    assert "Питання" not in client.get("/t/pre", follow_redirects=True).text


def test_bad_answer_bodies_get_a_clear_error(client, open_pre):
    _cohort, (enrollment, _other), _questions, _test = open_pre
    _link(client, enrollment)
    client.get("/t/pre", follow_redirects=True)
    assert client.post("/t/pre/answer", data="nonsense").status_code == 422
    assert client.post("/t/pre/answer", json={"question_id": "x", "choice_ids": "y"}).status_code == 422


def test_results_appear_after_the_trainer_releases_them(client, open_pre, admin):
    cohort, (enrollment, _other), questions, test = open_pre
    _link(client, enrollment)
    client.get("/t/pre", follow_redirects=True)
    client.post(
        "/t/pre/answer",
        json={"question_id": questions[0].id, "choice_ids": [questions[0].current.choices[1].id]},
    )
    client.post("/t/pre/submit")
    assert client.get("/t/results").status_code == 404
    test.results_released = True
    page = client.get("/t/results")
    assert page.status_code == 200
    assert "33,3 %" in page.text


def test_trainer_page_shows_who_started_and_the_room_qr(client, open_pre):
    cohort, (enrollment, other), _questions, test = open_pre
    delivery.start_attempt(test, enrollment)
    sign_in(client, cohort.lead_trainer)
    page = client.get(f"/cohorts/{cohort.id}/tests")
    assert page.status_code == 200
    assert "<svg" in page.text
    assert test.room_code in page.text
    assert enrollment.user.full_name in page.text and other.user.full_name in page.text


def test_other_trainer_cannot_open_the_tests_page(client, open_pre):
    cohort, _people, _questions, _test = open_pre
    sign_in(client, factories.UserFactory(roles=["trainer"]))
    assert client.get(f"/cohorts/{cohort.id}/tests").status_code == 404
    assert client.get(f"/cohorts/{cohort.id}/results").status_code == 404


def test_the_test_page_runs_the_same_queries_for_1_and_30_items(client, db, admin, strict_loading):
    counts = []
    for size in (1, 30):
        cohort, (enrollment,) = running_cohort(participants=1)
        questions = [question(cohort.course, text=f"Питання {i}") for i in range(size)]
        test = delivery.open_test(cohort, "pre", by=admin)
        attempt = delivery.start_attempt(test, enrollment)
        for q in questions:
            delivery.save_answer(attempt, q.id, [q.current.choices[0].id])
        _link(client, enrollment)
        with count_queries() as statements:
            page = client.get("/t/pre")
        assert page.status_code == 200
        assert page.text.count(" checked") == size
        counts.append(len(statements))
    assert counts[0] == counts[1]


def test_saving_an_answer_is_a_short_path(client, open_pre, strict_loading):
    _cohort, (enrollment, _other), questions, _test = open_pre
    _link(client, enrollment)
    client.get("/t/pre", follow_redirects=True)
    body = {"question_id": questions[0].id, "choice_ids": [questions[0].current.choices[1].id]}
    with count_queries() as statements:
        saved = client.post("/t/pre/answer", json=body)
    assert saved.status_code == 200
    # Her attempt (with test, enrolment, cohort) and the version with its choices; the upsert.
    queries = [s.split("\n")[0][:60] for s in statements if not s.startswith(("SAVEPOINT", "RELEASE"))]
    assert len(queries) == 2, queries
    assert queries[0].startswith("SELECT attempts.id") and queries[1].startswith("INSERT INTO responses")


def test_her_test_pass_ends_when_she_signs_out_or_someone_signs_in(client, open_pre):
    """A pass acts as her: on a shared computer the next person must not inherit it."""
    _cohort, (enrollment, other), _questions, _test = open_pre
    _link(client, enrollment)
    assert client.get("/t/").status_code == 200
    client.post("/login", data={"email": other.user.email, "password": factories.PASSWORD})
    assert client.get("/t/").status_code == 404
    sign_in(client, enrollment.user)
    assert client.get(f"/t/mine/{enrollment.id}").status_code == 302
    assert client.get("/t/").status_code == 200
    client.post("/logout")
    assert client.get("/t/").status_code == 404


def test_submitting_scores_in_three_statements_whatever_was_answered(
    client, db, backend, open_pre, strict_loading
):
    _cohort, (enrollment, _other), questions, _test = open_pre
    _link(client, enrollment)
    client.get("/t/pre", follow_redirects=True)
    for item in questions:
        chosen = [c.id for c in item.current.choices if c.correct][:1]
        assert (
            client.post("/t/pre/answer", json={"question_id": item.id, "choice_ids": chosen}).status_code
            == 200
        )
    with count_queries() as statements:
        done = client.post("/t/pre/submit", json={})
    assert done.status_code == 200 and done.json == {"submitted": True}
    queries = [
        s.split()[0] + " " + s.split()[1] for s in statements if not s.startswith(("SAVEPOINT", "RELEASE"))
    ]
    # Her attempt; responses with their correct choices; closed with the percent and every
    # credit (one statement on PostgreSQL, two elsewhere).
    closing = ["WITH closed"] if backend == "postgresql" else ["UPDATE attempts", "UPDATE responses"]
    assert queries == ["SELECT attempts.id,", "SELECT responses.id,", *closing]
    attempt = db.session.scalars(select(Attempt).where(Attempt.enrollment_id == enrollment.id)).one()
    assert attempt.score_percent == 100.0
    credits = db.session.scalars(select(Response.credit).where(Response.attempt_id == attempt.id)).all()
    assert credits == [1.0] * len(questions)
