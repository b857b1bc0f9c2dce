"""What wraps every response: security headers, the request id, proxies and structured logs."""

import json
import logging
import re
import uuid
from datetime import UTC, datetime

from flask import Flask, Response, g, has_request_context, request
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

# Styles may be inline (``style=`` attributes in templates, Swagger UI's own): they cannot run
# code. Scripts may not: every script is a file served from here.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)
HSTS = "max-age=31536000; includeSubDomains"
# A client's id is echoed into logs and headers: keep it short and plain.
REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


# Ids are 32-bit integers on PostgreSQL (SQLite's are 64-bit): a larger id in a URL names nothing.
MAX_ID = 2**31 - 1


def _up_to(limit: int) -> str:
    """A regular expression matching exactly the decimal numbers 0..``limit`` (leading zeros
    allowed): fewer digits, or ``limit``'s first digits then a smaller digit then any digits."""
    digits = str(limit)
    options = [rf"\d{{1,{len(digits) - 1}}}"] if len(digits) > 1 else []
    for index, digit in enumerate(digits):
        low = 1 if index == 0 and len(digits) > 1 else 0  # no leading zero among the longest
        if int(digit) > low:
            rest = len(digits) - index - 1
            options.append(f"{digits[:index]}[{low}-{int(digit) - 1}]" + (rf"\d{{{rest}}}" if rest else ""))
    options.append(digits)
    return "0*(?:" + "|".join(options) + ")"


class IdConverter(IntegerConverter):
    """``<int:...>`` in routes: an id beyond the database's range is a 404, not a database error.

    The range is in the pattern, not only in a ``max`` check after matching: werkzeug notes a
    route's other methods while matching the path, so a too-large id refused by ``max`` at
    conversion answered 405 (Method Not Allowed) on a URL with two methods (PATCH and DELETE
    /api/v1/sessions/<id>) instead of 404.
    """

    regex = _up_to(MAX_ID)

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def init_shell(app: Flask) -> None:
    """Called first in ``create_app``: the converter must be in place before routes are added."""
    app.url_map.converters["int"] = IdConverter
    trusted = int(app.config.get("TRUSTED_PROXIES", 0) or 0)
    if trusted > 0:
        # Each proxy appends one address; trusting more than there are lets a client pick its own.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=trusted, x_proto=trusted, x_host=trusted, x_port=trusted)
    app.before_request(_assign_request_id)
    app.after_request(_secure_response)
    if app.config.get("JSON_LOGS"):
        configure_json_logging(app)


def _assign_request_id() -> None:
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if REQUEST_ID_PATTERN.match(incoming) else uuid.uuid4().hex


def current_request_id() -> str | None:
    return getattr(g, "request_id", None) if has_request_context() else None


def _secure_response(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", HSTS)
    request_id = current_request_id()
    if request_id:
        headers["X-Request-ID"] = request_id
    return response


class JsonFormatter(logging.Formatter):
    """One JSON object a line, with the request id, so log tools can join a request's lines."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if has_request_context():
            entry["request_id"] = current_request_id()
            entry["method"] = request.method
            entry["path"] = request.path
            entry["remote_addr"] = request.remote_addr
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_json_logging(app: Flask) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    app.logger.handlers[:] = [handler]
    app.logger.setLevel(logging.INFO)
    app.logger.propagate = False

    @app.after_request
    def _log_request(response: Response) -> Response:
        app.logger.info("%s %s %s", request.method, request.path, response.status_code)
        return response
