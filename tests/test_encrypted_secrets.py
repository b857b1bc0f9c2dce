"""Two-factor secrets are encrypted at rest with the app's key (lms.core.encryption): the
database holds Fernet tokens, codes still verify, a wrong key fails loudly, keys rotate, and
migration 0014 encrypts the secrets of an existing database in place."""

import time
from contextlib import contextmanager

import pyotp
import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from flask_migrate import downgrade, upgrade

from lms import create_app
from lms.accounts import two_factor
from lms.accounts.models import User
from lms.config import load_config
from lms.core.encryption import EncryptionKeyError, _derive
from lms.extensions import db as _db
from tests import factories
from tests.conftest import app_config, drop_postgres_database, make_database_url

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
OLD_KEY = "old-key-" + "o" * 40
NEW_KEY = "new-key-" + "n" * 40


def stored_secret(user_id: int) -> str | None:
    """The column as the database holds it, read past the model's type."""
    users = sa.table("users", sa.column("id"), sa.column("totp_secret", sa.Text))
    return _db.session.execute(sa.select(users.c.totp_secret).where(users.c.id == user_id)).scalar_one()


def next_code(secret: str = SECRET) -> str:
    """The code of the next time step: one the enrolment has not used yet."""
    return pyotp.TOTP(secret).at(time.time() + 30)


@contextmanager
def encryption_key(app, value: str):
    before = app.config.get("ENCRYPTION_KEY", "")
    app.config["ENCRYPTION_KEY"] = value
    try:
        yield
    finally:
        app.config["ENCRYPTION_KEY"] = before


def enrolled(db) -> User:
    user = factories.UserFactory(roles=["admin"])
    two_factor.enable(user, SECRET, pyotp.TOTP(SECRET).now())
    db.session.flush()
    return user


def reloaded(db, user: User) -> User:
    db.session.expire(user)
    return db.session.get(User, user.id)


def test_the_database_holds_a_token_and_the_code_still_verifies(app, db):
    user = enrolled(db)
    token = stored_secret(user.id)
    assert token != SECRET and SECRET not in token and token.startswith("gAAAAA")  # a Fernet token
    # Without LMS_ENCRYPTION_KEY the key derives from SECRET_KEY.
    assert Fernet(_derive(app.config["SECRET_KEY"])).decrypt(token.encode()).decode() == SECRET
    user = reloaded(db, user)
    assert user.totp_secret == SECRET
    assert two_factor.verify(user, next_code())
    assert not two_factor.verify(user, "123456")


def test_the_same_secret_gives_a_different_token_each_time(app, db):
    first, second = enrolled(db), enrolled(db)
    assert stored_secret(first.id) != stored_secret(second.id)


def test_a_wrong_key_fails_loudly_rather_than_reading_no_secret(app, db):
    user = enrolled(db)
    with encryption_key(app, NEW_KEY):
        db.session.expire(user)
        with pytest.raises(EncryptionKeyError, match="LMS_ENCRYPTION_KEY"):
            _ = user.totp_secret
    assert reloaded(db, user).totp_secret == SECRET


def test_a_rotated_key_still_decrypts_and_reencrypt_moves_secrets_to_the_new_key(app, db):
    with encryption_key(app, OLD_KEY):
        user = enrolled(db)
    user_id = user.id  # read now: the command's commit expires her
    old_token = stored_secret(user_id)
    with encryption_key(app, f"{NEW_KEY}, {OLD_KEY}"):
        assert reloaded(db, user).totp_secret == SECRET  # the old key, second, still decrypts
        assert two_factor.verify(user, next_code())
        result = app.test_cli_runner().invoke(args=["keys", "reencrypt"])
        assert result.exit_code == 0, result.output
        assert "1 value(s)" in result.output
    new_token = stored_secret(user_id)
    assert new_token != old_token
    assert Fernet(_derive(NEW_KEY)).decrypt(new_token.encode()).decode() == SECRET
    with encryption_key(app, NEW_KEY):  # the old key can leave the list now
        assert reloaded(db, user).totp_secret == SECRET
    with encryption_key(app, OLD_KEY), pytest.raises(EncryptionKeyError):
        reloaded(db, user).totp_secret  # noqa: B018


def test_turning_two_factor_off_clears_the_stored_secret(app, db):
    user = enrolled(db)
    two_factor.disable(user, by=user)
    db.session.flush()
    assert stored_secret(user.id) is None


@pytest.mark.parametrize("value", ["short", f"{NEW_KEY},too-short"])
def test_a_short_encryption_key_stops_the_app_from_starting(monkeypatch, tmp_path, value):
    monkeypatch.setenv("LMS_ENCRYPTION_KEY", value)
    with pytest.raises(RuntimeError, match="LMS_ENCRYPTION_KEY needs 32 characters"):
        load_config(str(tmp_path))
    monkeypatch.setenv("LMS_ENCRYPTION_KEY", f"{NEW_KEY}, {OLD_KEY}")
    assert load_config(str(tmp_path))["ENCRYPTION_KEY"] == f"{NEW_KEY}, {OLD_KEY}"


def test_migration_0014_encrypts_existing_secrets_in_place_and_back(backend, tmp_path):
    url = make_database_url(backend, tmp_path, "totp")
    application = create_app(app_config(url, tmp_path))
    run = _db.session.execute
    try:
        with application.app_context():
            upgrade(revision="0013")
            run(
                sa.text(
                    "INSERT INTO users (email, full_name, full_name_latin, surname, sort_name, position, "
                    "active, locale, session_nonce, search_text, totp_secret, totp_enabled_at, "
                    "totp_last_step, created_at, updated_at) VALUES ('koord@example.org', 'Олена Шевченко', "
                    "'', 'Шевченко', 'Шевченко Олена', '', true, 'uk', 'x', '', :secret, CURRENT_TIMESTAMP, "
                    "0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                ),
                {"secret": SECRET},
            )
            run(
                sa.text(
                    "INSERT INTO users (email, full_name, full_name_latin, surname, sort_name, position, "
                    "active, locale, session_nonce, search_text, totp_last_step, created_at, updated_at) "
                    "VALUES ('p@example.org', 'Без Двофакторної', '', '', '', '', true, 'uk', 'y', '', 0, "
                    "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
            user_id = run(sa.text("SELECT id FROM users WHERE email = 'koord@example.org'")).scalar_one()
            # A row that refers to her: SQLite rebuilds the users table, and her references stay.
            run(
                sa.text(
                    "INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_at, expires_at) "
                    "VALUES (:user_id, 'script', 'hash', 'lms_', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                ),
                {"user_id": user_id},
            )
            _db.session.commit()

            upgrade()
            token = stored_secret(user_id)
            assert token.startswith("gAAAAA") and SECRET not in token
            assert (
                run(sa.text("SELECT totp_secret FROM users WHERE email = 'p@example.org'")).scalar() is None
            )
            assert run(sa.text("SELECT user_id FROM api_tokens")).scalar_one() == user_id
            user = _db.session.get(User, user_id)
            assert user.totp_secret == SECRET
            assert two_factor.verify(user, pyotp.TOTP(SECRET).now())
            _db.session.commit()

            downgrade(revision="0013")
            assert stored_secret(user_id) == SECRET
            _db.session.commit()
            upgrade()
            assert _db.session.get(User, user_id).totp_secret == SECRET
            _db.session.remove()
            _db.engine.dispose()
    finally:
        if backend == "postgresql":
            drop_postgres_database(url)
