"""Under the Content-Security-Policy (no inline script) every page's scripts still run, and the
browser reports no violation: the pages that used to hold inline scripts, and Swagger UI."""

import pytest
from sqlalchemy import select

from lms.cohorts.models import Cohort, TrainingSession
from lms.extensions import db
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def watch_for_violations(page) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    # Recorded in the page, so a violation during load is not missed.
    page.add_init_script(
        "window.__cspViolations = [];"
        "document.addEventListener('securitypolicyviolation', e =>"
        " window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    return problems


def violations(page) -> list[str]:
    return page.evaluate("() => window.__cspViolations")


def a_session_id(live_app) -> int:
    with live_app.app_context():
        session_id = db.session.scalar(
            select(TrainingSession.id)
            .join(Cohort)
            .where(Cohort.status.in_(("scheduled", "in_progress")))
            .order_by(TrainingSession.id)
            .limit(1)
        )
        db.session.remove()
    return session_id


def test_pages_run_their_scripts_from_files_without_csp_violations(page, live_app):
    problems = watch_for_violations(page)
    sign_in(page, "admin@cascade.demo")

    page.goto("/courses/new")  # the ToT box shows or hides the accredited courses
    group = page.locator("#accredits-group")
    assert group.is_hidden()
    page.check("#is_tot")
    assert group.is_visible()

    page.goto("/cohorts/calendar")
    region = page.locator("select[name=region_id]")
    if region.count():
        with page.expect_navigation():  # choosing a region applies the filter at once
            page.select_option("select[name=region_id]", index=1)
        assert "region_id=" in page.url

    session_id = a_session_id(live_app)
    page.goto(f"/sessions/{session_id}/attendance")
    all_present = page.locator("[data-all-present]")
    if all_present.count():
        all_present.first.click()
        assert page.locator('input.btn-check[value="present"]:checked').count() >= 1
    page.goto(f"/sessions/{session_id}/checkin-code")
    first = int(page.locator("[data-seconds-left]").inner_text())
    page.wait_for_timeout(1500)
    assert int(page.locator("[data-seconds-left]").inner_text()) != first or first <= 1

    page.goto("/cohorts/new")
    assert page.locator("#plan-form").count() == 1

    page.goto("/api/v1/docs")
    page.locator(".swagger-ui .info").wait_for()

    assert violations(page) == []
    assert [p for p in problems if "Content Security Policy" in p or "Refused" in p] == []
    assert problems == []
