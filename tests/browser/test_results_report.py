"""The results report in a browser: the coordinator's figures on the demo programme, a drill-down,
the narrative to copy, a phone that never scrolls sideways, and a print without navigation."""

import re

import pytest

from tests.browser.conftest import screenshot, sign_in
from tests.browser.test_phone_tables import OVERFLOW

pytestmark = pytest.mark.browser


def test_a_coordinator_reads_the_report_drills_down_and_prints_it(page):
    sign_in(page, "koordynator.cherkasy@cascade.demo")
    page.get_by_role("link", name="Звіти").first.click()
    page.wait_for_url("**/reports/")
    trained = page.locator('[data-figure="trained"] .value').inner_text()
    assert int(re.sub(r"\D", "", trained)) > 0
    assert "Навчено" in page.locator("#narrative-uk").input_value()
    assert "were trained" in page.locator("#narrative-en").input_value()
    screenshot(page, "report-desktop")
    page.emulate_media(media="print")
    assert not page.locator("nav.navbar").is_visible()
    assert not page.locator('[data-testid="filters"]').is_visible()
    screenshot(page, "report-print")
    page.emulate_media(media="screen")
    page.locator('[data-figure="trained"] a').click()
    page.wait_for_url("**/reports/people?**")
    people = page.locator('[data-testid="person"]')
    assert people.count() == min(int(re.sub(r"\D", "", trained)), 50)
    screenshot(page, "report-people")


def test_the_report_reads_on_a_phone(phone):
    sign_in(phone, "admin@cascade.demo")
    phone.goto("/reports/")
    assert phone.evaluate(OVERFLOW) == {"page": 0, "loose": 0, "cut": 0}
    screenshot(phone, "report-phone")
    phone.goto("/reports/cohorts")
    assert phone.evaluate(OVERFLOW) == {"page": 0, "loose": 0, "cut": 0}


def test_a_coordinator_narrows_the_report_to_a_course_and_downloads_it_as_xlsx(page, tmp_path):
    import openpyxl

    sign_in(page, "koordynator.cherkasy@cascade.demo")
    page.goto("/reports/")
    everyone = int(re.sub(r"\D", "", page.locator('[data-figure="trained"] .value').inner_text()))
    course = page.locator("#course_id option").first
    code = course.inner_text().split(" · ")[0]
    page.select_option("#course_id", value=course.get_attribute("value"))
    page.locator('[data-testid="filters"] button[type="submit"]').click()
    page.wait_for_url("**/reports/?**course_id=**")
    narrowed = int(re.sub(r"\D", "", page.locator('[data-figure="trained"] .value').inner_text()))
    assert narrowed <= everyone
    certificates = int(re.sub(r"\D", "", page.locator('[data-figure="certificates"] .value').inner_text()))
    page.locator('[data-figure="trained"] a').click()
    page.wait_for_url("**/reports/people?**course_id=**")
    assert page.locator('[data-testid="person"]').count() == min(narrowed, 50)
    page.go_back()
    page.get_by_test_id("export-xlsx").click()
    page.wait_for_url("**/reports/exports/**")
    with page.expect_download() as download:
        page.get_by_test_id("download").click()
    path = tmp_path / "report.xlsx"
    download.value.save_as(path)
    screenshot(page, "report-export")
    book = openpyxl.load_workbook(path, read_only=True)
    cover = [" ".join(str(v) for v in row if v) for row in book.worksheets[0].iter_rows(values_only=True)]
    assert any(code in line for line in cover), cover  # the sheet names the course filter
    people = list(book.worksheets[-1].iter_rows(values_only=True))
    assert len(people) - 1 == certificates  # a header, then one row per valid certificate
