"""The JSON API v1: one flask-smorest ``Api`` gathering each feature's blueprint.

Each feature keeps its endpoints in its own ``api.py``; this package holds what they share:
the OpenAPI document (served at /api/v1/openapi.json, shown at /api/v1/docs with a locally
served Swagger UI), bearer-token security, pagination and the error format of API.md.
"""

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
    """flask-smorest's Api documenting our error body (the app's handler produces it)."""

    ERROR_SCHEMA = ErrorSchema


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
