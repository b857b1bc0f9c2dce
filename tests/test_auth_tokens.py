"""Finding 8: a person's API tokens end with a password change, a reset and deactivation,
and reactivation does not bring them back."""

from lms.accounts import services, signin
from lms.accounts.signin import _reset_serializer
from tests import factories
from tests.conftest import api_headers, sign_in


def works(client, headers) -> bool:
    return client.get("/api/v1/me", headers=headers).status_code == 200


def test_password_change_revokes_tokens(client, db):
    user = factories.UserFactory()
    headers = api_headers(user)
    assert works(client, headers)
    sign_in(client, user)
    client.post(
        "/account/password",
        data={
            "current_password": factories.PASSWORD,
            "new_password": "a new long secret",
            "confirm": "a new long secret",
        },
    )
    assert not works(client, headers)


def test_password_reset_revokes_tokens(client, db):
    user = factories.UserFactory()
    headers = api_headers(user)
    token = _reset_serializer().dumps({"id": user.id, "n": user.session_nonce})
    client.post(
        f"/password/reset/{token}", data={"password": "a new long secret", "confirm": "a new long secret"}
    )
    assert not works(client, headers)


def test_admin_setting_a_password_revokes_tokens(client, db, admin):
    user = factories.UserFactory()
    headers = api_headers(user)
    signin.set_new_password(user, "a new long secret", by=admin, action="user.password_set")
    assert not works(client, headers)


def test_deactivation_revokes_tokens_and_reactivation_does_not_restore_them(client, db, admin):
    user = factories.UserFactory()
    headers = api_headers(user)
    admin_headers = api_headers(admin)
    assert (
        client.patch(f"/api/v1/users/{user.id}", json={"active": False}, headers=admin_headers).status_code
        == 200
    )
    assert not works(client, headers)
    assert (
        client.patch(f"/api/v1/users/{user.id}", json={"active": True}, headers=admin_headers).status_code
        == 200
    )
    assert not works(client, headers)
    assert all(token.revoked_at is not None for token in services.list_tokens(user))
    # A new token after reactivation works.
    assert works(client, api_headers(user))


def test_other_peoples_tokens_survive(client, db, admin):
    user = factories.UserFactory()
    bystander = factories.UserFactory()
    headers = api_headers(bystander)
    signin.set_new_password(user, "a new long secret", by=admin, action="user.password_set")
    assert works(client, headers)
