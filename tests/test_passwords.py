"""Password policy: 8 to 128 characters, not a common password, no composition rules; scrypt."""

import pytest

from lms.accounts import passwords
from lms.core.errors import ValidationError
from tests import factories
from tests.conftest import sign_in


@pytest.mark.parametrize("password", ["x" * 7, "y" * 129, "", "baseball", "FOOTBALL", "password123"])
def test_refused_passwords(password):
    with pytest.raises(ValidationError) as error:
        passwords.check_strength(password)
    assert "password" in error.value.fields


@pytest.mark.parametrize("password", ["зоря2026", "дуже довга фраза", "y" * 128, "onlylowercaseletters"])
def test_accepted_passwords_need_no_digits_or_symbols(password):
    passwords.check_strength(password)


def test_the_list_holds_ten_thousand_common_passwords():
    common = passwords.common_passwords()
    assert len(common) == 10_000
    assert {"password", "12345678", "iloveyou", "sunshine"} <= common
    assert all(len(word) >= passwords.MIN_LENGTH for word in common)


def test_production_hash_is_scrypt_with_stated_parameters():
    # Outside an app (and in production, where nothing overrides it) the method is scrypt.
    assert passwords.hash_password("a long passphrase").startswith("scrypt:32768:8:1$")


def test_changing_to_a_common_password_is_refused_on_the_page(client, db):
    user = factories.UserFactory()
    sign_in(client, user)
    with client.session_transaction() as session:
        session["lang"] = "en"
    response = client.post(
        "/account/password",
        data={"current_password": factories.PASSWORD, "new_password": "sunshine1", "confirm": "sunshine1"},
    )
    assert response.status_code == 200
    assert "among the most common" in response.get_data(as_text=True)
    assert user.check_password(factories.PASSWORD)


def test_admin_cannot_create_a_person_with_a_too_long_password(client, db, admin):
    from tests.conftest import api_headers

    response = client.post(
        "/api/v1/users",
        json={"email": "long@example.org", "full_name": "Довгий Пароль", "password": "z" * 129},
        headers=api_headers(admin),
    )
    assert response.status_code == 422
    assert "password" in response.json["error"]["fields"]
