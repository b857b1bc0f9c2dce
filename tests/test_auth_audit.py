"""Audit entries for sign-in success and failure, sign-out, role and password changes."""

from lms.accounts import services
from lms.core.models import AuditEvent
from tests import factories
from tests.conftest import sign_in


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
    from tests.conftest import api_headers

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
