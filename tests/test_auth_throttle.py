"""Sign-in throttling over time and per address (finding 2), and password reset throttling
per address and per account (finding 10)."""

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from lms.accounts import throttle
from lms.accounts.models import LoginThrottle
from lms.core.db import utcnow
from tests import factories
from tests.conftest import sign_in


def login(client, email, password, address="203.0.113.7"):
    return client.post(
        "/login", data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": address}
    )


def forgot(client, email, address="203.0.113.7"):
    return client.post("/password/forgot", data={"email": email}, environ_base={"REMOTE_ADDR": address})


def mails(mail_dir) -> set:
    return set(mail_dir.glob("*.eml")) if mail_dir.exists() else set()


@pytest.fixture
def small_address_limit(app):
    before = app.config["LOGIN_THROTTLE_MAX_PER_IP"]
    app.config["LOGIN_THROTTLE_MAX_PER_IP"] = 4
    yield 4
    app.config["LOGIN_THROTTLE_MAX_PER_IP"] = before


def test_failures_older_than_the_window_no_longer_count(client, db, app):
    factories.UserFactory(email="olena@example.org")
    limit = app.config["LOGIN_THROTTLE_MAX_FAILURES"]
    window = app.config["LOGIN_THROTTLE_WINDOW_SECONDS"]
    start = utcnow()
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(limit):
            assert login(client, "olena@example.org", "guess").status_code == 422
        clock.move_to(start + timedelta(seconds=window - 1))
        assert login(client, "olena@example.org", factories.PASSWORD).status_code == 429
        clock.move_to(start + timedelta(seconds=window + 1))
        assert login(client, "olena@example.org", factories.PASSWORD).status_code == 302


def test_one_below_the_account_limit_still_signs_in(client, db, app):
    factories.UserFactory(email="olena@example.org")
    limit = app.config["LOGIN_THROTTLE_MAX_FAILURES"]
    for _ in range(limit - 1):
        assert login(client, "olena@example.org", "guess").status_code == 422
    assert login(client, "olena@example.org", factories.PASSWORD).status_code == 302


def test_address_limit_boundary_across_accounts(client, db, app, small_address_limit):
    limit = small_address_limit
    factories.UserFactory(email="target@example.org")
    for i in range(limit - 1):
        assert login(client, f"someone{i}@example.org", "guess").status_code == 422
    # limit - 1 failures from this address: the next attempt is still checked.
    assert login(client, "target@example.org", factories.PASSWORD).status_code == 302
    client.post("/logout")
    assert login(client, "someone-else@example.org", "guess").status_code == 422
    # limit failures: this address is refused, even with the right password.
    assert login(client, "target@example.org", factories.PASSWORD).status_code == 429
    # Another address is not affected.
    assert login(client, "target@example.org", factories.PASSWORD, address="198.51.100.9").status_code == 302


def test_unknown_and_deactivated_accounts_are_throttled_like_real_ones(client, db, app):
    factories.UserFactory(email="gone@example.org", active=False)
    limit = app.config["LOGIN_THROTTLE_MAX_FAILURES"]
    for email in ("nobody@example.org", "gone@example.org"):
        for _ in range(limit):
            assert login(client, email, "guess", address="192.0.2.1").status_code == 422
        assert login(client, email, "guess", address="192.0.2.1").status_code == 429


def test_reset_requests_for_one_account_are_throttled(client, db, app, mail_dir):
    factories.UserFactory(email="reset@example.org")
    limit = app.config["PASSWORD_RESET_MAX_PER_ACCOUNT"]
    before = mails(mail_dir)
    for i in range(limit):
        assert forgot(client, "reset@example.org", address=f"192.0.2.{i + 10}").status_code == 302
    assert len(mails(mail_dir) - before) == limit
    # A new address does not help: the account's limit holds.
    assert forgot(client, "reset@example.org", address="192.0.2.99").status_code == 429
    assert len(mails(mail_dir) - before) == limit


def test_reset_requests_from_one_address_are_throttled(client, db, app, mail_dir):
    limit = app.config["PASSWORD_RESET_MAX_PER_ADDRESS"]
    factories.UserFactory(email="victim@example.org")
    for i in range(limit - 1):
        assert forgot(client, f"unknown{i}@example.org").status_code == 302
    before = mails(mail_dir)
    assert forgot(client, "victim@example.org").status_code == 302
    assert len(mails(mail_dir) - before) == 1
    assert forgot(client, "victim@example.org").status_code == 429
    assert len(mails(mail_dir) - before) == 1


def test_reset_throttle_resets_after_an_hour(client, db, app, mail_dir):
    factories.UserFactory(email="reset@example.org")
    limit = app.config["PASSWORD_RESET_MAX_PER_ACCOUNT"]
    start = utcnow()
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(limit):
            assert forgot(client, "reset@example.org").status_code == 302
        assert forgot(client, "reset@example.org").status_code == 429
        clock.move_to(start + timedelta(seconds=app.config["PASSWORD_RESET_WINDOW_SECONDS"] + 1))
        assert forgot(client, "reset@example.org").status_code == 302


def test_sign_ins_do_not_wipe_the_reset_counters(client, db, app):
    """Sign-in attempts clear old counters; the reset counters' longer window survives them."""
    factories.UserFactory(email="reset@example.org")
    limit = app.config["PASSWORD_RESET_MAX_PER_ACCOUNT"]
    start = utcnow()
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(limit):
            assert forgot(client, "reset@example.org").status_code == 302
        clock.move_to(start + timedelta(seconds=app.config["LOGIN_THROTTLE_WINDOW_SECONDS"] + 60))
        login(client, "someone@example.org", "guess")
        assert forgot(client, "reset@example.org").status_code == 429


def test_failures_at_exactly_the_end_of_the_window_still_count(client, db, app):
    factories.UserFactory(email="olena@example.org")
    limit = app.config["LOGIN_THROTTLE_MAX_FAILURES"]
    start = utcnow()
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(limit):
            assert login(client, "olena@example.org", "guess").status_code == 422
        clock.move_to(start + timedelta(seconds=app.config["LOGIN_THROTTLE_WINDOW_SECONDS"]))
        assert login(client, "olena@example.org", factories.PASSWORD).status_code == 429


def test_a_new_window_starts_counting_from_one(client, db, app):
    factories.UserFactory(email="olena@example.org")
    limit = app.config["LOGIN_THROTTLE_MAX_FAILURES"]
    start = utcnow()
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(limit):
            assert login(client, "olena@example.org", "guess").status_code == 422
        clock.move_to(start + timedelta(seconds=app.config["LOGIN_THROTTLE_WINDOW_SECONDS"] + 1))
        for _ in range(limit - 1):
            assert login(client, "olena@example.org", "guess").status_code == 422
        assert login(client, "olena@example.org", factories.PASSWORD).status_code == 302


def test_a_successful_sign_in_leaves_every_try_to_the_person(client, db, app):
    factories.UserFactory(email="olena@example.org")
    assert login(client, "olena@example.org", factories.PASSWORD).status_code == 302
    client.post("/logout")
    for _ in range(app.config["LOGIN_THROTTLE_MAX_FAILURES"] - 1):
        assert login(client, "olena@example.org", "guess").status_code == 422
    assert login(client, "olena@example.org", factories.PASSWORD).status_code == 302


def test_someone_elses_successful_sign_in_does_not_lift_a_throttled_account(client, db, app):
    factories.UserFactory(email="olena@example.org")
    factories.UserFactory(email="taras@example.org")
    for _ in range(app.config["LOGIN_THROTTLE_MAX_FAILURES"]):
        assert login(client, "olena@example.org", "guess").status_code == 422
    assert login(client, "taras@example.org", factories.PASSWORD, address="198.51.100.9").status_code == 302
    client.post("/logout")
    assert login(client, "olena@example.org", factories.PASSWORD).status_code == 429


def test_wrong_current_passwords_count_against_the_account_and_the_address(
    client, db, app, small_address_limit
):
    user = factories.UserFactory(email="olena@example.org")
    factories.UserFactory(email="taras@example.org")
    sign_in(client, user)
    wrong = {"current_password": "nope", "new_password": "a new long secret", "confirm": "a new long secret"}
    for _ in range(small_address_limit):
        client.post("/account/password", data=wrong, environ_base={"REMOTE_ADDR": "203.0.113.7"})
    other = app.test_client()
    # The address is spent for every account; the account's own count (4 of 5) is not.
    assert login(other, "taras@example.org", factories.PASSWORD).status_code == 429
    assert login(other, "olena@example.org", factories.PASSWORD, address="198.51.100.9").status_code == 302
    other.post("/logout")
    client.post("/account/password", data=wrong, environ_base={"REMOTE_ADDR": "192.0.2.44"})
    assert login(other, "olena@example.org", factories.PASSWORD, address="198.51.100.9").status_code == 429


def test_the_counters_are_named_by_purpose_and_hold_no_email(client, db):
    login(client, "olena@example.org", "guess")
    forgot(client, "olena@example.org")
    keys = set(db.session.scalars(select(LoginThrottle.key)))
    assert keys == {
        throttle.key("sign-in-account", "olena@example.org"),
        throttle.key("sign-in-address", "203.0.113.7"),
        throttle.key("reset-account", "olena@example.org"),
        throttle.key("reset-address", "203.0.113.7"),
    }
    assert not any("olena" in key for key in keys)


def test_expired_counters_are_deleted_at_the_next_sign_in(client, db, app):
    start = utcnow()
    with time_machine.travel(start, tick=False) as clock:
        login(client, "olena@example.org", "guess", address="192.0.2.1")
        longest = max(
            app.config["LOGIN_THROTTLE_WINDOW_SECONDS"], app.config["PASSWORD_RESET_WINDOW_SECONDS"]
        )
        clock.move_to(start + timedelta(seconds=longest + 1))
        login(client, "taras@example.org", "guess", address="192.0.2.2")
    assert set(db.session.scalars(select(LoginThrottle.key))) == {
        throttle.key("sign-in-account", "taras@example.org"),
        throttle.key("sign-in-address", "192.0.2.2"),
    }


def test_reset_counters_at_exactly_the_end_of_their_hour_survive_a_sign_in(client, db, app):
    factories.UserFactory(email="reset@example.org")
    start = utcnow()
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(app.config["PASSWORD_RESET_MAX_PER_ACCOUNT"]):
            assert forgot(client, "reset@example.org").status_code == 302
        clock.move_to(start + timedelta(seconds=app.config["PASSWORD_RESET_WINDOW_SECONDS"]))
        login(client, "someone@example.org", "guess")
        assert forgot(client, "reset@example.org").status_code == 429


def test_reset_requests_from_different_addresses_are_counted_apart(client, db, app):
    for i in range(app.config["PASSWORD_RESET_MAX_PER_ADDRESS"] + 2):
        assert forgot(client, f"unknown{i}@example.org", address=f"192.0.2.{i + 10}").status_code == 302
