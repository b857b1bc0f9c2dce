"""The page cache (lms.core.page_cache): a kept page is sent again only to the same person in
the same sign-in session, and only while no table the page read has changed — on real Redis."""

import secrets
import time
from dataclasses import replace

import pytest
from sqlalchemy import text, update

from lms.accounts.models import ApiToken, LoginThrottle, UserRole
from lms.cohorts import enrolment
from lms.core import page_cache
from lms.core.db import utcnow
from lms.core.page_cache import PageCache
from lms.extensions import db
from tests.conftest import api_headers
from tests.conftest import sign_in as start_session
from tests.factories import CohortFactory, EnrollmentFactory, UserFactory
from tests.services import redis_url, unavailable


@pytest.fixture
def cache(app):
    """The cache turned on for one test, with versions of its own in the real Redis."""
    url = redis_url()
    if url is None:
        unavailable("Redis")
    kept = PageCache(url, seconds=30, entries=64, key=f"lms:test-page-cache:{secrets.token_hex(6)}")
    app.extensions["page_cache"] = kept
    yield kept
    app.extensions["page_cache"] = None
    kept.redis.delete(kept.key)
    kept.redis.close()


@pytest.fixture
def cohort(db):
    cohort = CohortFactory(with_sessions=True)
    for surname in ("Бондаренко", "Яковенко"):
        EnrollmentFactory(cohort=cohort, user=UserFactory(full_name=f"Ірина {surname}"))
    db.session.commit()
    return cohort


def sign_in(client, user) -> None:
    """A sign-in as the form leaves it: committed (an uncommitted write would move versions on
    again after the first page), with the CSRF token the sign-in form put in the session."""
    start_session(client, user)
    with client.session_transaction() as session:
        session["csrf_token"] = secrets.token_hex(20)
        session["_fresh"] = False  # as Flask-Login leaves it once the address's identifier is checked
    db.session.commit()


def fetch(client, path, **kwargs):
    response = client.get(path, **kwargs)
    assert response.status_code == 200, (path, response.status_code)
    return response.headers.get("X-Page-Cache"), response.get_data(as_text=True)


def test_a_page_is_sent_again_while_nothing_it_read_changed(client, db, cache, cohort):
    sign_in(client, cohort.lead_trainer)
    first = fetch(client, f"/cohorts/{cohort.id}")
    second = fetch(client, f"/cohorts/{cohort.id}")
    assert first[0] == "miss" and second[0] == "hit"
    assert second[1] == first[1] and "Яковенко" in second[1]


def test_a_change_to_a_table_the_page_read_renders_it_again(client, db, cache, cohort):
    sign_in(client, cohort.lead_trainer)
    fetch(client, f"/cohorts/{cohort.id}")
    participant = cohort.enrollments[0].user
    participant.full_name = "Марія Шевченко"
    db.session.commit()
    state, body = fetch(client, f"/cohorts/{cohort.id}")
    assert state == "miss" and "Шевченко Марія" in body


def test_a_withdrawal_leaves_the_kept_list_at_once(client, db, cache, cohort):
    sign_in(client, cohort.lead_trainer)
    assert "Яковенко" in fetch(client, f"/cohorts/{cohort.id}")[1]
    leaving = next(e for e in cohort.enrollments if "Яковенко" in e.user.full_name)
    enrolment.withdraw(leaving, by=cohort.lead_trainer)
    db.session.commit()
    state, body = fetch(client, f"/cohorts/{cohort.id}")
    assert state == "miss"
    assert body.count("Яковенко") < 2 or "withdrawn" in body.lower() or "відрахован" in body.lower()


def test_a_write_to_a_table_the_page_never_read_keeps_it(client, db, cache, cohort):
    sign_in(client, cohort.lead_trainer)
    fetch(client, f"/cohorts/{cohort.id}")
    db.session.add(LoginThrottle(key="address:page-cache-test", window_start=utcnow(), failures=1))
    db.session.commit()
    assert fetch(client, f"/cohorts/{cohort.id}")[0] == "hit"


def test_another_person_never_gets_the_kept_page(client, db, cache, cohort):
    sign_in(client, cohort.lead_trainer)
    fetch(client, f"/cohorts/{cohort.id}")
    stranger = UserFactory(roles=["trainer"])
    db.session.commit()
    other = client.application.test_client()
    sign_in(other, stranger)
    response = other.get(f"/cohorts/{cohort.id}")
    assert response.status_code in (403, 404)
    assert response.headers.get("X-Page-Cache") is None


def test_a_second_sign_in_of_the_same_person_has_its_own_entry(client, db, cache, cohort):
    sign_in(client, cohort.lead_trainer)
    fetch(client, f"/cohorts/{cohort.id}")
    laptop = client.application.test_client()
    sign_in(laptop, cohort.lead_trainer)
    assert fetch(laptop, f"/cohorts/{cohort.id}")[0] == "miss"


def test_a_lost_role_closes_the_kept_page(client, db, cache, cohort):
    coordinator = UserFactory(roles=["coordinator"], regions=[cohort.district.region])
    db.session.commit()
    sign_in(client, coordinator)
    assert fetch(client, f"/cohorts/{cohort.id}")[0] == "miss"
    assert fetch(client, f"/cohorts/{cohort.id}")[0] == "hit"
    db.session.execute(
        UserRole.__table__.delete().where(UserRole.user_id == coordinator.id, UserRole.role == "coordinator")
    )
    db.session.commit()
    assert client.get(f"/cohorts/{cohort.id}").status_code in (403, 404)


def test_signing_out_ends_the_kept_page(client, db, cache, cohort):
    sign_in(client, cohort.lead_trainer)
    fetch(client, f"/cohorts/{cohort.id}")
    client.post("/logout")
    response = client.get(f"/cohorts/{cohort.id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_api_keeps_answers_per_token_and_forgets_a_revoked_one(client, db, cache, cohort):
    headers = api_headers(cohort.lead_trainer)
    # Used a minute ago: this request does not stamp it again (a stamp is a write, kept by nobody).
    db.session.execute(update(ApiToken).values(last_used_at=utcnow()))
    db.session.commit()
    assert fetch(client, "/api/v1/cohorts", headers=headers)[0] == "miss"
    state, body = fetch(client, "/api/v1/cohorts", headers=headers)
    assert state == "hit" and str(cohort.id) in body
    db.session.execute(text("UPDATE api_tokens SET revoked_at = CURRENT_TIMESTAMP"))
    db.session.commit()
    assert client.get("/api/v1/cohorts", headers=headers).status_code == 401


def test_each_language_has_its_own_entry(client, db, cache, cohort):
    sign_in(client, cohort.lead_trainer)
    assert '<html lang="uk">' in fetch(client, "/cohorts/")[1]
    client.post("/language", data={"language": "en"})
    state, body = fetch(client, "/cohorts/")
    assert state == "miss" and '<html lang="en">' in body


def test_a_flashed_message_is_shown_not_skipped(client, db, cache, cohort):
    sign_in(client, cohort.lead_trainer)
    fetch(client, f"/cohorts/{cohort.id}")
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Збережено: перевірка кешу")]
    state, body = fetch(client, f"/cohorts/{cohort.id}")
    assert state is None and "Збережено: перевірка кешу" in body


def test_an_emptied_redis_matches_no_kept_page(client, db, cache, cohort):
    sign_in(client, cohort.lead_trainer)
    fetch(client, f"/cohorts/{cohort.id}")
    cache.redis.delete(cache.key)  # a restarted Redis: versions start over from nothing
    assert fetch(client, f"/cohorts/{cohort.id}")[0] == "miss"


def test_without_redis_the_page_renders(client, db, app, cohort):
    app.extensions["page_cache"] = PageCache("redis://127.0.0.1:1/0", seconds=30, entries=8)
    try:
        sign_in(client, cohort.lead_trainer)
        state, body = fetch(client, f"/cohorts/{cohort.id}")
        assert state is None and "Яковенко" in body
    finally:
        app.extensions["page_cache"] = None


def test_the_embedded_default_has_no_cache(tmp_path, monkeypatch):
    from lms.config import load_config

    monkeypatch.delenv("LMS_CACHE_URL", raising=False)
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    assert load_config(str(tmp_path))["PAGE_CACHE_URL"] == ""
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
    assert load_config(str(tmp_path))["PAGE_CACHE_URL"] == "redis://127.0.0.1:6379/0"
    monkeypatch.setenv("LMS_CACHE_URL", "off")
    assert load_config(str(tmp_path))["PAGE_CACHE_URL"] == ""


@pytest.mark.parametrize(
    ("statement", "tables", "writes"),
    [
        (
            "SELECT cohorts.id FROM cohorts JOIN users AS users_1 ON users_1.id = cohorts.lead_trainer_id",
            {"cohorts", "users"},
            False,
        ),
        ('UPDATE "attempts" SET score_percent=%(p)s WHERE attempts.id = %(id)s', {"attempts"}, True),
        (
            "WITH closed AS (UPDATE attempts SET x = 1 RETURNING id) UPDATE responses SET credit = 1",
            {"attempts", "responses"},
            True,
        ),
        ("SELECT id FROM enrollments WHERE cohort_id = ? FOR UPDATE", {"enrollments"}, False),
        ("INSERT INTO audit_events (action) VALUES (?)", {"audit_events"}, True),
        ("TRUNCATE TABLE responses", {"responses"}, True),
        ("SELECT deleted_at, updated_by FROM user_sessions", {"user_sessions"}, False),
        ("SELECT sessions.id FROM sessions", {"sessions"}, False),
    ],
)
def test_the_tables_a_statement_names(app, statement, tables, writes):
    found, wrote = page_cache._Tables().of(statement)
    assert tables <= found and wrote is writes


def test_a_kept_page_is_not_sent_once_the_session_has_ended(client, db, cache, cohort):
    sign_in(client, cohort.lead_trainer)
    assert fetch(client, "/cohorts/")[0] == "miss"
    assert fetch(client, "/cohorts/")[0] == "hit"
    kept = cache.get(next(iter(cache._entries)))
    ends, remember = kept.identity
    cache.put(next(iter(cache._entries)), replace(kept, identity=(time.time() - 1, remember)))
    assert client.get("/cohorts/").headers.get("X-Page-Cache") != "hit"


def test_a_kept_page_is_not_sent_after_the_idle_timeout(client, db, cache, cohort):
    sign_in(client, cohort.lead_trainer)
    fetch(client, "/cohorts/")
    assert fetch(client, "/cohorts/")[0] == "hit"
    idle = client.application.config["SESSION_IDLE_MINUTES"] * 60
    with client.session_transaction() as session:
        session["_seen"] = time.time() - idle - 1
    response = client.get("/cohorts/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_kept_page_keeps_the_session_alive_as_a_rendered_one_does(client, db, cache, cohort):
    sign_in(client, cohort.lead_trainer)
    fetch(client, "/cohorts/")
    idle = client.application.config["SESSION_IDLE_MINUTES"] * 60
    with client.session_transaction() as session:
        session["_seen"] = time.time() - idle + 5
    assert fetch(client, "/cohorts/")[0] == "hit"
    with client.session_transaction() as session:
        assert time.time() - session["_seen"] < 5  # a stamp older than a minute moves


def test_an_expired_token_gets_no_kept_answer(client, db, cache, cohort):
    headers = api_headers(cohort.lead_trainer)
    db.session.execute(update(ApiToken).values(last_used_at=utcnow()))
    db.session.commit()
    fetch(client, "/api/v1/cohorts", headers=headers)
    assert fetch(client, "/api/v1/cohorts", headers=headers)[0] == "hit"
    key = next(iter(cache._entries))
    kept = cache.get(key)
    cache.put(key, replace(kept, identity=(time.time() - 1, None)))
    assert client.get("/api/v1/cohorts", headers=headers).headers.get("X-Page-Cache") != "hit"
