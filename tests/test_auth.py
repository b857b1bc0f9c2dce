"""Signing in and out, throttling, password reset and change, deactivation."""

import email
import email.policy
import re
from datetime import timedelta

import pytest
import time_machine
from flask import current_app
from itsdangerous import URLSafeTimedSerializer

from lms.accounts import signin
from lms.core.db import utcnow
from lms.core.errors import ValidationError
from lms.core.models import AuditEvent
from tests import factories
from tests.conftest import sign_in


def login(client, email, password):
    return client.post("/login", data={"email": email, "password": password})


def test_person_signs_in_and_out(client, db):
    user = factories.UserFactory(email="olena@example.org")
    response = login(client, "olena@example.org", factories.PASSWORD)
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert user.full_name in client.get("/").get_data(as_text=True)
    client.post("/logout")
    assert client.get("/").headers["Location"].endswith("/login")


def test_sign_in_returns_only_to_a_page_of_this_site(client, db):
    factories.UserFactory(email="olena@example.org")
    data = {"email": "olena@example.org", "password": factories.PASSWORD}
    assert client.post("/login?next=/account/tokens", data=data).headers["Location"] == "/account/tokens"
    client.post("/logout")
    # Browsers drop tabs and newlines from a URL: "/<TAB>/evil.example" is "//evil.example".
    for crafted in ("//evil.example/", "/%09/evil.example/", "/%0d/evil.example/", "/%0a/evil.example/"):
        response = client.post(f"/login?next={crafted}", data=data)
        assert response.status_code == 302 and response.headers["Location"] == "/", crafted
        client.post("/logout")


def test_wrong_password_and_unknown_email_get_the_same_answer(client, db):
    factories.UserFactory(email="olena@example.org")
    wrong = login(client, "olena@example.org", "not the password")
    unknown = login(client, "nobody@example.org", "not the password")
    assert wrong.status_code == unknown.status_code == 422
    message = "Wrong email or password."
    with client.session_transaction() as session:
        session["lang"] = "en"
    wrong = login(client, "olena@example.org", "not the password").get_data(as_text=True)
    unknown = login(client, "nobody@example.org", "not the password").get_data(as_text=True)
    assert message in wrong and message in unknown


def test_repeated_failed_sign_ins_are_throttled(client, db, app):
    factories.UserFactory(email="olena@example.org")
    limit = app.config["LOGIN_THROTTLE_MAX_FAILURES"]
    for _ in range(limit):
        assert login(client, "olena@example.org", "guess").status_code == 422
    # Even the right password is refused while the account is throttled.
    assert login(client, "olena@example.org", factories.PASSWORD).status_code == 429
    reasons = [
        e.details["reason"] for e in db.session.query(AuditEvent).filter_by(action="user.sign_in_failed")
    ]
    assert reasons == ["password"] * limit + ["throttled"]


def test_deactivated_person_loses_the_session_at_the_next_request(client, db, admin):
    user = factories.UserFactory()
    sign_in(client, user)
    assert client.get("/").status_code == 200
    sign_in(client, admin)
    client.post(f"/admin/users/{user.id}/active", data={"active": "0"})
    assert user.active is False
    other = client.application.test_client()
    sign_in(other, user)
    assert other.get("/").status_code == 302


def test_password_reset_by_emailed_link(client, db, mail_dir):
    user = factories.UserFactory(email="reset@example.org")
    before = set(mail_dir.glob("*.eml")) if mail_dir.exists() else set()
    response = client.post("/password/forgot", data={"email": "reset@example.org"})
    assert response.status_code == 302
    new_mail = set(mail_dir.glob("*.eml")) - before
    assert len(new_mail) == 1
    message = email.message_from_bytes(new_mail.pop().read_bytes(), policy=email.policy.default)
    assert message["To"] == "reset@example.org"
    assert message["Subject"] in ("Reset your Cascade LMS password", "Відновлення пароля в Cascade LMS")
    body = message.get_body().get_content()
    link = re.search(r"https?://\S+/password/reset/(\S+)", body)
    assert link, body
    path = "/password/reset/" + link.group(1)
    response = client.post(path, data={"password": "a brand new password", "confirm": "a brand new password"})
    assert response.status_code == 302
    assert user.check_password("a brand new password")
    # The link works once.
    assert client.get(path).status_code == 302


def test_reset_for_unknown_email_says_the_same_and_sends_nothing(client, db, mail_dir):
    before = set(mail_dir.glob("*.eml")) if mail_dir.exists() else set()
    response = client.post("/password/forgot", data={"email": "nobody@example.org"}, follow_redirects=True)
    assert response.status_code == 200
    after = set(mail_dir.glob("*.eml")) if mail_dir.exists() else set()
    assert after == before


def test_change_password_signs_out_other_sessions(client, app, db):
    user = factories.UserFactory()
    sign_in(client, user)
    other = app.test_client()
    sign_in(other, user)
    response = client.post(
        "/account/password",
        data={
            "current_password": factories.PASSWORD,
            "new_password": "another long password",
            "confirm": "another long password",
        },
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert other.get("/").status_code == 302


def test_change_password_with_wrong_current_password_shows_the_field_error(client, db):
    user = factories.UserFactory()
    sign_in(client, user)
    with client.session_transaction() as session:
        session["lang"] = "en"
    response = client.post(
        "/account/password",
        data={
            "current_password": "nope",
            "new_password": "another long password",
            "confirm": "another long password",
        },
    )
    assert response.status_code == 200
    assert "This is not your current password." in response.get_data(as_text=True)


def reset_token(user, salt="password-reset") -> str:
    serializer = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)
    return serializer.dumps({"id": user.id, "n": user.session_nonce})


def test_a_reset_link_older_than_two_hours_is_refused(client, db, app):
    user = factories.UserFactory()
    start = utcnow()
    with time_machine.travel(start, tick=False) as clock:
        token = reset_token(user)
        clock.move_to(start + timedelta(seconds=app.config["PASSWORD_RESET_MAX_AGE"] - 1))
        assert signin.user_for_reset_token(token) == user
        clock.move_to(start + timedelta(seconds=app.config["PASSWORD_RESET_MAX_AGE"] + 1))
        with pytest.raises(ValidationError, match="минув"):
            signin.user_for_reset_token(token)
        assert client.get(f"/password/reset/{token}").headers["Location"].endswith("/password/forgot")


def test_a_token_signed_for_another_purpose_or_shape_is_not_a_reset_link(client, db):
    user = factories.UserFactory()
    welcome = reset_token(user, salt="set-password")
    unsalted = URLSafeTimedSerializer(current_app.config["SECRET_KEY"]).dumps(
        {"id": user.id, "n": user.session_nonce}
    )
    a_list = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset").dumps([user.id])
    for token in (welcome, unsalted, a_list):
        with pytest.raises(ValidationError):
            signin.user_for_reset_token(token)
        assert client.get(f"/password/reset/{token}").status_code == 302


def test_no_reset_link_is_sent_to_a_deactivated_or_unknown_account(db, mail_dir):
    factories.UserFactory(email="gone@example.org", active=False)
    before = set(mail_dir.glob("*.eml")) if mail_dir.exists() else set()
    assert signin.send_password_reset("gone@example.org") is False
    assert signin.send_password_reset("nobody@example.org") is False
    after = set(mail_dir.glob("*.eml")) if mail_dir.exists() else set()
    assert after == before
    assert db.session.query(AuditEvent).filter_by(action="user.password_reset_requested").count() == 0


def test_a_too_short_password_in_a_reset_is_refused_on_the_password_field(db):
    user = factories.UserFactory()
    with pytest.raises(ValidationError) as refused:
        signin.reset_password(reset_token(user), "short")
    assert set(refused.value.fields) == {"password"}
    assert user.check_password(factories.PASSWORD)
