"""Two-factor sign-in: enrolment with a QR code, codes at sign-in and for API tokens, recovery
codes, and the programme's requirement for admins and coordinators."""

import re

import pyotp
import pytest

from lms.accounts import two_factor
from lms.core.models import AuditEvent
from tests import factories
from tests.conftest import sign_in

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def actions(db) -> list[str]:
    return [event.action for event in db.session.query(AuditEvent).order_by(AuditEvent.id)]


@pytest.fixture
def coordinator(db):
    return factories.UserFactory(email="koord@example.org", roles=["coordinator"])


@pytest.fixture
def enrolled(db, coordinator):
    """The coordinator with two-factor on; her recovery codes are on ``coordinator.codes``."""
    coordinator.codes = two_factor.enable(coordinator, SECRET, pyotp.TOTP(SECRET).now())
    coordinator.totp_last_step = 0  # the enrolment code may be used once more in the tests
    db.session.flush()
    return coordinator


def password_step(client, remember=False):
    data = {"email": "koord@example.org", "password": factories.PASSWORD}
    if remember:
        data["remember"] = "y"
    return client.post("/login", data=data)


def test_coordinator_enrols_with_the_qr_code_and_gets_recovery_codes(client, db, coordinator):
    sign_in(client, coordinator)
    page = client.get("/account/two-factor")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<svg" in html
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', html).group(1)
    assert client.post("/account/two-factor", data={"code": "000000"}).status_code == 422
    response = client.post("/account/two-factor", data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 200
    codes = re.findall(r"<li>([0-9a-f]{5}-[0-9a-f]{5})</li>", response.get_data(as_text=True))
    assert len(codes) == two_factor.RECOVERY_CODE_COUNT
    assert coordinator.two_factor_enabled
    assert "user.two_factor_enable" in actions(db)


def test_participant_has_no_two_factor_page(client, db):
    sign_in(client, factories.UserFactory())
    assert client.get("/account/two-factor").status_code == 404


def test_sign_in_asks_for_the_code_after_the_password(app, db, enrolled):
    client = app.test_client()
    response = password_step(client)
    assert response.status_code == 302 and "/login/code" in response.headers["Location"]
    assert client.get("/").status_code == 302  # not signed in yet
    assert client.post("/login/code", data={"code": "123456"}).status_code == 422
    assert client.post("/login/code", data={"code": pyotp.TOTP(SECRET).now()}).status_code == 302
    assert client.get("/").status_code == 200
    assert actions(db)[-2:] == ["user.sign_in_failed", "user.sign_in"]


def test_an_authenticator_code_works_only_once(app, db, enrolled):
    code = pyotp.TOTP(SECRET).now()
    first = app.test_client()
    password_step(first)
    assert first.post("/login/code", data={"code": code}).status_code == 302
    second = app.test_client()
    password_step(second)
    assert second.post("/login/code", data={"code": code}).status_code == 422


def test_a_recovery_code_signs_in_once(app, db, enrolled):
    code = enrolled.codes[0]
    client = app.test_client()
    password_step(client)
    assert client.post("/login/code", data={"code": code.upper()}).status_code == 302
    again = app.test_client()
    password_step(again)
    assert again.post("/login/code", data={"code": code}).status_code == 422
    assert two_factor.unused_recovery_codes(enrolled) == two_factor.RECOVERY_CODE_COUNT - 1
    assert "user.recovery_code_used" in actions(db)


def test_wrong_codes_count_against_the_sign_in_limit(app, db, enrolled):
    client = app.test_client()
    password_step(client)
    for _ in range(app.config["LOGIN_THROTTLE_MAX_FAILURES"]):
        assert client.post("/login/code", data={"code": "000000"}).status_code == 422
    response = client.post("/login/code", data={"code": pyotp.TOTP(SECRET).now()})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert client.get("/").status_code == 302


def test_the_code_step_without_the_password_step_goes_back_to_sign_in(client, db, enrolled):
    response = client.post("/login/code", data={"code": pyotp.TOTP(SECRET).now()})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")


def test_api_token_for_a_two_factor_person_needs_the_code(client, db, enrolled):
    data = {"email": "koord@example.org", "password": factories.PASSWORD}
    response = client.post("/api/v1/auth/tokens", json=data)
    assert response.status_code == 422
    assert "otp" in response.json["error"]["fields"]
    assert client.post("/api/v1/auth/tokens", json=dict(data, otp="000000")).status_code == 422
    response = client.post("/api/v1/auth/tokens", json=dict(data, otp=pyotp.TOTP(SECRET).now()))
    assert response.status_code == 201 and response.json["token"].startswith("lms_")


def test_token_page_asks_a_two_factor_person_for_the_code(client, db, enrolled):
    sign_in(client, enrolled)
    response = client.post("/account/tokens", data={"name": "звіти"})
    assert 'data-testid="new-token"' not in response.get_data(as_text=True)
    response = client.post("/account/tokens", data={"name": "звіти", "code": pyotp.TOTP(SECRET).now()})
    assert 'data-testid="new-token"' in response.get_data(as_text=True)


def test_admin_requires_two_factor_and_coordinator_must_set_it_up(client, db, admin, coordinator):
    sign_in(client, admin)
    assert client.post("/admin/security", data={"require_two_factor": "y"}).status_code == 302
    assert two_factor.current_settings().require_two_factor
    assert "security.two_factor_required" in actions(db)
    other = client.application.test_client()
    sign_in(other, coordinator)
    response = other.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/two-factor")
    assert other.get("/account/two-factor").status_code == 200
    # A trainer is not asked.
    trainer_client = client.application.test_client()
    sign_in(trainer_client, factories.UserFactory(roles=["trainer"]))
    assert trainer_client.get("/").status_code == 200
    # Nor can the coordinator get an API token around it.
    response = other.post(
        "/api/v1/auth/tokens", json={"email": "koord@example.org", "password": factories.PASSWORD}
    )
    assert response.status_code == 403


def test_required_two_factor_cannot_be_turned_off_by_the_person(client, db, admin, enrolled):
    two_factor.set_required(True, by=admin)
    sign_in(client, enrolled)
    response = client.post(
        "/account/two-factor", data={"code": pyotp.TOTP(SECRET).now(), "action": "disable"}
    )
    assert response.status_code == 422
    assert enrolled.two_factor_enabled


def test_person_turns_two_factor_off_with_a_code(client, db, enrolled):
    sign_in(client, enrolled)
    response = client.post(
        "/account/two-factor", data={"code": pyotp.TOTP(SECRET).now(), "action": "disable"}
    )
    assert response.status_code == 302
    assert not enrolled.two_factor_enabled
    assert two_factor.unused_recovery_codes(enrolled) == 0
    assert "user.two_factor_disable" in actions(db)


def test_only_admins_open_the_security_settings(client, db, coordinator):
    sign_in(client, coordinator)
    assert client.get("/admin/security").status_code == 403
    assert client.post("/admin/security", data={"require_two_factor": "y"}).status_code == 403
    assert not two_factor.current_settings().require_two_factor


def test_admin_resets_a_lost_phone(client, db, admin, enrolled):
    sign_in(client, admin)
    assert client.post(f"/admin/users/{enrolled.id}/two-factor/reset").status_code == 302
    assert not enrolled.two_factor_enabled


def test_demo_policy_is_seeded_once_and_does_not_require_two_factor(db):
    from lms.accounts.models import SecuritySettings
    from seed import security

    security.load([])
    security.load([])
    assert db.session.query(SecuritySettings).count() == 1
    assert not two_factor.current_settings().require_two_factor


@pytest.fixture
def small_address_limit(app):
    before = app.config["LOGIN_THROTTLE_MAX_PER_IP"]
    app.config["LOGIN_THROTTLE_MAX_PER_IP"] = 4
    yield 4
    app.config["LOGIN_THROTTLE_MAX_PER_IP"] = before


def test_a_wrong_code_is_audited_on_the_person_and_counts_for_her_account_and_address(
    app, db, enrolled, small_address_limit
):
    factories.UserFactory(email="taras@example.org")
    client = app.test_client()
    here = {"REMOTE_ADDR": "203.0.113.7"}
    client.post(
        "/login", data={"email": "koord@example.org", "password": factories.PASSWORD}, environ_base=here
    )
    for _ in range(small_address_limit):
        assert client.post("/login/code", data={"code": "000000"}, environ_base=here).status_code == 422
    failed = db.session.query(AuditEvent).filter_by(action="user.sign_in_failed").all()
    assert {(e.actor_id, e.object_id, e.details["email"], e.details["reason"]) for e in failed} == {
        (None, enrolled.id, "koord@example.org", "second_factor")
    }
    assert len(failed) == small_address_limit
    other = app.test_client()
    taras = {"email": "taras@example.org", "password": factories.PASSWORD}
    assert other.post("/login", data=taras, environ_base=here).status_code == 429  # the address is spent
    # Her account has one try left (4 of 5); one more wrong code elsewhere spends it.
    assert client.post("/login/code", data={"code": "000000"}).status_code == 422
    assert password_step(app.test_client()).status_code == 429


def test_api_token_requests_count_wrong_passwords_and_codes_against_the_address(
    app, db, enrolled, small_address_limit
):
    here = {"REMOTE_ADDR": "203.0.113.7"}
    factories.UserFactory(email="taras@example.org")
    client = app.test_client()
    for email in ("one@example.org", "two@example.org"):
        wrong = {"email": email, "password": "guess"}
        assert client.post("/api/v1/auth/tokens", json=wrong, environ_base=here).status_code == 422
    for _ in range(small_address_limit - 2):
        wrong_code = {"email": "koord@example.org", "password": factories.PASSWORD, "otp": "000000"}
        assert client.post("/api/v1/auth/tokens", json=wrong_code, environ_base=here).status_code == 422
    taras = {"email": "taras@example.org", "password": factories.PASSWORD}
    assert client.post("/api/v1/auth/tokens", json=taras, environ_base=here).status_code == 429
    assert client.post("/api/v1/auth/tokens", json=taras).status_code == 201
