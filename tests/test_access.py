"""Deny by default: every route needs a signed-in person unless it is meant to be public, each
role reaches exactly its pages, and every form POST needs a CSRF token."""

import re

import pytest

from tests import factories
from tests.conftest import api_headers, sign_in

# Routes a stranger may open; anything else must send them to sign in (or 401 in the API).
PUBLIC = {
    "core.index",  # redirects to the sign-in page itself
    "core.set_language",
    "core.health",
    "core.health_live",
    "core.health_ready",
    "accounts.login",
    "accounts.login_second_factor",
    "accounts.forgot_password",
    "accounts.reset_password",
    "accounts.set_password",  # the link in a welcome or invitation email
    "accounts_api.create_token",
    "api-docs.openapi_json",
    "api-docs.openapi_swagger_ui",
    "swagger_assets.swagger_asset",
    "static",
    "bootstrap.static",
    "calendar_feed.feed",
    # A participant's test pages: her personal link or the room link with her code opens a
    # limited session they check themselves (lms/assessments/take.py).
    "take.personal_link",
    "take.room",
    "take.home",
    "take.attempt_page",
    "take.save_answer",
    "take.submit",
    "take.results",
    "take.leave",
    "take.left",
    # Anyone verifies a certificate by its code, and checks its digital badge's signature.
    "certificates.verify",
    "certificates.verify_form",
    "certificates.jwks",
    "certificates_api.verify",
}


def test_public_routes_are_exactly_the_intended_ones(app):
    public = {
        endpoint
        for endpoint, view in app.view_functions.items()
        if getattr(view, "is_public", False) or endpoint in app.config["PUBLIC_ENDPOINTS"]
    }
    assert public <= PUBLIC, public - PUBLIC


def concrete_paths(app):
    """(endpoint, method, path) for every route, with 1 (or a word) standing in for arguments."""
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<any\(([a-z_]+)[^>]*>", r"\1", rule.rule)  # the first choice of any(...)
        path = re.sub(r"<(?:int:)?[a-z_]+>", "1", path)
        path = re.sub(r"<path:[a-z_]+>", "x", path)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, path


def test_every_route_is_closed_to_strangers_unless_public(app, client):
    open_routes = []
    for endpoint, method, path in concrete_paths(app):
        if (
            getattr(app.view_functions[endpoint], "is_public", False)
            or endpoint in app.config["PUBLIC_ENDPOINTS"]
        ):
            continue
        response = client.open(path, method=method)
        if path.startswith("/api/"):
            ok = response.status_code == 401 and response.json["error"]["code"] == "not_authenticated"
        else:
            ok = response.status_code == 302 and "/login" in response.headers["Location"]
        if not ok:
            open_routes.append((method, path, response.status_code))
    assert open_routes == []


ROLE_PAGES = {
    "/": {"admin": 200, "coordinator": 200, "trainer": 200, "participant": 200},
    # Coordinators list the people of their regions (lms.accounts.scope); adding stays with admins.
    "/admin/users/": {"admin": 200, "coordinator": 200, "trainer": 403, "participant": 403},
    "/admin/users/new": {"admin": 200, "coordinator": 403, "trainer": 403, "participant": 403},
    "/admin/geography/": {"admin": 200, "coordinator": 200, "trainer": 403, "participant": 403},
    "/admin/geography/institutions": {"admin": 200, "coordinator": 200, "trainer": 403, "participant": 403},
    "/account/tokens": {"admin": 200, "coordinator": 200, "trainer": 200, "participant": 200},
    "/account/profile": {"admin": 200, "coordinator": 200, "trainer": 200, "participant": 200},
    "/account/password": {"admin": 200, "coordinator": 200, "trainer": 200, "participant": 200},
    "/account/two-factor": {"admin": 200, "coordinator": 200, "trainer": 404, "participant": 404},
    "/admin/security": {"admin": 200, "coordinator": 403, "trainer": 403, "participant": 403},
}
ROLE_API = {
    "/api/v1/me": {"admin": 200, "coordinator": 200, "trainer": 200, "participant": 200},
    "/api/v1/users": {"admin": 200, "coordinator": 200, "trainer": 403, "participant": 403},
    "/api/v1/regions": {"admin": 200, "coordinator": 200, "trainer": 200, "participant": 200},
}


@pytest.fixture
def people(db):
    region = factories.RegionFactory()
    return {
        "admin": factories.UserFactory(roles=["admin"]),
        "coordinator": factories.UserFactory(roles=["coordinator"], regions=[region]),
        "trainer": factories.UserFactory(roles=["trainer"]),
        "participant": factories.UserFactory(roles=["participant"]),
    }


@pytest.mark.parametrize("path", sorted(ROLE_PAGES))
def test_each_role_reaches_exactly_its_pages(client, people, path):
    for role, expected in ROLE_PAGES[path].items():
        sign_in(client, people[role])
        assert client.get(path).status_code == expected, (role, path)


@pytest.mark.parametrize("path", sorted(ROLE_API))
def test_each_role_reaches_exactly_its_api(client, people, path):
    for role, expected in ROLE_API[path].items():
        response = client.get(path, headers=api_headers(people[role]))
        assert response.status_code == expected, (role, path)


def test_every_form_post_needs_a_csrf_token(app, client, people, csrf_enabled):
    sign_in(client, people["admin"])
    unprotected = []
    for _endpoint, method, path in concrete_paths(app):
        if method != "POST" or path.startswith("/api/"):
            continue
        response = client.post(path, data={"anything": "1"})
        if response.status_code != 400 or "CSRF" not in response.get_data(as_text=True):
            unprotected.append((path, response.status_code))
    assert unprotected == []


def test_a_browser_session_cannot_use_the_api(client, people):
    sign_in(client, people["admin"])
    assert client.get("/api/v1/users").status_code == 401
