"""Password policy and hashing: length limits, a common-password list and a slow hash.

scrypt through Werkzeug (N=2**15, r=8, p=1, 16-byte salt; ``PASSWORD_HASH_METHOD`` changes it).
"""

from functools import cache
from importlib.resources import files

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

from lms.core.errors import ValidationError

MIN_LENGTH = 8
MAX_LENGTH = 128
DEFAULT_METHOD = "scrypt:32768:8:1"


def _method() -> str:
    return (
        current_app.config.get("PASSWORD_HASH_METHOD", DEFAULT_METHOD)
        if has_app_context()
        else DEFAULT_METHOD
    )


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=_method())


@cache
def _dummy_hash(method: str) -> str:
    return generate_password_hash("no account has this password", method=method)


def verify(password_hash: str | None, password: str) -> bool:
    """Check ``password``; without a hash, check against a dummy one of the same cost and fail,
    so that an unknown or password-less account answers as slowly as a real one."""
    if not password_hash:
        check_password_hash(_dummy_hash(_method()), password or "")
        return False
    return check_password_hash(password_hash, password or "")


def spend_equal_work(password: str) -> None:
    """Do the work of one password check for an attempt that has no account to check against."""
    verify(None, password)


@cache
def common_passwords() -> frozenset[str]:
    text = files("lms.accounts").joinpath("data/common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


def check_strength(password: str, field: str = "password") -> None:
    """Refuse a password that is too short, too long, or among the most common ones.

    No composition rules (NIST SP 800-63B): length and a deny-list do more than forced symbols.
    """
    password = password or ""
    if len(password) < MIN_LENGTH:
        raise ValidationError.on(field, _l("Use at least %(n)d characters.", n=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        raise ValidationError.on(field, _l("Use at most %(n)d characters.", n=MAX_LENGTH))
    if password.lower() in common_passwords():
        raise ValidationError.on(
            field, _l("This password is among the most common ones and easy to guess. Choose another.")
        )
