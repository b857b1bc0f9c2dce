"""Wide tables fit a 390 px phone: they scroll inside their own box, the page never scrolls sideways."""

import pytest
from sqlalchemy import func, select

from lms.cohorts.models import Cohort, Enrollment
from lms.extensions import db
from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser

# Horizontal overflow of the page itself, and of every table that is not inside a scrolling box.
OVERFLOW = """() => {
  const page = document.documentElement.scrollWidth - document.documentElement.clientWidth;
  const loose = [...document.querySelectorAll('table')].filter(t => {
    let box = t.parentElement;
    while (box && box !== document.body) {
      const style = getComputedStyle(box);
      if (['auto', 'scroll'].includes(style.overflowX)) return box.getBoundingClientRect().right > innerWidth + 1;
      box = box.parentElement;
    }
    return t.getBoundingClientRect().right > innerWidth + 1;
  }).length;
  const cut = [...document.querySelectorAll('main .nav-link, main .btn')].filter(
    e => e.offsetParent && e.getBoundingClientRect().right > innerWidth + 1
  ).length;
  return {page, loose, cut};
}"""


@pytest.fixture(scope="module")
def demo_ids(live_app):
    with live_app.app_context():
        waitlisted = db.session.scalar(
            select(Enrollment.cohort_id)
            .where(Enrollment.status == "waitlisted")
            .group_by(Enrollment.cohort_id)
            .order_by(func.count().desc())
            .limit(1)
        )
        busiest = db.session.scalar(
            select(Enrollment.cohort_id)
            .join(Cohort)
            .where(Enrollment.status == "enrolled", Cohort.status.in_(("in_progress", "closed")))
            .group_by(Enrollment.cohort_id)
            .order_by(func.count().desc())
            .limit(1)
        )
        db.session.remove()
    return {"waitlisted": waitlisted, "busiest": busiest}


def pages(ids):
    return {
        "attendance-summary": f"/cohorts/{ids['busiest']}/attendance",
        "institutions": "/admin/geography/institutions",
        "waitlist": f"/cohorts/{ids['waitlisted'] or ids['busiest']}/enrolments?status=waitlisted",
        "participants": f"/cohorts/{ids['busiest']}/enrolments",
        "cohort": f"/cohorts/{ids['busiest']}",
        "cohorts": "/cohorts/",
        "people": "/admin/users/",
        "audit": "/admin/audit/",
        "courses": "/courses/",
        "accreditations": "/courses/accreditations",
        "regions": "/admin/geography/",
    }


def test_tables_fit_a_phone_screen(phone, demo_ids):
    sign_in(phone, "admin@cascade.demo")
    problems = {}
    for name, path in pages(demo_ids).items():
        response = phone.goto(path)
        assert response.status == 200, path
        found = phone.evaluate(OVERFLOW)
        if found["page"] > 0 or found["loose"] or found["cut"]:
            problems[name] = found
        screenshot(phone, f"phone-{name}")
    assert problems == {}


def test_institutions_read_as_cards_on_a_phone_and_as_a_table_on_a_laptop(phone, page):
    for screen in (phone, page):
        sign_in(screen, "admin@cascade.demo")
        screen.goto("/admin/geography/institutions")
    first = phone.get_by_test_id("institutions").locator("tbody tr").first
    assert first.evaluate("r => getComputedStyle(r).display") == "block"
    labels = first.locator("td").evaluate_all(
        "cells => cells.map(c => getComputedStyle(c, '::before').content)"
    )
    assert labels[1:] == ['"Тип: "', '"Район: "']
    assert page.get_by_test_id("institutions").locator("thead").is_visible()


def test_api_docs_have_a_mobile_viewport(phone):
    phone.goto("/api/v1/docs")
    content = phone.locator("meta[name=viewport]").get_attribute("content")
    assert "width=device-width" in content
