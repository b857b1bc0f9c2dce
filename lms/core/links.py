"""Absolute links for emails, which are often composed in a worker with no request to copy from."""

from urllib.parse import urlsplit

from flask import current_app


def base_url() -> str:
    """The public address: ``LMS_BASE_URL``, or the host and port ``lms dev`` serves on.

    Never the request's Host header: a forged one would put an attacker's address in front of
    a password link sent to someone else.
    """
    return current_app.config["BASE_URL"].rstrip("/")


def external_url(endpoint: str, **values) -> str:
    """``url_for(endpoint, **values)`` on the public address; works inside and outside requests."""
    parts = urlsplit(base_url())
    adapter = current_app.url_map.bind(
        parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme or "http"
    )
    return adapter.build(endpoint, values, force_external=True)
