"""In a real browser: the demo coordinator opens the dashboard from her home page, changes a
filter and sees the charts drawn for it; on a phone the charts fit the screen; the coverage
page shows which districts of her oblast had no training."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser

COORDINATOR = "koordynator.cherkasy@cascade.demo"


def test_the_coordinator_changes_a_filter_on_the_dashboard_and_sees_the_charts(page):
    sign_in(page, COORDINATOR)
    home = page.get_by_test_id("home-dashboard")
    expect(home.locator("svg[role=img]")).to_have_count(2)
    screenshot(page, "home-coordinator")
    home.get_by_role("link", name="Панель показників").click()
    expect(page.get_by_test_id("charts").locator("svg[role=img]")).to_have_count(5)
    trainings = page.locator("[data-figure=trainings] .fs-4")
    everything = int(trainings.inner_text())
    assert everything > 1
    screenshot(page, "dashboard-coordinator")
    tot = page.locator("#course_id option", has_text="TOT-MDG").get_attribute("value")
    page.select_option("#course_id", tot)
    page.get_by_role("button", name="Показати").click()
    page.wait_for_url("**course_id=*")
    expect(page.locator("#course_id option:checked")).to_contain_text("TOT-MDG")
    assert 0 < int(trainings.inner_text()) < everything
    expect(page.locator("[data-chart=months] svg title").first).to_contain_text("Навчання за місяцями")
    screenshot(page, "dashboard-coordinator-tot")


def test_on_a_phone_the_charts_fit_the_screen(phone):
    sign_in(phone, COORDINATOR)
    phone.goto("/reports/dashboard")
    chart = phone.locator("[data-chart=areas] svg")
    box = chart.bounding_box()
    assert box is not None and box["width"] <= 390
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    screenshot(phone, "dashboard-phone")


def test_the_coverage_page_highlights_districts_without_training(page):
    sign_in(page, COORDINATOR)
    page.goto("/reports/coverage")
    expect(page.get_by_test_id("coverage-summary")).to_contain_text("з 4 районів")
    expect(page.locator("tr[data-uncovered]").first).to_be_visible()
    screenshot(page, "coverage-coordinator")
