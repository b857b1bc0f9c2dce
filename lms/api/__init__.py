"""The JSON API v1: one flask-smorest ``Api`` gathering each feature's blueprint.

Each feature keeps its endpoints in its own ``api.py``; this package holds what they share:
the OpenAPI document (served at /api/v1/openapi.json, shown at /api/v1/docs with a locally
served Swagger UI), bearer-token security, pagination and the error format of API.md.
"""

import re

import swagger_ui_bundle
from flask import Blueprint, Flask, request, send_from_directory
from flask_babel import lazy_gettext as _l
from flask_smorest import Api

from lms.api.common import ErrorSchema
from lms.core.errors import ValidationError
from lms.core.permissions import public

API_PREFIX = "/api/v1"

swagger_assets = Blueprint("swagger_assets", __name__, url_prefix=f"{API_PREFIX}/docs/assets")


@swagger_assets.get("/<path:filename>")
@public
def swagger_asset(filename: str):
    return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename, max_age=86400)


class LmsApi(Api):
    """flask-smorest's Api documenting our error body (the app's handler produces it).

    No catch-all ``default`` response: each operation names the error statuses it can answer
    (``document_errors``), so a client and the fuzz (tests/test_api_fuzz.py) can rely on them.
    """

    ERROR_SCHEMA = ErrorSchema
    DEFAULT_ERROR_RESPONSE_NAME = None


# The error answers API.md promises, documented once here rather than on every operation.
ERROR_RESPONSES = {
    "400": ("ErrorBadRequest", "The body is not valid JSON, or not the form the operation takes."),
    "401": ("ErrorUnauthorized", "No bearer token, or an expired or revoked one."),
    "403": ("ErrorForbidden", "The caller may see the object but not do this."),
    "404": ("ErrorNotFound", "No such object, or one outside the caller's scope (its id reveals nothing)."),
    "409": ("ErrorConflict", "The request conflicts with the current state (a duplicate, a double booking)."),
    "422": (
        "ErrorValidation",
        "A field is invalid or a business rule refuses the request; `fields` names what to correct.",
    ),
    "429": ("ErrorTooManyRequests", "Too many attempts: wait and try again (see `Retry-After`)."),
}
METHODS = ("get", "put", "post", "delete", "patch")


def _openapi_path(rule: str) -> str:
    """``/cohorts/<int:cohort_id>`` → ``/cohorts/{cohort_id}``."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def _public_operations(app: Flask) -> set[tuple[str, str]]:
    public = set()
    for rule in app.url_map.iter_rules():
        view = app.view_functions.get(rule.endpoint)
        if rule.rule.startswith(f"{API_PREFIX}/") and getattr(view, "is_public", False):
            public |= {(_openapi_path(rule.rule), method.lower()) for method in rule.methods or ()}
    return public


def document_errors(api: Api, app: Flask) -> None:
    """Add the standard error responses to every operation of the OpenAPI document.

    - 401 and 403 to every operation that needs a token; public ones get ``security: []``;
    - 404 where the path or the input names an object by id;
    - 400 where a body is read; 422 wherever input is read or a business rule may refuse
      (every write, every read with query parameters);
    - 409 and 429 only where an operation declares them (``@blp.alt_response``), as they
      depend on the operation's rules.
    Each is a shared component with ``ErrorSchema``; an operation's own description wins.
    """
    spec = api.spec
    for name, description in ERROR_RESPONSES.values():
        spec.components.response(name, {"description": description, "content": _error_content(spec)})
    public = _public_operations(app)
    for path, item in spec._paths.items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            parameters = [*item.get("parameters", []), *operation.get("parameters", [])]
            in_path = any(p.get("in") == "path" for p in parameters) or "{" in path
            in_query = any(p.get("in") == "query" for p in parameters)
            body = "requestBody" in operation
            wanted = set()
            if (path, method) in public:
                operation["security"] = []
            else:
                wanted |= {"401", "403"}
            if in_path or _names_an_id(spec, operation):
                wanted.add("404")
            if body:
                wanted.add("400")
            if method != "get" or in_query or body:
                wanted.add("422")
            for status in sorted(wanted):
                current = responses.get(status)
                if current is None or current == {"$ref": "#/components/responses/UNPROCESSABLE_ENTITY"}:
                    responses[status] = spec.components.get_ref("response", ERROR_RESPONSES[status][0])


def _error_content(spec) -> dict:
    return {"application/json": {"schema": spec.components.get_ref("schema", "Error")}}


def _names_an_id(spec, operation: dict) -> bool:
    """Whether a query parameter or a body field names another object by id (``course_id``)."""
    names = [p.get("name", "") for p in operation.get("parameters", []) if p.get("in") == "query"]
    for content in operation.get("requestBody", {}).get("content", {}).values():
        names += list(_properties(spec, content.get("schema", {})))
    return any(name.endswith(("_id", "_ids")) for name in names)


def _properties(spec, schema: dict) -> dict:
    ref = schema.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        schema = spec.components.schemas.get(ref.rsplit("/", 1)[1], {})
    return schema.get("properties", {})


def init_api(app: Flask, blueprints) -> Api:
    from lms.extensions import csrf

    app.config.update(
        API_TITLE="Cascade LMS API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=API_PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL=f"{API_PREFIX}/docs/assets/",
        API_SPEC_OPTIONS={
            "info": {"description": "Courses, cohorts, assessments, certificates and the training cascade."},
            "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearerAuth": []}],
        },
    )
    api = LmsApi(app)
    for blueprint in blueprints:
        api.register_blueprint(blueprint, url_prefix=API_PREFIX)
        csrf.exempt(blueprint)  # bearer tokens, not cookies: nothing for a forged form to ride on
    document_errors(api, app)
    app.register_blueprint(swagger_assets)
    app.config["PUBLIC_ENDPOINTS"] |= {"api-docs.openapi_json", "api-docs.openapi_swagger_ui"}
    app.extensions["lms_api"] = api
    app.before_request(_patch_changes_something)
    return api


def _patch_changes_something() -> None:
    """A PATCH with no body or ``{}`` is a client mistake (422), not a successful no-op."""
    if request.method != "PATCH" or not request.path.startswith(f"{API_PREFIX}/"):
        return
    if not request.get_data(cache=True) or request.get_json(silent=True) == {}:
        raise ValidationError(_l("Send at least one field to change."))
