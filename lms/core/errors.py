"""Domain errors raised by services, and how the HTML and JSON edges show them.

Services raise these with a translatable message; the web pages show the message (next to
the field when ``fields`` names one) and the API answers ``{"error": {code, message, fields}}``.
"""

from flask import Flask, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import DataError, OperationalError
from werkzeug.exceptions import HTTPException


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message=None, fields: dict | None = None, code: str | None = None):
        self.message = message or self.default_message()
        self.fields = fields or {}
        if code:
            self.code = code
        super().__init__(str(self.message))

    def default_message(self):
        return _l("The request could not be processed.")

    def to_dict(self) -> dict:
        return {
            "error": {
                "code": self.code,
                "message": str(self.message),
                "fields": {k: [str(m) for m in v] for k, v in self.fields.items()},
            }
        }


class ValidationError(DomainError):
    status = 422
    code = "validation_error"

    def default_message(self):
        return _l("Some fields need correcting.")

    @classmethod
    def on(cls, field: str, message) -> "ValidationError":
        return cls(message, fields={field: [message]})


class NotAuthenticated(DomainError):
    status = 401
    code = "not_authenticated"

    def default_message(self):
        return _l("Please sign in.")


class PermissionDenied(DomainError):
    status = 403
    code = "forbidden"

    def default_message(self):
        return _l("You do not have permission to do this.")


class NotFound(DomainError):
    status = 404
    code = "not_found"

    def default_message(self):
        return _l("Not found.")


class Conflict(DomainError):
    status = 409
    code = "conflict"

    def default_message(self):
        return _l("This conflicts with an existing record.")


class TooManyRequests(DomainError):
    status = 429
    code = "too_many_requests"

    def default_message(self):
        return _l("Too many attempts. Please wait and try again.")


HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
    500: "server_error",
}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def json_error(status: int, message: str, fields: dict | None = None, code: str | None = None):
    body = {
        "error": {"code": code or HTTP_CODES.get(status, "error"), "message": message, "fields": fields or {}}
    }
    return jsonify(body), status


def _html_error(status: int, message: str):
    template = f"errors/{status}.html" if status in (403, 404, 429, 500) else "errors/generic.html"
    return render_template(template, status=status, message=message), status


def _webargs_fields(error: HTTPException) -> dict:
    """Flatten webargs' ``{"json": {"email": [...]}}`` into ``{"email": [...]}``."""
    messages = (getattr(error, "data", None) or {}).get("messages") or {}
    fields: dict = {}
    for location_messages in messages.values():
        if isinstance(location_messages, dict):
            for name, problems in location_messages.items():
                fields[name] = [str(p) for p in problems] if isinstance(problems, list) else [str(problems)]
    return fields


# Ids are 32-bit on PostgreSQL; a whole number past this in the input cannot name a row.
MAX_DATABASE_INT = 2**31 - 1


def _fields_out_of_range() -> list[str]:
    """Names of query or JSON fields (top level, or lists of numbers) holding a whole number the
    database cannot store, so the error names the field the client must correct."""

    def too_large(value) -> bool:
        if isinstance(value, bool):
            return False
        if isinstance(value, int):
            return abs(value) > MAX_DATABASE_INT
        if isinstance(value, str):
            return value.strip().lstrip("-").isdigit() and abs(int(value)) > MAX_DATABASE_INT
        if isinstance(value, list):
            return any(too_large(item) for item in value)
        return False

    names = [name for name, values in request.args.lists() if any(too_large(v) for v in values)]
    body = request.get_json(silent=True) if request.is_json else None
    if isinstance(body, dict):
        names += [name for name, value in body.items() if too_large(value)]
    return sorted(set(names))


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def handle_domain_error(error: DomainError):
        if wants_json():
            return jsonify(error.to_dict()), error.status
        return _html_error(error.status, str(error.message))

    @app.errorhandler(HTTPException)
    def handle_http_exception(error: HTTPException):
        if wants_json():
            fields = _webargs_fields(error)
            message = "Some fields need correcting." if fields else (error.description or error.name)
            body, status = json_error(error.code or 500, message, fields)
        else:
            body, status = _html_error(error.code or 500, error.description)
        response = app.make_response((body, status))
        # Keep what the exception says about itself: ``Allow`` on a 405, ``Retry-After`` on a 429.
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(DataError)
    @app.errorhandler(OverflowError)
    def handle_value_out_of_range(error: Exception):
        # An id beyond the database's integer range, or a date past year 9999 after adding days:
        # bad input that slipped past the schemas, not a fault of the server.
        from lms.extensions import db

        db.session.rollback()
        app.logger.warning("Value out of range on %s %s: %s", request.method, request.path, error)
        too_large = _fields_out_of_range()
        message = _l("The number is too large.")
        invalid = ValidationError(fields={name: [message] for name in too_large})
        if wants_json():
            return jsonify(invalid.to_dict()), invalid.status
        return _html_error(400, str(invalid.message))

    @app.errorhandler(OperationalError)
    def handle_database_busy(error: OperationalError):
        # SQLite (the embedded default) refuses a second writer whose snapshot is stale: the
        # person can simply try again. Anything else is a real fault.
        if "database is locked" not in str(error) and "database is busy" not in str(error):
            return handle_unexpected(error)
        from lms.extensions import db

        db.session.rollback()
        app.logger.warning("Database busy on %s %s", request.method, request.path)
        message = str(_l("Someone else was saving at the same moment. Please try again."))
        if wants_json():
            return json_error(503, message, code="busy")
        return _html_error(503, message)

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        from lms.extensions import db

        db.session.rollback()
        if wants_json():
            return json_error(500, "Internal server error.")
        return _html_error(500, "")
