"""Finding 4 and the timeouts: sessions end on the server, so copied cookies stop working."""

from datetime import timedelta

import pytest
import time_machine

from lms.accounts.models import User, UserSession
from lms.core.db import utcnow
from tests import factories
from tests.queries import count_queries

DATA = {"email": "olena@example.org", "password": factories.PASSWORD}


def signed_in_client(app, remember=False):
    client = app.test_client()
    data = dict(DATA, remember="y") if remember else DATA
    assert client.post("/login", data=data).status_code == 302
    return client


def copy_of(app, client, *names):
    """A second browser holding copies of ``client``'s cookies (an attacker's copy)."""
    other = app.test_client()
    for name in names:
        cookie = client.get_cookie(name)
        assert cookie is not None, name
        other.set_cookie(name, cookie.value)
    return other


def opens_home(client) -> bool:
    return client.get("/").status_code == 200


@pytest.fixture
def person(db):
    return factories.UserFactory(email="olena@example.org")


def test_a_session_cookie_copied_before_logout_opens_nothing_after(app, person):
    client = signed_in_client(app)
    stolen = copy_of(app, client, "session")
    assert opens_home(stolen)
    client.post("/logout")
    assert not opens_home(stolen)
    assert not opens_home(client)


def test_a_remember_me_cookie_copied_before_logout_opens_nothing_after(app, person):
    client = signed_in_client(app, remember=True)
    stolen = copy_of(app, client, "remember_token")
    assert opens_home(stolen)  # the remember-me cookie alone signs in while the session lives
    client.post("/logout")
    assert not opens_home(stolen)


def test_logout_ends_only_that_device(app, person):
    laptop = signed_in_client(app)
    phone = signed_in_client(app)
    laptop.post("/logout")
    assert opens_home(phone)


def test_password_change_ends_other_sessions_and_remember_me(app, db, person):
    laptop = signed_in_client(app)
    phone = signed_in_client(app, remember=True)
    phone_remember = copy_of(app, phone, "remember_token")
    response = laptop.post(
        "/account/password",
        data={
            "current_password": factories.PASSWORD,
            "new_password": "a new long secret",
            "confirm": "a new long secret",
        },
    )
    assert response.status_code == 302
    assert opens_home(laptop)
    assert not opens_home(phone)
    assert not opens_home(phone_remember)


def test_password_reset_ends_every_session(app, db, person):
    from lms.accounts.signin import _reset_serializer

    phone = signed_in_client(app, remember=True)
    stolen = copy_of(app, phone, "session", "remember_token")
    token = _reset_serializer().dumps({"id": person.id, "n": person.session_nonce})
    other = app.test_client()
    response = other.post(
        f"/password/reset/{token}", data={"password": "a new long secret", "confirm": "a new long secret"}
    )
    assert response.status_code == 302
    assert not opens_home(phone)
    assert not opens_home(stolen)


def test_deactivation_ends_sessions_and_reactivation_does_not_bring_them_back(app, db, person, admin):
    from tests.conftest import sign_in

    phone = signed_in_client(app, remember=True)
    stolen = copy_of(app, phone, "session", "remember_token")
    admin_client = app.test_client()
    sign_in(admin_client, admin)
    admin_client.post(f"/admin/users/{person.id}/active", data={"active": "0"})
    assert not opens_home(stolen)
    admin_client.post(f"/admin/users/{person.id}/active", data={"active": "1"})
    assert db.session.get(User, person.id).active
    assert not opens_home(stolen)
    assert not opens_home(phone)


def test_idle_session_ends_after_the_idle_timeout(app, person):
    idle = app.config["SESSION_IDLE_MINUTES"]
    start = utcnow()
    with time_machine.travel(start, tick=False) as clock:
        client = signed_in_client(app)
        clock.move_to(start + timedelta(minutes=idle - 1))
        assert opens_home(client)  # activity restarts the idle clock
        clock.move_to(start + timedelta(minutes=2 * idle - 2))
        assert opens_home(client)
        clock.move_to(start + timedelta(minutes=3 * idle))
        assert not opens_home(client)


def test_active_session_ends_at_the_absolute_timeout(app, person):
    hours = app.config["SESSION_MAX_HOURS"]
    step = timedelta(minutes=app.config["SESSION_IDLE_MINUTES"] - 5)
    start = utcnow()
    with time_machine.travel(start, tick=False) as clock:
        client = signed_in_client(app)
        moment = start
        while moment + step < start + timedelta(hours=hours):
            moment += step
            clock.move_to(moment)
            assert opens_home(client), moment - start
        clock.move_to(start + timedelta(hours=hours, minutes=1))
        assert not opens_home(client)


def test_remember_me_survives_idleness_until_its_own_end(app, person):
    days = app.config["REMEMBER_DAYS"]
    start = utcnow()
    with time_machine.travel(start, tick=False) as clock:
        client = signed_in_client(app, remember=True)
        browser_reopened = copy_of(app, client, "remember_token")
        clock.move_to(start + timedelta(days=days - 1))
        assert opens_home(browser_reopened)
        clock.move_to(start + timedelta(days=days, minutes=1))
        assert not opens_home(browser_reopened)


def test_timeouts_are_configurable(app, person):
    before = app.config["SESSION_IDLE_MINUTES"]
    app.config["SESSION_IDLE_MINUTES"] = 2
    try:
        start = utcnow()
        with time_machine.travel(start, tick=False) as clock:
            client = signed_in_client(app)
            clock.move_to(start + timedelta(minutes=3))
            assert not opens_home(client)
    finally:
        app.config["SESSION_IDLE_MINUTES"] = before


def _home_queries(app, db, sessions: int) -> int:
    from tests.conftest import sign_in

    user = factories.UserFactory()
    for number in range(sessions - 1):
        db.session.add(
            UserSession(
                id=f"other-{user.id}-{number}", user_id=user.id, expires_at=utcnow() + timedelta(hours=1)
            )
        )
    client = app.test_client()
    sign_in(client, user)
    client.get("/")
    with count_queries() as statements:
        assert client.get("/").status_code == 200
    return len(statements)


def test_checking_the_session_costs_the_same_for_one_or_thirty_sessions(app, db, strict_loading):
    assert _home_queries(app, db, 1) == _home_queries(app, db, 30)


def test_hourly_task_deletes_only_sessions_past_their_end(db):
    from lms.accounts.tasks import forget_expired_sessions

    user = factories.UserFactory()
    db.session.add_all(
        [
            UserSession(id="ended", user_id=user.id, expires_at=utcnow() - timedelta(seconds=1)),
            UserSession(id="live", user_id=user.id, expires_at=utcnow() + timedelta(hours=1)),
        ]
    )
    db.session.flush()
    assert forget_expired_sessions() == 1
    assert [s.id for s in db.session.query(UserSession).filter_by(user_id=user.id)] == ["live"]
