"""In a real browser, on the demo: the admin sees this week's reminders sent, the coordinator sees
activation over time and downloads the tree as CSV and SVG, a dormant trainer's home says so."""

import xml.etree.ElementTree as ET  # noqa: S405  # nosec B405 - parses our own output in a test
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser


def test_the_admin_sees_the_reminders_sent(page):
    sign_in(page, "admin@cascade.demo")
    page.goto("/cascade/nudges/")
    table = page.get_by_test_id("nudges")
    expect(table).to_contain_text("v.tkachenko@cascade.demo")
    expect(table).to_contain_text("koordynator.cherkasy@cascade.demo")
    expect(table).to_contain_text("Надіслано")
    screenshot(page, "cascade-nudges")


def test_the_coordinator_downloads_the_tree_and_sees_activation_over_time(page, tmp_path):
    sign_in(page, "koordynator.cherkasy@cascade.demo")
    page.goto("/cascade/")
    expect(page.get_by_test_id("activation-chart").locator("svg")).to_be_visible()
    screenshot(page, "cascade-dashboard-activation")
    with page.expect_download() as download:
        page.get_by_test_id("export-csv").click()
    path = Path(tmp_path / download.value.suggested_filename)
    download.value.save_as(path)
    text = path.read_text(encoding="utf-8-sig")
    assert "Ткаченко" in text and text.splitlines()[0].startswith("Тренер;")
    with page.expect_download() as download:
        page.get_by_test_id("export-svg").click()
    svg = tmp_path / "tree.svg"
    download.value.save_as(svg)
    ET.parse(svg)  # noqa: S314  # nosec B314 - our own output
    page.set_content(svg.read_text(encoding="utf-8").split("?>", 1)[1])
    screenshot(page, "cascade-tree-svg")


def test_a_dormant_trainer_sees_it_on_her_home(phone):
    sign_in(phone, "v.tkachenko@cascade.demo")
    section = phone.get_by_test_id("home-cascade")
    expect(section.get_by_test_id("home-dormant")).to_be_visible()
    expect(section.get_by_role("link", name="Внести каскадний захід")).to_be_visible()
    screenshot(phone, "home-dormant-trainer-phone")
