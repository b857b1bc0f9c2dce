"""A participant takes the post-test on her phone from her personal link: she answers, loses
the connection, answers on, comes back online, and submits; nothing is lost."""

import pytest
from sqlalchemy import select

from lms.assessments import access, delivery
from lms.assessments.models import Attempt, CohortTest, Response
from lms.cohorts.attendance import roster
from lms.cohorts.models import Cohort
from lms.extensions import db
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def _participant_without_post_attempt(live_app) -> tuple[str, int]:
    with live_app.app_context():
        cohort = db.session.scalars(select(Cohort).where(Cohort.status == "in_progress")).first()
        test = delivery.test_of(cohort, "post", create=False)
        assert test is not None and test.status == "open"
        enrollment = next(e for e in reversed(roster(cohort)) if delivery.attempt_of(test, e) is None)
        token = access.pass_for(enrollment).token
        db.session.commit()
        ids = (enrollment.id, test.id)
        db.session.remove()
    return token, ids


def _pending(page) -> dict:
    return page.evaluate(
        "() => { const k = Object.keys(localStorage).find(k => k.startsWith('lms-test-'));"
        " return k ? JSON.parse(localStorage.getItem(k)) : {}; }"
    )


def test_participant_takes_the_post_test_offline_and_online_on_a_phone(phone, live_app):
    page = phone
    token, (enrollment_id, test_id) = _participant_without_post_attempt(live_app)
    page.goto(f"/t/p/{token}")
    page.get_by_role("link", name="Почати").click()
    page.wait_for_url("**/t/post**")
    items = page.locator(".test-item")
    total = items.count()
    assert total >= 3
    assert page.locator(".test-item:not(.d-none)").count() == 1  # one question per screen

    def answer_visible_question():
        item = page.locator(".test-item:not(.d-none)")
        item.locator("label.test-choice").first.click()
        return item

    answer_visible_question()
    page.wait_for_function("() => document.querySelector('[data-answered]').textContent === '1'")
    page.wait_for_function(
        "() => { const k = Object.keys(localStorage).find(k => k.startsWith('lms-test-'));"
        " return !k || localStorage.getItem(k) === '{}'; }"
    )

    page.context.set_offline(True)
    page.locator(".test-item:not(.d-none) [data-next]").click()
    answer_visible_question()
    page.wait_for_selector("[data-offline]:not(.d-none)")
    assert len(_pending(page)) == 1
    screenshot(page, "participant-test-offline-phone")

    page.context.set_offline(False)
    page.wait_for_function(
        "() => { const k = Object.keys(localStorage).find(k => k.startsWith('lms-test-'));"
        " return localStorage.getItem(k) === '{}'; }"
    )
    for _ in range(total - 2):
        page.locator(".test-item:not(.d-none) [data-next]").click()
        answer_visible_question()
    page.wait_for_function(f"() => document.querySelector('[data-answered]').textContent === '{total}'")
    page.wait_for_function(
        "() => { const k = Object.keys(localStorage).find(k => k.startsWith('lms-test-'));"
        " return localStorage.getItem(k) === '{}'; }"
    )
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("[data-submit]").click()
    page.get_by_test_id("submitted").wait_for()
    screenshot(page, "participant-test-submitted-phone")

    with live_app.app_context():
        attempt = db.session.scalars(
            select(Attempt).where(Attempt.enrollment_id == enrollment_id, Attempt.test_id == test_id)
        ).one()
        assert attempt.submitted_at is not None and attempt.score_percent is not None
        saved = db.session.scalars(select(Response).where(Response.attempt_id == attempt.id)).all()
        assert len(saved) == total
        assert db.session.get(CohortTest, test_id).status == "open"
        db.session.remove()
