"""A coordinator sets up two-factor sign-in by scanning the QR code, then signs in with a code."""

import uuid

import pyotp
import pytest
from sqlalchemy import select

from lms.accounts import services
from lms.extensions import db
from lms.org.models import Region
from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def fresh_coordinator(live_app):
    """A coordinator of her own, so the demo accounts keep signing in with the password alone."""
    with live_app.app_context():
        email = f"koord-2fa-{uuid.uuid4().hex[:8]}@example.org"
        region = db.session.scalar(select(Region).where(Region.code == "UA-71"))
        services.create_user(
            by=None,
            email=email,
            full_name="Ірина Савчук",
            roles=["coordinator"],
            password="cascade-demo",
            region_ids=[region.id],
        )
        db.session.commit()
        db.session.remove()
    return email


def test_coordinator_enrols_and_signs_in_with_a_recovery_code(page, fresh_coordinator):
    sign_in(page, fresh_coordinator)
    page.get_by_test_id("user-menu").click()
    page.get_by_role("link", name="Двофакторний вхід").click()
    page.wait_for_url("**/account/two-factor")
    assert page.get_by_test_id("totp-qr").locator("svg").is_visible()
    screenshot(page, "two-factor-setup-uk")
    secret = page.get_by_test_id("totp-secret").inner_text()
    page.fill("input[name=code]", pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Увімкнути двофакторний вхід").click()
    codes = page.get_by_test_id("recovery-codes").locator("li").all_inner_texts()
    assert len(codes) == 10

    page.get_by_test_id("user-menu").click()
    page.get_by_role("button", name="Вийти").click()
    page.wait_for_url("**/login")

    page.fill("input[name=email]", fresh_coordinator)
    page.fill("input[name=password]", "cascade-demo")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/login/code**")
    page.fill("input[name=code]", "000000")
    page.click("main form button[type=submit]")
    assert page.get_by_text("Цей код недійсний. Спробуйте поточний.").first.is_visible()
    page.fill("input[name=code]", codes[0])
    page.click("main form button[type=submit]")
    page.wait_for_url("**/")
    assert page.get_by_test_id("user-menu").inner_text() == "Ірина Савчук"
