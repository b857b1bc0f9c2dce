"""How the accounts package's audit events read (see ``lms.core.audit_log``)."""

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.accounts.models import ApiToken, User
from lms.core.audit_log import action_text, record_kind
from lms.core.i18n import localized
from lms.extensions import db

FIELD_LABELS = {
    "email": _l("email"),
    "full_name": _l("name"),
    "surname": _l("surname"),
    "phone": _l("phone"),
    "locale": _l("language"),
    "roles": _l("roles"),
    "active": _l("active"),
}


def _people(ids: set[int]) -> dict[int, tuple[str, str | None]]:
    rows = db.session.execute(select(User.id, User.full_name, User.full_name_latin).where(User.id.in_(ids)))
    return {i: (localized(name, latin), url_for("users_admin.edit", user_id=i)) for i, name, latin in rows}


def _tokens(ids: set[int]) -> dict[int, tuple[str, str | None]]:
    rows = db.session.execute(select(ApiToken.id, ApiToken.name, ApiToken.prefix).where(ApiToken.id.in_(ids)))
    return {i: (f"{name} ({prefix}…)", None) for i, name, prefix in rows}


def _changed_fields(details: dict) -> str:
    before = details.get("before") or {}
    return ", ".join(str(FIELD_LABELS.get(name, name)) for name in before)


record_kind("users", label=_l("People"), names=_people)
record_kind("api_tokens", label=_l("API tokens"), names=_tokens)

action_text("user.create", label=_l("Person added"), sentence=_l("%(actor)s added a person"))
action_text(
    "user.update",
    label=_l("Profile changed"),
    sentence=_l("%(actor)s changed a person's profile"),
    details=_changed_fields,
)
action_text("user.welcome", label=_l("Welcome email sent"), sentence=_l("%(actor)s sent a welcome email"))
action_text("user.sign_in", label=_l("Signed in"), sentence=_l("%(actor)s signed in"))
action_text(
    "user.password_change", label=_l("Password changed"), sentence=_l("%(actor)s changed the password")
)
action_text(
    "user.password_reset_requested",
    label=_l("Password reset asked for"),
    sentence=_l("%(actor)s asked for a password reset link"),
)
action_text(
    "user.password_reset",
    label=_l("Password reset"),
    sentence=_l("%(actor)s set a new password by the reset link"),
)
action_text(
    "user.password_set",
    label=_l("First password chosen"),
    sentence=_l("%(actor)s chose a password and signed in for the first time"),
)
action_text("token.create", label=_l("API token created"), sentence=_l("%(actor)s created an API token"))
action_text("token.revoke", label=_l("API token revoked"), sentence=_l("%(actor)s revoked an API token"))
