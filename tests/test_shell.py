"""The app shell: security headers, request ids, proxies, health checks and the API's edges."""

import json
import logging

import pytest

from lms import create_app
from lms.core.shell import JsonFormatter
from tests import factories
from tests.conftest import api_headers, app_config, sign_in


def test_every_page_carries_security_headers_without_inline_script(client, db):
    user = factories.UserFactory()
    sign_in(client, user)
    for path in ("/", "/login", "/api/v1/docs", "/api/v1/me", "/health/live", "/nowhere"):
        response = client.get(path)
        policy = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy
        assert "object-src 'none'" in policy
        assert "base-uri 'none'" in policy
        assert "frame-ancestors 'none'" in policy
        assert (
            "script-src 'self'" in policy
            and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
        )
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert "Strict-Transport-Security" not in response.headers  # plain HTTP: nothing to pin


def test_hsts_only_over_https(client, db):
    response = client.get("/health/live", base_url="https://lms.example.org")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_templates_hold_no_inline_script_or_event_handler():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "lms"
    offenders = []
    for template in root.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(r"\son[a-z]+\s*=", text):
            offenders.append(str(template.relative_to(root)))
    assert offenders == []


def test_swagger_ui_page_loads_its_scripts_from_files(client, db):
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert "<script>" not in page
    assert 'data-spec-url="/api/v1/openapi.json"' in page
    assert client.get("/static/js/swagger-init.js").status_code == 200


def test_request_id_is_echoed_or_made_up(client, db):
    given = client.get("/health/live", headers={"X-Request-ID": "lb-1234.abc"})
    assert given.headers["X-Request-ID"] == "lb-1234.abc"
    made = client.get("/health/live")
    assert len(made.headers["X-Request-ID"]) == 32
    hostile = client.get("/health/live", headers={"X-Request-ID": "x" * 65})
    assert hostile.headers["X-Request-ID"] != "x" * 65
    injected = client.get("/health/live", headers={"X-Request-ID": "a b;c"})
    assert injected.headers["X-Request-ID"] != "a b;c"


def test_json_log_lines_carry_the_request_id(app):
    formatter = JsonFormatter()
    with app.test_request_context("/cohorts", headers={"X-Request-ID": "req-42"}):
        app.preprocess_request()
        record = logging.LogRecord("lms", logging.WARNING, __file__, 1, "Слот %s зайнятий", ("A",), None)
        line = json.loads(formatter.format(record))
    assert line["request_id"] == "req-42"
    assert line["message"] == "Слот A зайнятий"
    assert line["level"] == "WARNING"
    assert line["path"] == "/cohorts"


def _remote_addr_app(tmp_path, proxies: int):
    application = create_app(app_config("sqlite://", tmp_path, TRUSTED_PROXIES=proxies))

    @application.get("/__addr")
    def _addr():
        from flask import request

        return {"addr": request.remote_addr, "scheme": request.scheme}

    _addr.is_public = True
    return application


@pytest.mark.parametrize(
    ("proxies", "expected"),
    [(0, "127.0.0.1"), (1, "10.0.0.9"), (2, "203.0.113.7")],
)
def test_forwarded_for_is_trusted_only_for_configured_proxies(tmp_path, proxies, expected):
    application = _remote_addr_app(tmp_path, proxies)
    response = application.test_client().get(
        "/__addr",
        headers={"X-Forwarded-For": "203.0.113.7, 10.0.0.9", "X-Forwarded-Proto": "https, https"},
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    assert response.json["addr"] == expected
    assert response.json["scheme"] == ("https" if proxies else "http")


def test_trusted_proxies_setting_must_be_a_number(monkeypatch, tmp_path):
    from lms.config import load_config

    monkeypatch.setenv("LMS_TRUSTED_PROXIES", "all")
    with pytest.raises(RuntimeError, match="LMS_TRUSTED_PROXIES"):
        load_config(str(tmp_path))
    monkeypatch.setenv("LMS_TRUSTED_PROXIES", "2")
    assert load_config(str(tmp_path))["TRUSTED_PROXIES"] == 2


def test_production_cookies_are_secure_and_same_site(monkeypatch, tmp_path):
    from lms.config import load_config

    monkeypatch.setenv("LMS_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-long-production-secret")
    config = load_config(str(tmp_path))
    assert config["REMEMBER_COOKIE_SECURE"] and config["SESSION_COOKIE_SECURE"]
    assert config["REMEMBER_COOKIE_SAMESITE"] == config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert config["REMEMBER_COOKIE_HTTPONLY"] and config["SESSION_COOKIE_HTTPONLY"]
    assert config["JSON_LOGS"]


def test_health_live_and_ready_are_public_and_say_little(client, db):
    live = client.get("/health/live")
    assert live.status_code == 200 and live.json == {"status": "ok"}
    ready = client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}


def test_health_ready_fails_without_leaking_the_broker_address(app, client, db):
    celery = app.extensions["celery"]
    original = celery.conf.broker_url
    celery.conf.broker_url = "redis://secret-host.invalid:1/0"
    try:
        response = client.get("/health/ready")
    finally:
        celery.conf.broker_url = original
    assert response.status_code == 503
    assert response.json == {"status": "unavailable", "checks": {"database": "ok", "broker": "fail"}}
    assert "secret-host" not in response.get_data(as_text=True)


def test_method_not_allowed_names_the_allowed_methods(client, db):
    user = factories.UserFactory()
    api = client.delete("/api/v1/me", headers=api_headers(user))
    assert api.status_code == 405
    assert set(api.headers["Allow"].replace(" ", "").split(",")) >= {"GET"}
    assert api.json["error"]["code"] == "method_not_allowed"
    page = client.put("/login")
    assert page.status_code == 405 and "POST" in page.headers["Allow"]


def test_patch_with_an_empty_body_is_a_validation_error(client, db):
    cohort = factories.CohortFactory()
    headers = api_headers(cohort.lead_trainer)
    for body in ({"data": b""}, {"json": {}}):
        response = client.patch(f"/api/v1/cohorts/{cohort.id}", headers=headers, **body)
        assert response.status_code == 422, body
        assert response.json["error"]["code"] == "validation_error"


def test_ids_beyond_the_database_range_are_not_found(client, db):
    user = factories.UserFactory(roles=["admin"])
    headers = api_headers(user)
    sign_in(client, user)
    for path in (
        "/api/v1/cohorts/2147483648",
        "/api/v1/users/99999999999999999999",
        "/api/v1/jobs/2147483648",
    ):
        response = client.get(path, headers=headers)
        assert response.status_code == 404, path
        assert response.json["error"]["code"] == "not_found"
    assert client.get("/cohorts/99999999999999999999").status_code == 404
    assert client.get("/api/v1/cohorts/2147483647", headers=headers).status_code == 404  # in range, absent


def test_an_id_beyond_the_range_is_not_found_on_a_url_with_several_methods(client, db):
    """PATCH and DELETE share /api/v1/sessions/<id>: the too-large id once answered 405."""
    headers = api_headers(factories.UserFactory(roles=["admin"]))
    for method in ("DELETE", "PATCH"):
        for session_id in ("2147483648", "9999999999", "89764079228192290934620160"):
            response = client.open(
                f"/api/v1/sessions/{session_id}", method=method, json={"venue": "x"}, headers=headers
            )
            assert response.status_code == 404, (method, session_id)
        assert (
            client.open(
                "/api/v1/sessions/2147483647", method=method, json={"venue": "x"}, headers=headers
            ).status_code
            == 404
        )


def test_page_beyond_the_database_range_names_the_field(client, db):
    headers = api_headers(factories.UserFactory(roles=["admin"]))
    response = client.get("/api/v1/cohorts?page=99999999999999999999", headers=headers)
    assert response.status_code == 422
    assert "page" in response.json["error"]["fields"]
    assert client.get("/api/v1/cohorts?page=2147483647", headers=headers).json["items"] == []


def test_numbers_beyond_the_database_range_in_the_input_name_their_field(client, db):
    cohort = factories.CohortFactory()
    headers = api_headers(factories.UserFactory(roles=["admin"]))
    huge = 10**20
    for body, field in (
        ({"district_id": huge}, "district_id"),
        ({"co_trainer_ids": [1, huge]}, "co_trainer_ids"),
    ):
        response = client.patch(f"/api/v1/cohorts/{cohort.id}", json=body, headers=headers)
        assert response.status_code == 422
        assert field in response.json["error"]["fields"], response.json
    listed = client.get(f"/api/v1/cohorts?course_id={huge}", headers=headers)
    assert listed.status_code == 422 and "course_id" in listed.json["error"]["fields"]
