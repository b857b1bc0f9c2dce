"""A way in for every new person: the welcome email and the single-use set-password link.

A person added by an admin, by a trainer or by a roster import has no password yet. Her link
to choose one is signed with her session nonce, which changes when a password is set, so the
link works once; it stays valid for ``WELCOME_LINK_DAYS`` days (the reset link: two hours).
"""

from flask import current_app
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from lms.accounts.models import User
from lms.core import audit
from lms.core.errors import ValidationError
from lms.core.i18n import localized
from lms.core.links import base_url, external_url
from lms.core.outbox import enqueue
from lms.extensions import db


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="set-password")


def link_days() -> int:
    return int(current_app.config["WELCOME_LINK_DAYS"])


def set_password_link(user: User) -> str:
    token = _serializer().dumps({"id": user.id, "n": user.session_nonce})
    return external_url("accounts.set_password", token=token)


def access_link(user: User) -> tuple[str, str]:
    """``("set_password", link)`` for a person without a password, else ``("sign_in", link)``."""
    if user.password_hash:
        return "sign_in", external_url("accounts.login")
    return "set_password", set_password_link(user)


def access_lines(user: User) -> list[str]:
    """Lines for an email that tell the person how to reach the platform (current locale)."""
    kind, link = access_link(user)
    if kind == "sign_in":
        return [_("Sign in to Cascade LMS with your email %(email)s:", email=user.email), link]
    days = link_days()
    return [
        ngettext(
            "Your account on Cascade LMS is ready. Choose your password here (the link works once, "
            "for %(num)d day):",
            "Your account on Cascade LMS is ready. Choose your password here (the link works once, "
            "for %(num)d days):",
            days,
        ),
        link,
        _("Then sign in with your email %(email)s.", email=user.email),
    ]


def welcome_text(user: User) -> tuple[str, str]:
    """Subject and body of the welcome email, in the person's language."""
    with force_locale(user.locale or "uk"):
        lines = [
            _("Hello, %(name)s!", name=localized(user.full_name, user.full_name_latin)),
            "",
            _(
                "You have an account on Cascade LMS (%(site)s), where your trainings, attendance and "
                "certificates are kept.",
                site=base_url(),
            ),
            "",
            *access_lines(user),
            "",
            _(
                "If the link no longer works, ask for a new one on the sign-in page: %(link)s",
                link=forgot_link(),
            ),
        ]
        return str(_("Your account on Cascade LMS")), "\n".join(str(line) for line in lines)


def forgot_link() -> str:
    return external_url("accounts.forgot_password")


def queue_welcome(user: User, *, by) -> None:
    """Send the welcome email once the transaction commits (composed by the worker)."""
    enqueue("lms.accounts.send_welcome", user_id=user.id)
    audit.record(by, "user.welcome", user)


def user_for_set_password_token(token: str) -> User:
    try:
        data = _serializer().loads(token, max_age=link_days() * 24 * 60 * 60)
    except SignatureExpired:
        raise ValidationError(_l("This link has expired. Ask for a new one below.")) from None
    except BadSignature:
        raise ValidationError(_l("This link is not valid. Ask for a new one below.")) from None
    user = db.session.get(User, data.get("id"))
    if user is None or not user.active or user.session_nonce != data.get("n"):
        raise ValidationError(_l("This link has already been used. Sign in, or ask for a new link below."))
    return user


def set_first_password(token: str, password: str) -> User:
    """Set the password a link was sent for; the link cannot be used again."""
    from lms.accounts.signin import set_new_password  # signin builds on this module's links

    user = user_for_set_password_token(token)
    return set_new_password(user, password, by=user, action="user.password_set")
