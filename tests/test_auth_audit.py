"""Audit entries for sign-in success and failure, sign-out, role and password changes."""

import pytest

from lms.accounts import services, signin
from lms.accounts.models import UserSession
from lms.core.db import utcnow
from lms.core.errors import ValidationError
from lms.core.models import AuditEvent
from tests import factories
from tests.conftest import api_headers, sign_in


def events(db, action):
    return db.session.query(AuditEvent).filter_by(action=action).order_by(AuditEvent.id).all()


def test_sign_in_success_failure_and_sign_out_are_audited(client, db):
    user = factories.UserFactory(email="olena@example.org")
    client.post("/login", data={"email": "olena@example.org", "password": "wrong one"})
    client.post("/login", data={"email": "nobody@example.org", "password": "wrong one"})
    client.post("/login", data={"email": "olena@example.org", "password": factories.PASSWORD})
    client.post("/logout")
    failed = events(db, "user.sign_in_failed")
    assert [(e.object_id, e.details["email"], e.details["reason"]) for e in failed] == [
        (user.id, "olena@example.org", "password"),
        (None, "nobody@example.org", "password"),
    ]
    assert all(e.actor_id is None and e.ip for e in failed)
    [success] = events(db, "user.sign_in")
    assert success.actor_id == user.id and success.ip == "127.0.0.1"
    assert [e.actor_id for e in events(db, "user.sign_out")] == [user.id]


def test_role_changes_are_audited_with_before_and_after(db, admin):
    user = factories.UserFactory(roles=["participant"])
    services.update_user(user, by=admin, roles=["participant", "trainer"])
    services.update_user(user, by=admin, roles=["participant", "trainer"])  # no change, no entry
    [event] = events(db, "user.roles_change")
    assert event.actor_id == admin.id and event.object_id == user.id
    assert event.details == {"before": ["participant"], "after": ["participant", "trainer"]}


def test_password_change_is_audited_with_revoked_tokens(client, db):
    user = factories.UserFactory()
    api_headers(user)
    sign_in(client, user)
    client.post(
        "/account/password",
        data={
            "current_password": factories.PASSWORD,
            "new_password": "a new long secret",
            "confirm": "a new long secret",
        },
    )
    [event] = events(db, "user.password_change")
    assert event.actor_id == user.id and event.details == {"tokens_revoked": 1}


def test_a_sign_in_names_the_person_her_choice_to_stay_signed_in_and_her_address(client, db):
    user = factories.UserFactory(email="olena@example.org")
    before = utcnow()
    data = {"email": "Olena@Example.ORG", "password": factories.PASSWORD, "remember": "y"}
    client.post("/login", data=data, environ_base={"REMOTE_ADDR": "198.51.100.4"})
    [event] = events(db, "user.sign_in")
    assert (event.actor_id, event.object_id, event.details) == (user.id, user.id, {"remember": True})
    [session] = db.session.query(UserSession).filter_by(user_id=user.id).all()
    assert (session.remember, session.ip) == (True, "198.51.100.4")
    assert user.last_login_at is not None and user.last_login_at >= before
    client.post("/logout")
    [out] = events(db, "user.sign_out")
    assert (out.actor_id, out.object_id, out.object_type) == (user.id, user.id, "users")


def test_failed_sign_ins_record_the_email_lowercase_and_at_most_254_characters(client, db):
    client.post("/login", data={"email": "Olena@Example.ORG", "password": "wrong one"})
    long_email = "a" * 250 + "@example.org"
    with pytest.raises(ValidationError):
        signin.authenticate(f"  {long_email.upper()} ", "wrong one", "192.0.2.5")
    assert [e.details["email"] for e in events(db, "user.sign_in_failed")] == [
        "olena@example.org",
        long_email[:254],
    ]


def test_a_throttled_sign_in_is_audited_with_the_email_and_no_person(client, db, app):
    factories.UserFactory(email="olena@example.org")
    for _ in range(app.config["LOGIN_THROTTLE_MAX_FAILURES"] + 1):
        client.post("/login", data={"email": "olena@example.org", "password": "guess"})
    throttled = [e for e in events(db, "user.sign_in_failed") if e.details["reason"] == "throttled"]
    assert [(e.actor_id, e.object_type, e.object_id, e.details) for e in throttled] == [
        (None, "", None, {"email": "olena@example.org", "reason": "throttled"})
    ]


def test_a_wrong_current_password_is_audited_as_a_failed_sign_in_of_the_account(client, db):
    user = factories.UserFactory(email="olena@example.org")
    sign_in(client, user)
    client.post(
        "/account/password",
        data={
            "current_password": "nope",
            "new_password": "a new long secret",
            "confirm": "a new long secret",
        },
    )
    [event] = events(db, "user.sign_in_failed")
    assert (event.actor_id, event.object_id, event.details) == (
        user.id,
        user.id,
        {"email": "olena@example.org", "reason": "password_change"},
    )
    assert events(db, "user.password_change") == []


def test_a_password_change_and_a_reset_are_audited_as_done_by_the_person(client, db):
    user = factories.UserFactory()
    api_headers(user)
    signin.change_password(user, factories.PASSWORD, "a new long secret", "192.0.2.5")
    [change] = events(db, "user.password_change")
    assert (change.actor_id, change.object_id, change.details) == (user.id, user.id, {"tokens_revoked": 1})
    token = signin._reset_serializer().dumps({"id": user.id, "n": user.session_nonce})
    signin.reset_password(token, "another long secret")
    [reset] = events(db, "user.password_reset")
    assert (reset.actor_id, reset.object_id, reset.details) == (user.id, user.id, {"tokens_revoked": 0})


def test_a_too_short_new_password_is_refused_on_the_field_the_person_typed_it_in(db):
    user = factories.UserFactory()
    with pytest.raises(ValidationError) as refused:
        signin.change_password(user, factories.PASSWORD, "short", "192.0.2.5")
    assert set(refused.value.fields) == {"new_password"}
    assert user.check_password(factories.PASSWORD)


def test_an_emailed_reset_link_is_audited_on_the_person(db, mail_dir):
    user = factories.UserFactory(email="olena@example.org")
    assert signin.send_password_reset("olena@example.org") is True
    [event] = events(db, "user.password_reset_requested")
    assert (event.actor_id, event.object_type, event.object_id) == (None, "users", user.id)
