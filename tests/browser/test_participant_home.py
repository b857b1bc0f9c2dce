"""The demo participant signs in on a phone and finds herself: her trainings, her released
result, her certificate and the upcoming training; her menu is hers, not a trainer's."""

import pytest

from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser


def test_the_participant_sees_her_training_result_and_certificate_on_a_phone(phone):
    sign_in(phone, "uchasnyk@cascade.demo")
    trainings = phone.get_by_test_id("my-trainings")
    assert trainings.is_visible()
    completed = phone.locator('[data-testid="my-training"][data-status="completed"]').first
    assert completed.is_visible()
    results = completed.get_by_test_id("results").inner_text()
    assert "Підсумковий тест" in results and "%" in results  # released: her scores, not "not released yet"
    certificate = completed.get_by_test_id("certificate")
    assert certificate.is_visible()
    link = certificate.locator("a").first
    assert link.get_attribute("href").startswith("/certificates/")
    assert phone.locator('[data-testid="my-training"][data-status="upcoming"]').count() >= 1
    # Nothing overflows sideways on a phone.
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    screenshot(phone, "participant-home-phone")

    # Her menu: home, her certificates, her profile; not the trainers' list or calendar.
    phone.click("button.navbar-toggler")
    nav = phone.locator("#nav .navbar-nav").inner_text()
    assert "Мої сертифікати" in nav and "Мій профіль" in nav
    assert "Календар" not in nav
    screenshot(phone, "participant-menu-phone")

    link.click()
    phone.wait_for_url("**/certificates/**")
    screenshot(phone, "participant-certificate-phone")
