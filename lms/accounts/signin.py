"""Signing in and passwords: throttled checks that cost the same for every address, the
second factor, password reset and change. A new password ends every session and API token."""

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from lms.accounts import passwords, sessions, throttle, two_factor
from lms.accounts.models import User
from lms.accounts.services import find_user_by_email, revoke_all_tokens
from lms.core import audit
from lms.core.db import utcnow
from lms.core.errors import PermissionDenied, TooManyRequests, ValidationError
from lms.core.links import external_url
from lms.core.mail import queue_email
from lms.core.outbox import enqueue
from lms.extensions import db


def _sign_in_keys(email: str, ip: str) -> dict[str, int]:
    config = current_app.config
    return {
        throttle.key("sign-in-account", email): config["LOGIN_THROTTLE_MAX_FAILURES"],
        throttle.key("sign-in-address", ip): config["LOGIN_THROTTLE_MAX_PER_IP"],
    }


def _take_sign_in_slot(email: str, ip: str) -> dict[str, int]:
    """Count an attempt before checking anything; raise when the account or address is over."""
    config = current_app.config
    window = config["LOGIN_THROTTLE_WINDOW_SECONDS"]
    # Only rows past the longest window go: the reset counters run for an hour.
    throttle.forget_expired(max(window, config["PASSWORD_RESET_WINDOW_SECONDS"]))
    db.session.commit()
    keys = _sign_in_keys(email, ip)
    if not throttle.take(keys, window):
        audit.record(None, "user.sign_in_failed", None, email=email, reason="throttled")
        db.session.commit()
        raise TooManyRequests(
            _l(
                "Too many failed sign-ins. Try again in %(minutes)d minutes or reset your password.",
                minutes=max(1, window // 60),
            )
        )
    return keys


def _wrong_credentials() -> ValidationError:
    return ValidationError(
        _l("Wrong email or password."), fields={"password": [_l("Wrong email or password.")]}
    )


def authenticate(email: str, password: str, ip: str) -> User:
    """The active person whose email and password match, or raise; throttled per account and
    per address. An unknown or deactivated account costs one password hash too, and gets the
    same answer, so neither the message nor the time tells which emails exist."""
    email = (email or "").strip().lower()[:254]
    keys = _take_sign_in_slot(email, ip)
    user = find_user_by_email(email)
    if user is None or not user.active:
        passwords.spend_equal_work(password)
        matched = False
    else:
        matched = user.check_password(password)
    if not matched:
        audit.record(None, "user.sign_in_failed", user, email=email, reason="password")
        db.session.commit()
        raise _wrong_credentials()
    throttle.give_back(keys)
    return user


def check_second_factor(user: User, code: str, ip: str) -> None:
    """Accept an authenticator or recovery code for ``user``; wrong codes count as failed
    sign-ins of the account."""
    keys = _take_sign_in_slot(user.email, ip)
    if not two_factor.verify(user, code):
        audit.record(None, "user.sign_in_failed", user, email=user.email, reason="second_factor")
        db.session.commit()
        raise ValidationError.on("code", _l("This code is not valid. Try the current one."))
    throttle.give_back(keys)


def complete_sign_in(user: User, *, remember: bool, ip: str | None) -> None:
    """Open a server-side session and note the sign-in (the caller then calls ``login_user``)."""
    sessions.start(user, remember=remember, ip=ip)
    user.last_login_at = utcnow()
    audit.record(user, "user.sign_in", user, remember=remember)


def sign_out(user: User) -> None:
    sessions.end(user)
    audit.record(user, "user.sign_out", user)


def token_credentials(email: str, password: str, ip: str, otp: str = "") -> User:
    """The person an API token may be made for: password, and the code when two-factor is on."""
    user = authenticate(email, password, ip)
    if user.two_factor_enabled:
        if not (otp or "").strip():
            raise ValidationError.on("otp", _l("Enter the code from your authenticator app."))
        check_second_factor(user, otp, ip)
    elif two_factor.must_enrol(user):
        raise PermissionDenied(_l("Set up two-factor sign-in on the website before making API tokens."))
    return user


def set_new_password(user: User, password: str, *, by, action: str, field: str = "password") -> User:
    """Store a new password; end every session and API token of the person."""
    passwords.check_strength(password, field)
    user.set_password(password)
    sessions.end_all(user)
    revoked = revoke_all_tokens(user)
    audit.record(by, action, user, tokens_revoked=revoked)
    return user


def change_password(user: User, current_password: str, new_password: str, ip: str) -> User:
    keys = _take_sign_in_slot(user.email, ip)
    if not user.check_password(current_password):
        audit.record(user, "user.sign_in_failed", user, email=user.email, reason="password_change")
        db.session.commit()
        raise ValidationError.on("current_password", _l("This is not your current password."))
    throttle.give_back(keys)
    return set_new_password(user, new_password, by=user, action="user.password_change", field="new_password")


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def request_password_reset(email: str, ip: str) -> None:
    """Queue a reset for ``email``, throttled per address and per account.

    The request does the same work whatever the address: the look-up and the email happen in a
    task, which sends nothing for an unknown or deactivated address.
    """
    email = (email or "").strip().lower()[:254]
    config = current_app.config
    keys = {
        throttle.key("reset-account", email): config["PASSWORD_RESET_MAX_PER_ACCOUNT"],
        throttle.key("reset-address", ip): config["PASSWORD_RESET_MAX_PER_ADDRESS"],
    }
    if not throttle.take(keys, config["PASSWORD_RESET_WINDOW_SECONDS"]):
        raise TooManyRequests(_l("Too many requests to reset a password. Try again in an hour."))
    enqueue("lms.accounts.send_password_reset", email=email)


def send_password_reset(email: str) -> bool:
    """Email a reset link when ``email`` belongs to an active person (run by the task)."""
    user = find_user_by_email(email)
    if user is None or not user.active:
        return False
    email_reset_link(user)
    return True


def email_reset_link(user: User) -> None:
    # The nonce in the token makes the link single-use: setting a password changes it.
    token = _reset_serializer().dumps({"id": user.id, "n": user.session_nonce})
    link = external_url("accounts.reset_password", token=token)
    with force_locale(user.locale):
        subject = _("Reset your Cascade LMS password")
        body = _(
            "Hello %(name)s,\n\nTo choose a new password, open this link within two hours:\n%(link)s\n\n"
            "If you did not ask for this, ignore this email: your password stays the same.",
            name=user.full_name,
            link=link,
        )
    queue_email(user.email, subject, body)
    audit.record(None, "user.password_reset_requested", user)


def user_for_reset_token(token: str) -> User:
    try:
        data = _reset_serializer().loads(token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"])
    except SignatureExpired:
        raise ValidationError(_l("This link has expired. Ask for a new one.")) from None
    except BadSignature:
        raise ValidationError(_l("This link is not valid. Ask for a new one.")) from None
    user = db.session.get(User, data.get("id")) if isinstance(data, dict) else None
    if user is None or not user.active or user.session_nonce != data.get("n"):
        raise ValidationError(_l("This link has already been used or is no longer valid."))
    return user


def reset_password(token: str, new_password: str) -> User:
    user = user_for_reset_token(token)
    return set_new_password(user, new_password, by=user, action="user.password_reset")
