"""The command line, settings, language switch, health and error pages."""

import pytest

from lms.accounts.models import User
from lms.config import DEV_SECRET, load_config
from tests import factories


def test_users_create_and_token_from_the_command_line(app, db, client):
    region = factories.RegionFactory()
    runner = app.test_cli_runner()
    created = runner.invoke(
        args=[
            "users",
            "create",
            "coord@example.org",
            "--password",
            "long enough pw",
            "--role",
            "coordinator",
            "--role",
            "trainer",
            "--name",
            "Ірина Ковалевська",
            "--region",
            region.code.lower(),
        ]
    )
    assert created.exit_code == 0, created.output
    user = db.session.query(User).filter_by(email="coord@example.org").one()
    assert user.roles == {"coordinator", "trainer"} and user.region_ids == {region.id}
    assert user.check_password("long enough pw")

    issued = runner.invoke(args=["users", "token", "coord@example.org"])
    assert issued.exit_code == 0, issued.output
    token = issued.stdout.strip().splitlines()[-1]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json["email"] == "coord@example.org"


def test_command_line_errors_are_messages_not_tracebacks(app, db):
    factories.UserFactory(email="taken@example.org")
    runner = app.test_cli_runner()
    for args in (
        ["users", "create", "taken@example.org", "--password", "long enough pw"],
        ["users", "create", "new@example.org", "--password", "short"],
        ["users", "token", "nobody@example.org"],
    ):
        result = runner.invoke(args=args)
        assert result.exit_code == 1, (args, result.output)
        assert result.output.startswith("Error: ") and len(result.output) > 12
        assert result.exception is None or isinstance(result.exception, SystemExit)
    assert db.session.query(User).filter_by(email="new@example.org").count() == 0


def test_production_refuses_the_default_secret(tmp_path, monkeypatch):
    monkeypatch.setenv("LMS_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        load_config(str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "a-real-secret")
    assert load_config(str(tmp_path))["SECRET_KEY"] != DEV_SECRET


def test_one_variable_each_switches_to_postgresql_and_redis(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://lms@db/lms")
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://redis:6379/0")
    config = load_config(str(tmp_path))
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://lms@db/lms"
    assert config["CELERY"]["broker_url"] == "redis://redis:6379/0"
    # No filesystem queue folders; Redis' visibility timeout only as a backstop (README).
    assert config["CELERY"]["broker_transport_options"] == {"visibility_timeout": 4 * 60 * 60}


def test_language_switch_remembers_the_choice_and_refuses_foreign_redirects(client, db):
    user = factories.UserFactory()
    from tests.conftest import sign_in

    sign_in(client, user)
    response = client.post("/language", data={"language": "en", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"
    assert user.locale == "en"
    assert 'lang="en"' in client.get("/").get_data(as_text=True)
    client.post("/language", data={"language": "uk", "next": "/account/tokens"})
    assert 'lang="uk"' in client.get("/").get_data(as_text=True)


def test_health_and_friendly_error_pages(client, db):
    assert client.get("/health").json == {"status": "ok"}
    missing = client.get("/no/such/page")
    assert missing.status_code == 404 and "<nav" in missing.get_data(as_text=True)
    api_missing = client.get("/api/v1/no-such-thing")
    assert api_missing.status_code == 404 and api_missing.json["error"]["code"] == "not_found"


def test_home_lists_the_persons_next_sessions_only(client, db):
    from datetime import date, time, timedelta

    trainer = factories.UserFactory(roles=["trainer"])
    mine = factories.CohortFactory(
        lead_trainer=trainer,
        start_date=date.today() + timedelta(days=3),
        venue="Уманський районний центр соціальних служб",
    )
    factories.TrainingSessionFactory(cohort=mine, starts_at=time(9), ends_at=time(13))
    other = factories.CohortFactory(start_date=date.today() + timedelta(days=3), venue="Інша зала")
    factories.TrainingSessionFactory(cohort=other)
    from tests.conftest import sign_in

    sign_in(client, trainer)
    page = client.get("/").get_data(as_text=True)
    assert "Уманський районний центр соціальних служб" in page
    assert "09:00–13:00" in page
    assert "Інша зала" not in page


def test_a_busy_embedded_database_asks_to_try_again_instead_of_failing(app, db):
    import sqlite3

    from sqlalchemy.exc import OperationalError

    busy = OperationalError("UPDATE cohorts …", {}, sqlite3.OperationalError("database is locked"))
    with app.test_request_context("/cohorts/1", headers={"Accept-Language": "en"}):
        response = app.make_response(app.handle_user_exception(busy))
    assert response.status_code == 503
    with app.test_request_context("/api/v1/cohorts/1"):
        response = app.make_response(app.handle_user_exception(busy))
    assert response.status_code == 503 and response.json["error"]["code"] == "busy"
    other = OperationalError("SELECT 1", {}, sqlite3.OperationalError("no such table: nothing"))
    with app.test_request_context("/api/v1/cohorts/1"):
        assert app.make_response(app.handle_user_exception(other)).status_code == 500


def test_seed_demo_if_empty_leaves_existing_data_alone(app, db):
    factories.UserFactory(email="existing@example.org")
    result = app.test_cli_runner().invoke(args=["seed", "demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "not loaded again" in result.output
    assert db.session.query(User).count() == 1
