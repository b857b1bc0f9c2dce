"""A person signs in, switches the language and signs out, in a real browser."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser


def test_sign_in_switch_language_and_sign_out(page):
    page.goto("/")
    assert page.url.endswith("/login")
    assert page.locator("html").get_attribute("lang") == "uk"
    assert page.locator("h1").inner_text() == "Вхід до Cascade LMS"
    screenshot(page, "login-uk")

    sign_in(page, "admin@cascade.demo")
    assert page.get_by_test_id("user-menu").inner_text() == "Олена Коваль"
    assert page.locator("nav").get_by_text("Користувачі").is_visible()

    page.get_by_role("button", name="EN").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("nav").get_by_text("People").is_visible()
    screenshot(page, "home-en")

    page.get_by_test_id("user-menu").click()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")
    assert page.get_by_text("You have signed out.").is_visible()
    page.goto("/admin/users/")
    assert "/login" in page.url
    # Back to Ukrainian: the choice is kept on the account, which other browser tests share.
    sign_in(page, "admin@cascade.demo")
    page.locator("button[name=language][value=uk]").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "uk"


def test_wrong_password_shows_a_message_next_to_the_field(page):
    page.goto("/login")
    page.fill("input[name=email]", "admin@cascade.demo")
    page.fill("input[name=password]", "not-the-password")
    page.click("main form button[type=submit]")
    feedback = page.locator(".invalid-feedback")
    assert feedback.first.is_visible()
    assert "пароль" in feedback.first.inner_text().lower()


def test_phone_layout_collapses_the_navigation(phone):
    sign_in(phone, "koordynator.cherkasy@cascade.demo")
    expect(phone.locator("#nav")).to_be_hidden()
    phone.locator(".navbar-toggler").click()
    expect(phone.locator("#nav")).to_be_visible()
    expect(phone.locator("#nav").get_by_text("Тренінги")).to_be_visible()
    screenshot(phone, "home-phone-menu")
