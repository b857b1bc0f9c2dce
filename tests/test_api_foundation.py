"""The API's contract: tokens, errors, pagination, people, geography scope and the OpenAPI document."""

from datetime import timedelta

from lms.accounts.models import ApiToken
from lms.core.db import utcnow
from tests import factories
from tests.conftest import api_headers


def test_token_for_email_and_password_then_me(client, db):
    user = factories.UserFactory(email="olena@example.org")
    response = client.post(
        "/api/v1/auth/tokens", json={"email": "olena@example.org", "password": factories.PASSWORD}
    )
    assert response.status_code == 201
    token = response.json["token"]
    assert response.json["expires_at"]
    stored = db.session.query(ApiToken).one()
    assert token not in stored.token_hash  # only the hash is stored
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json["email"] == "olena@example.org"
    assert me.json["roles"] == ["participant"]
    assert me.json["id"] == user.id


def test_wrong_password_gives_the_error_format_and_no_token(client, db):
    factories.UserFactory(email="olena@example.org")
    response = client.post("/api/v1/auth/tokens", json={"email": "olena@example.org", "password": "nope"})
    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_error"
    assert "password" in response.json["error"]["fields"]
    assert db.session.query(ApiToken).count() == 0


def test_token_requests_are_throttled(client, db, app):
    factories.UserFactory(email="olena@example.org")
    for _ in range(app.config["LOGIN_THROTTLE_MAX_FAILURES"]):
        client.post("/api/v1/auth/tokens", json={"email": "olena@example.org", "password": "nope"})
    response = client.post(
        "/api/v1/auth/tokens", json={"email": "olena@example.org", "password": factories.PASSWORD}
    )
    assert response.status_code == 429
    assert response.json["error"]["code"] == "too_many_requests"


def test_missing_malformed_revoked_and_expired_tokens_get_401(client, db):
    user = factories.UserFactory()
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer nonsense"}).status_code == 401
    headers = api_headers(user)
    token = db.session.query(ApiToken).one()
    revoke = client.delete(f"/api/v1/auth/tokens/{token.id}", headers=headers)
    assert revoke.status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    headers = api_headers(user)
    db.session.query(ApiToken).filter(ApiToken.revoked_at.is_(None)).one().expires_at = utcnow() - timedelta(
        days=1
    )
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_deactivated_persons_tokens_stop_working(client, db):
    user = factories.UserFactory()
    headers = api_headers(user)
    user.active = False
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_malformed_json_and_missing_fields_are_clear_errors(client, db, admin):
    headers = api_headers(admin)
    bad = client.post(
        "/api/v1/users", data="{not json", headers={**headers, "Content-Type": "application/json"}
    )
    assert bad.status_code in (400, 422)
    assert bad.json["error"]["message"]
    missing = client.post("/api/v1/users", json={"full_name": "Ірина"}, headers=headers)
    assert missing.status_code == 422
    assert "email" in missing.json["error"]["fields"]
    wrong_type = client.post(
        "/api/v1/users", json={"email": "a@b.org", "full_name": "Ірина", "roles": ["king"]}, headers=headers
    )
    assert wrong_type.status_code == 422
    assert "roles" in wrong_type.json["error"]["fields"]


def test_admin_creates_and_updates_people_and_duplicates_conflict(client, db, admin):
    headers = api_headers(admin)
    region = factories.RegionFactory()
    created = client.post(
        "/api/v1/users",
        json={
            "email": "Iryna.K@Example.org",
            "full_name": "Ірина Ковалевська",
            "roles": ["coordinator"],
            "region_ids": [region.id],
            "phone": "067 123 45 67",
        },
        headers=headers,
    )
    assert created.status_code == 201
    assert created.json["email"] == "iryna.k@example.org"
    assert created.json["full_name_latin"] == "Iryna Kovalevska"
    assert created.json["phone"] == "+380671234567"
    assert created.json["region_ids"] == [region.id]
    duplicate = client.post(
        "/api/v1/users", json={"email": "iryna.k@example.org", "full_name": "X"}, headers=headers
    )
    assert duplicate.status_code == 409
    assert duplicate.json["error"]["code"] == "conflict"
    patched = client.patch(
        f"/api/v1/users/{created.json['id']}", json={"roles": ["trainer", "participant"]}, headers=headers
    )
    assert patched.status_code == 200
    assert patched.json["roles"] == ["participant", "trainer"]


def test_a_person_reads_herself_but_not_others(client, db):
    me, other = factories.UserFactory(), factories.UserFactory()
    headers = api_headers(me)
    assert client.get(f"/api/v1/users/{me.id}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/users/{other.id}", headers=headers).status_code == 404  # ids reveal nothing
    assert (
        client.patch(f"/api/v1/users/{other.id}", json={"position": "x"}, headers=headers).status_code == 404
    )
    assert (
        client.patch(f"/api/v1/users/{me.id}", json={"roles": ["admin"]}, headers=headers).status_code == 403
    )
    own = client.patch(f"/api/v1/users/{me.id}", json={"position": "Психолог"}, headers=headers)
    assert own.status_code == 200 and own.json["position"] == "Психолог"
    assert client.get("/api/v1/users/999999", headers=headers).status_code == 404


def test_a_person_cannot_save_texts_longer_than_the_profile_holds(client, db):
    me = factories.UserFactory(full_name="Ірина Коваль", position="Фахівчиня")
    headers = api_headers(me)
    for field in ("full_name", "full_name_latin", "position"):
        response = client.patch(f"/api/v1/users/{me.id}", json={field: "я" * 201}, headers=headers)
        assert response.status_code == 422, field
        assert field in response.json["error"]["fields"]
    assert me.full_name == "Ірина Коваль" and me.position == "Фахівчиня"
    fits = client.patch(f"/api/v1/users/{me.id}", json={"position": "я" * 200}, headers=headers)
    assert fits.status_code == 200 and fits.json["position"] == "я" * 200


def test_lists_are_paginated_as_the_contract_says(client, db, admin):
    for _ in range(7):
        factories.UserFactory()
    response = client.get("/api/v1/users?page=2&per_page=3", headers=api_headers(admin))
    assert response.status_code == 200
    body = response.json
    assert set(body) == {"items", "total", "page", "per_page"}
    assert (body["total"], body["page"], body["per_page"], len(body["items"])) == (8, 2, 3, 3)
    too_many = client.get("/api/v1/users?per_page=501", headers=api_headers(admin))
    assert too_many.status_code == 422


def test_coordinator_sees_only_her_regions(client, db):
    mine, other = factories.RegionFactory(), factories.RegionFactory()
    factories.DistrictFactory(region=mine)
    factories.DistrictFactory(region=other)
    coordinator = factories.UserFactory(roles=["coordinator"], regions=[mine])
    headers = api_headers(coordinator)
    regions = client.get("/api/v1/regions", headers=headers).json["items"]
    assert [r["id"] for r in regions] == [mine.id]
    districts = client.get("/api/v1/districts", headers=headers).json["items"]
    assert {d["region_id"] for d in districts} == {mine.id}


def test_coordinator_adds_institutions_only_in_her_regions(client, db):
    mine, other = factories.DistrictFactory(), factories.DistrictFactory()
    coordinator = factories.UserFactory(roles=["coordinator"], regions=[mine.region])
    headers = api_headers(coordinator)
    ok = client.post(
        "/api/v1/institutions",
        json={
            "name": "Уманський районний центр соціальних служб",
            "type": "social_services_centre",
            "district_id": mine.id,
        },
        headers=headers,
    )
    assert ok.status_code == 201
    assert ok.json["region_id"] == mine.region_id
    refused = client.post(
        "/api/v1/institutions",
        json={"name": "Інша установа", "type": "school", "district_id": other.id},
        headers=headers,
    )
    assert refused.status_code == 403
    again = client.post(
        "/api/v1/institutions",
        json={
            "name": "Уманський районний центр соціальних служб",
            "type": "social_services_centre",
            "district_id": mine.id,
        },
        headers=headers,
    )
    assert again.status_code == 409


def test_openapi_document_describes_the_api_and_docs_need_no_cdn(client, db):
    spec = client.get("/api/v1/openapi.json")
    assert spec.status_code == 200
    paths = spec.json["paths"]
    for path in (
        "/api/v1/auth/tokens",
        "/api/v1/me",
        "/api/v1/users",
        "/api/v1/regions",
        "/api/v1/institutions",
    ):
        assert path in paths
    assert "bearerAuth" in spec.json["components"]["securitySchemes"]
    docs = client.get("/api/v1/docs").get_data(as_text=True)
    assert "/api/v1/docs/assets/swagger-ui-bundle.js" in docs
    assert "cdn" not in docs.lower()
    assert client.get("/api/v1/docs/assets/swagger-ui-bundle.js").status_code == 200


def test_a_job_is_visible_to_whoever_started_it(client, db, admin):
    from lms.core.models import Job

    owner, other = factories.UserFactory(), factories.UserFactory()
    job = Job(kind="roster_import", status="running", progress=300, total=1000, created_by_id=owner.id)
    db.session.add(job)
    db.session.flush()
    mine = client.get(f"/api/v1/jobs/{job.id}", headers=api_headers(owner))
    assert mine.status_code == 200
    assert {k: mine.json[k] for k in ("id", "status", "progress", "total")} == {
        "id": job.id,
        "status": "running",
        "progress": 300,
        "total": 1000,
    }
    assert (
        client.get(f"/api/v1/jobs/{job.id}", headers=api_headers(other)).status_code == 404
    )  # not hers: the id reveals nothing
    assert client.get(f"/api/v1/jobs/{job.id}", headers=api_headers(admin)).status_code == 200
    assert client.get("/api/v1/jobs/999999", headers=api_headers(owner)).status_code == 404


def test_a_very_long_cyrillic_name_gets_a_latin_name_that_fits(client, db, admin):
    name = "Щ" * 200
    created = client.post(
        "/api/v1/users", json={"email": "long@example.org", "full_name": name}, headers=api_headers(admin)
    )
    assert created.status_code == 201
    assert created.json["full_name_latin"] == "SHCH" * 50  # an all-capitals word stays in capitals


def test_the_same_email_created_twice_at_once_is_a_conflict_not_a_crash(db, admin):
    import pytest

    from lms.accounts import services
    from lms.accounts.models import User
    from lms.core.errors import Conflict

    services.create_user(by=admin, email="race@example.org", full_name="Перша")
    # The second request checked before the first one's row existed: only the constraint sees it.
    original = services.find_user_by_email
    services.find_user_by_email = lambda email: None
    try:
        with pytest.raises(Conflict):
            services.create_user(by=admin, email="race@example.org", full_name="Друга")
    finally:
        services.find_user_by_email = original
    assert db.session.query(User).filter_by(email="race@example.org").count() == 1


# The endpoints of shared/API.md built so far, with their methods: the contract must not shrink.
CONTRACT = {
    "/api/v1/auth/tokens": {"post"},
    "/api/v1/me": {"get"},
    "/api/v1/users": {"get", "post"},
    "/api/v1/users/{user_id}": {"get", "patch"},
    "/api/v1/regions": {"get", "post"},
    "/api/v1/districts": {"get", "post"},
    "/api/v1/institutions": {"get", "post"},
    "/api/v1/courses": {"get", "post"},
    "/api/v1/courses/{course_id}": {"get", "patch"},
    "/api/v1/cascade/accreditations": {"get", "post"},
    "/api/v1/cohorts": {"get", "post"},
    "/api/v1/cohorts/{cohort_id}": {"get", "patch"},
    "/api/v1/cohorts/{cohort_id}/sessions": {"get", "post"},
    "/api/v1/cohorts/{cohort_id}/enrollments": {"get", "post"},
    "/api/v1/cohorts/{cohort_id}/roster": {"post"},
    "/api/v1/sessions/{session_id}/attendance": {"put"},
    "/api/v1/jobs/{job_id}": {"get"},
}


def test_the_openapi_document_keeps_every_contract_endpoint(client, db):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    missing = {path: methods - set(paths.get(path, {})) for path, methods in CONTRACT.items()}
    assert {path: methods for path, methods in missing.items() if methods} == {}
