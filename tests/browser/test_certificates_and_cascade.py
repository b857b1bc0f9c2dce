"""In a real browser: anyone verifies a demo certificate by typing its code on the sign-in page;
a participant downloads her certificate; the coordinator finds a trainer in the cascade and opens
the trainers she certified."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lms.accounts.models import User
from lms.certificates.models import Certificate
from lms.extensions import db
from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser


def _a_valid_certificate(live_app) -> tuple[str, str, str]:
    with live_app.app_context():
        certificate = db.session.scalars(
            select(Certificate).where(Certificate.status == "valid", Certificate.kind == "participation")
        ).first()
        holder = db.session.get(User, certificate.user_id)
        found = certificate.verification_code, certificate.holder_name, holder.email
        db.session.remove()
    return found


def test_anyone_verifies_a_certificate_by_typing_its_code_on_the_sign_in_page(page, live_app):
    code, holder, _email = _a_valid_certificate(live_app)
    page.goto("/login")
    page.get_by_test_id("verify-form").locator("input[name=code]").fill(code)
    page.get_by_test_id("verify-form").get_by_role("button").click()
    result = page.get_by_test_id("verification")
    expect(result).to_have_attribute("data-status", "valid")
    expect(result).to_contain_text(holder)
    screenshot(page, "verify-valid")
    page.goto("/verify/not-a-code")
    expect(page.get_by_test_id("verification")).to_have_attribute("data-status", "unknown")


def test_a_participant_downloads_her_certificate(page, live_app):
    _code, _holder, email = _a_valid_certificate(live_app)
    sign_in(page, email)
    page.goto("/certificates/")
    with page.expect_download() as download:
        page.get_by_test_id("certificates").get_by_role("link", name="PDF").first.click()
    assert download.value.suggested_filename.endswith(".pdf")


def test_the_coordinator_finds_a_trainer_and_opens_those_she_certified(page):
    sign_in(page, "koordynator.cherkasy@cascade.demo")
    page.locator("nav").get_by_role("link", name="Каскад").click()
    expect(page.get_by_test_id("generations")).to_be_visible()
    page.fill("input[name=q]", "Мельник")
    page.get_by_role("button", name="Знайти").click()
    page.get_by_test_id("found").get_by_role("link").first.click()
    expect(page.get_by_test_id("generation")).to_contain_text("Покоління 1")
    children = page.get_by_test_id("children").get_by_role("link")
    expect(children).to_have_count(4)
    screenshot(page, "cascade-trainer")
    children.first.click()
    expect(page.get_by_test_id("generation")).to_contain_text("Покоління 2")
