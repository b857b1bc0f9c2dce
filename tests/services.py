"""Which real services the tests may use, and whether they must."""

import os
import socket
from urllib.parse import urlparse

import pytest

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def services_required() -> bool:
    return os.environ.get("LMS_REQUIRE_SERVICES") == "1"


def reachable(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 0), timeout=1):
            return True
    except OSError:
        return False


def postgres_url() -> str | None:
    url = os.environ.get("LMS_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    return url if reachable(url) else None


def redis_url() -> str | None:
    url = os.environ.get("LMS_TEST_REDIS_URL", DEFAULT_REDIS_URL)
    return url if reachable(url) else None


def unavailable(what: str):
    """Skip when a service is missing, unless the run requires it (CI): then fail."""
    message = f"{what} is not reachable"
    if services_required():
        pytest.fail(message + " and LMS_REQUIRE_SERVICES=1", pytrace=False)
    pytest.skip(message)
