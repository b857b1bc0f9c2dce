"""The OpenAPI document (GET /api/v1/openapi.json) against the contract of shared/API.md.

Every resource of API.md's table is in the document with the methods the table names; every
operation documents a successful answer with its body's schema and the error answers it can
give (API.md: 400/401/403/404/409/422/429 with the error body), so a client and the fuzz of
tests/test_api_fuzz.py can rely on the document.
"""

import pytest

# API.md's table, path by path, with its methods.
CONTRACT = {
    "/api/v1/auth/tokens": {"post"},
    "/api/v1/regions": {"get", "post"},
    "/api/v1/districts": {"get", "post"},
    "/api/v1/institutions": {"get", "post"},
    "/api/v1/users": {"get", "post"},
    "/api/v1/users/{user_id}": {"get", "patch"},
    "/api/v1/me": {"get"},
    "/api/v1/courses": {"get", "post"},
    "/api/v1/courses/{course_id}": {"get", "patch"},
    "/api/v1/courses/{course_id}/questions": {"get", "post"},
    "/api/v1/questions/{question_id}": {"get", "patch"},
    "/api/v1/cohorts/{cohort_id}/tests": {"get"},
    "/api/v1/cohorts/{cohort_id}/tests/{phase}/open": {"post"},
    "/api/v1/cohorts/{cohort_id}/tests/{phase}/close": {"post"},
    "/api/v1/cohorts/{cohort_id}/results": {"get"},
    "/api/v1/cohorts/{cohort_id}/item-analysis": {"get"},
    "/api/v1/cohorts": {"get", "post"},
    "/api/v1/cohorts/{cohort_id}": {"get", "patch"},
    "/api/v1/cohorts/{cohort_id}/sessions": {"get", "post"},
    "/api/v1/cohorts/{cohort_id}/enrollments": {"get", "post"},
    "/api/v1/cohorts/{cohort_id}/roster": {"post"},
    "/api/v1/sessions/{session_id}/attendance": {"put"},
    "/api/v1/enrollments/{enrollment_id}/scores": {"put"},
    "/api/v1/enrollments/{enrollment_id}/responses/{phase}": {"put"},
    "/api/v1/cohorts/{cohort_id}/close": {"post"},
    "/api/v1/jobs/{job_id}": {"get"},
    "/api/v1/certificates": {"get"},
    "/api/v1/certificates/{serial}": {"get"},
    "/api/v1/certificates/{serial}/pdf": {"get"},
    "/api/v1/certificates/{serial}/revoke": {"post"},
    "/api/v1/certificates/{serial}/reissue": {"post"},
    "/api/v1/certificates/{serial}/credential": {"get"},
    "/api/v1/verify/{code}": {"get"},
    "/api/v1/step-down-events": {"get", "post"},
    "/api/v1/cascade/accreditations": {"get", "post"},
    "/api/v1/cascade/trainers/{user_id}": {"get"},
    "/api/v1/cascade/summary": {"get"},
    "/api/v1/reports/summary": {"get"},
    "/api/v1/reports/exports": {"post"},
    "/api/v1/me/trainings": {"get"},
    "/api/v1/me/certificates": {"get"},
}
# Built on another branch and merged later: checked like the others once it is there.
PENDING = {"/api/v1/reports/exports"}
# Only these need no token (API.md: verification and token creation).
PUBLIC = {("/api/v1/auth/tokens", "post"), ("/api/v1/verify/{code}", "get")}
# Operations whose business rules answer 409 (a duplicate, a double booking, a state that has
# moved on) or 429 (throttled): each must say so.
CONFLICTS = {
    ("/api/v1/regions", "post"),
    ("/api/v1/districts", "post"),
    ("/api/v1/institutions", "post"),
    ("/api/v1/users", "post"),
    ("/api/v1/users/{user_id}", "patch"),
    ("/api/v1/courses", "post"),
    ("/api/v1/courses/{course_id}", "patch"),
    ("/api/v1/cascade/accreditations", "post"),
    ("/api/v1/cohorts", "post"),
    ("/api/v1/cohorts/{cohort_id}", "patch"),
    ("/api/v1/cohorts/{cohort_id}/sessions", "post"),
    ("/api/v1/cohorts/{cohort_id}/enrollments", "post"),
    ("/api/v1/cohorts/{cohort_id}/roster", "post"),
    ("/api/v1/cohorts/{cohort_id}/tests/{phase}/open", "post"),
    ("/api/v1/cohorts/{cohort_id}/tests/{phase}/close", "post"),
    ("/api/v1/enrollments/{enrollment_id}/responses/{phase}", "put"),
    ("/api/v1/cohorts/{cohort_id}/close", "post"),
    ("/api/v1/certificates/{serial}/revoke", "post"),
    ("/api/v1/certificates/{serial}/reissue", "post"),
}
THROTTLED = {("/api/v1/auth/tokens", "post"), ("/api/v1/verify/{code}", "get")}
METHODS = {"get", "put", "post", "patch", "delete"}
ERROR_SCHEMA = "#/components/schemas/Error"


@pytest.fixture
def spec(client, db) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json


def _operations(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, item, operation


def _resolve(spec: dict, obj: dict) -> dict:
    ref = obj.get("$ref")
    if ref is None:
        return obj
    section, name = ref.split("/")[-2:]
    return spec["components"][section][name]


def test_every_resource_of_the_contract_is_in_the_document_with_its_methods(spec):
    missing = {
        path: sorted(methods - set(spec["paths"].get(path, {})))
        for path, methods in CONTRACT.items()
        if not (path in PENDING and path not in spec["paths"])
    }
    assert {path: methods for path, methods in missing.items() if methods} == {}


def test_every_operation_documents_a_successful_answer_with_its_body(spec):
    lacking = []
    for path, method, _item, operation in _operations(spec):
        successes = {code: r for code, r in operation["responses"].items() if code.startswith("2")}
        if not successes:
            lacking.append(f"{method.upper()} {path}: no 2xx")
            continue
        for code, response in successes.items():
            response = _resolve(spec, response)
            if code == "204":
                assert "content" not in response, f"{method.upper()} {path}: a 204 has no body"
                continue
            schemas = [media.get("schema") for media in response.get("content", {}).values()]
            if not any(schemas):
                lacking.append(f"{method.upper()} {path}: {code} without a schema")
    assert lacking == []


def test_every_operation_documents_its_error_answers_with_the_error_body(spec):
    lacking = []
    for path, method, item, operation in _operations(spec):
        responses = operation["responses"]
        parameters = [*item.get("parameters", []), *operation.get("parameters", [])]
        expected = set()
        if (path, method) in PUBLIC:
            assert operation.get("security") == [], f"{method.upper()} {path} is public"
        else:
            assert operation.get("security") is None, f"{method.upper()} {path} needs the bearer token"
            expected |= {"401", "403"}
        if any(p["in"] == "path" for p in parameters):
            expected.add("404")
        if "requestBody" in operation:
            expected |= {"400", "422"}
        if any(p["in"] == "query" for p in parameters) or method != "get":
            expected.add("422")
        if (path, method) in CONFLICTS:
            expected.add("409")
        if (path, method) in THROTTLED:
            expected.add("429")
        missing = expected - set(responses)
        if missing:
            lacking.append(f"{method.upper()} {path}: {sorted(missing)}")
        for code, response in responses.items():
            if code[0] in "45":
                content = _resolve(spec, response).get("content", {})
                schema = content.get("application/json", {}).get("schema", {})
                if schema.get("$ref") != ERROR_SCHEMA and "error" not in schema.get("properties", {}):
                    # The roster's 422 carries the rows with problems besides the error.
                    named = _resolve(spec, schema)
                    if "error" not in named.get("properties", {}):
                        lacking.append(f"{method.upper()} {path}: {code} without the error body")
        if "default" in responses:
            lacking.append(f"{method.upper()} {path}: a catch-all default instead of its statuses")
    assert lacking == []


def test_the_error_body_is_the_one_api_md_promises(spec):
    error = spec["components"]["schemas"]["Error"]["properties"]["error"]
    body = _resolve(spec, error)
    assert set(body["properties"]) == {"code", "message", "fields"}


def test_the_documented_statuses_say_what_they_mean(spec):
    conflict = spec["paths"]["/api/v1/cohorts"]["post"]["responses"]["409"]
    assert "booked" in _resolve(spec, conflict)["description"]
    unauthorized = _resolve(spec, spec["paths"]["/api/v1/cohorts"]["get"]["responses"]["401"])
    assert "token" in unauthorized["description"]
