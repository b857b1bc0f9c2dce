"""A new person gets in: the admin adds her, she opens the emailed link, chooses a password, and
is signed in, on a phone."""

import email
import email.policy
import re
from pathlib import Path

import pytest

from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser


def test_admin_adds_a_person_who_sets_her_password_from_the_welcome_email(
    browser, page, live_app, server_url
):
    # What ``lms dev`` does: links in emails follow the address the app runs on.
    live_app.config["BASE_URL"] = server_url
    mail_dir = Path(live_app.config["MAIL_OUTBOX_DIR"])
    before = set(mail_dir.glob("*.eml")) if mail_dir.exists() else set()

    sign_in(page, "admin@cascade.demo")
    page.goto("/admin/users/new")
    page.fill("#full_name", "Соломія Кравчук")
    page.fill("#email", "solomiia.kravchuk@example.org")
    page.fill("#position", "Фахівчиня із соціальної роботи")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/admin/users/")
    assert page.get_by_text("Соломія Кравчук").first.is_visible()

    # The same email again is not a dead end: the form offers to open her.
    page.goto("/admin/users/new")
    page.fill("#full_name", "Соломія Кравчук")
    page.fill("#email", "Solomiia.Kravchuk@example.org")
    page.click("main form button[type=submit]")
    offer = page.get_by_test_id("existing-person")
    assert "Соломія Кравчук" in offer.inner_text()
    screenshot(page, "admin-existing-person")

    (path,) = set(mail_dir.glob("*.eml")) - before
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert message["To"] == "solomiia.kravchuk@example.org"
    body = message.get_body(("plain",)).get_content()
    link = re.search(r"https?://\S+/password/set/\S+", body).group(0)
    assert link.startswith(server_url)

    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, locale="uk-UA")
    phone = context.new_page()
    try:
        phone.goto(link)
        assert phone.locator("h1").inner_text() == "Оберіть пароль"
        phone.fill("input[name=password]", "solomiia-own-password")
        phone.fill("input[name=confirm]", "solomiia-own-password")
        screenshot(phone, "welcome-set-password-phone")
        phone.click("main form button[type=submit]")
        phone.wait_for_url(f"{server_url}/")
        assert phone.get_by_test_id("user-menu").inner_text() == "Соломія Кравчук"
        assert phone.get_by_text("Пароль збережено").is_visible()
        screenshot(phone, "welcome-signed-in-phone")

        # The link works once.
        phone.goto(link)
        assert phone.url.endswith("/password/forgot")
    finally:
        context.close()
