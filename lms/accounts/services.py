"""Accounts: people, roles, region scope and API tokens (signing in is in ``signin``)."""

import re
import secrets
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app, g, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, inspect, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from lms.accounts import names, passwords, sessions
from lms.accounts.models import ROLES, ApiToken, User, UserRole, hash_token
from lms.core import audit
from lms.core.db import utcnow, writing
from lms.core.errors import Conflict, NotFound, ValidationError
from lms.core.permissions import can, require
from lms.core.text import refuse_control_characters
from lms.extensions import db
from lms.org.models import Institution, Region
from lms.org.translit import transliterate

NAME_MAX = 200
POSITION_MAX = 200
# What a person may change about herself (``user.edit_profile``); anything else is an admin's.
PROFILE_FIELDS = {"full_name", "surname", "full_name_latin", "phone", "position", "locale"}
PHONE_RE = re.compile(r"^\+?[0-9 ()-]{7,20}$")


def normalize_email(email: str, field: str = "email") -> str:
    try:
        return validate_email((email or "").strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise ValidationError.on(field, _l("Enter a valid email address.")) from None


def normalize_phone(phone: str | None) -> str | None:
    phone = (phone or "").strip()
    if not phone:
        return None
    if not PHONE_RE.match(phone):
        raise ValidationError.on("phone", _l("Enter a phone number with digits only, e.g. +380 67 123 4567."))
    digits = re.sub(r"\D", "", phone)
    if len(digits) == 10 and digits.startswith("0"):
        digits = "38" + digits  # a Ukrainian number written without the country code
    return "+" + digits


def _limited(value: str | None, field: str, max_length: int) -> str:
    """The text stripped, refused when longer than its column holds or holding a line break."""
    value = refuse_control_characters((value or "").strip(), field)
    if len(value) > max_length:
        raise ValidationError.on(field, _l("At most %(n)d characters.", n=max_length))
    return value


def get_user(user_id: int) -> User:
    user = person(user_id)
    if user is None:
        raise NotFound(_l("No such person."))
    return user


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


def create_user(
    *,
    by,
    email: str,
    full_name: str,
    roles=("participant",),
    password: str | None = None,
    full_name_latin: str = "",
    surname: str = "",
    phone: str | None = None,
    position: str = "",
    institution_id: int | None = None,
    region_ids=(),
    locale: str = "uk",
) -> User:
    """Create a person. ``by`` is None only for the command line and the seed."""
    if by is not None:
        require(by, "user.manage")
    email = normalize_email(email)
    full_name = _limited(full_name, "full_name", NAME_MAX)
    if not full_name:
        raise ValidationError.on("full_name", _l("Enter the person's full name."))
    names.check_surname(full_name, surname)
    full_name_latin = _limited(full_name_latin, "full_name_latin", NAME_MAX)
    position = _limited(position, "position", POSITION_MAX)
    if find_user_by_email(email):
        raise Conflict(
            _l("A person with this email already exists."), fields={"email": [_l("Already in use.")]}
        )
    _check_roles(roles)
    _check_coordinator_regions(roles, region_ids)
    user = User(
        email=email,
        full_name=full_name,
        surname=(surname or "").strip(),
        full_name_latin=(full_name_latin or "").strip() or latin_name(full_name),
        phone=normalize_phone(phone),
        position=(position or "").strip(),
        institution_id=_institution_id(institution_id),
        locale=locale if locale in ("uk", "en") else "uk",
    )
    user.set_roles(roles)
    user.regions = _regions(region_ids)
    if password:
        passwords.check_strength(password)
        user.set_password(password)
    try:
        with db.session.begin_nested():  # a simultaneous request with the same email loses cleanly
            db.session.add(user)
            db.session.flush()
    except IntegrityError:
        raise Conflict(
            _l("A person with this email already exists."), fields={"email": [_l("Already in use.")]}
        ) from None
    audit.record(by, "user.create", user, email=email, roles=sorted(roles))
    return user


def latin_name(full_name: str) -> str:
    """The official transliteration, cut to the column (щ becomes four letters)."""
    return transliterate(full_name)[:NAME_MAX]


def update_user(user: User, *, by, **changes) -> User:
    """Change a person's profile, roles, scope or active flag (admins), or own profile."""
    require(
        by,
        "user.manage" if set(changes) - PROFILE_FIELDS else "user.edit_profile",
        user,
    )
    before = {}
    if "email" in changes:
        email = normalize_email(changes.pop("email"))
        other = find_user_by_email(email)
        if other is not None and other.id != user.id:
            raise Conflict(
                _l("A person with this email already exists."), fields={"email": [_l("Already in use.")]}
            )
        before["email"], user.email = user.email, email
    if "full_name" in changes:
        name = _limited(changes.pop("full_name"), "full_name", NAME_MAX)
        if not name:
            raise ValidationError.on("full_name", _l("Enter the person's full name."))
        before["full_name"], user.full_name = user.full_name, name
        if "full_name_latin" not in changes:
            user.full_name_latin = latin_name(name)
    if "surname" in changes:
        surname = changes.pop("surname")
        names.check_surname(user.full_name, surname)
        # Empty: guessed again from the full name on save.
        before["surname"], user.surname = user.surname, (surname or "").strip()
    elif "full_name" in before:
        user.surname = names.surname_in(user.full_name, user.surname)
    if "full_name_latin" in changes:
        latin = _limited(changes.pop("full_name_latin"), "full_name_latin", NAME_MAX)
        user.full_name_latin = latin or latin_name(user.full_name)
    if "phone" in changes:
        phone = normalize_phone(changes.pop("phone"))
        if phone != user.phone:
            # Which field changed, not the number: the log is no address book.
            before["phone"], user.phone = bool(user.phone), phone
    if "position" in changes:
        user.position = _limited(changes.pop("position"), "position", POSITION_MAX)
    if "locale" in changes:
        locale = changes.pop("locale")
        if locale not in ("uk", "en"):
            raise ValidationError.on("locale", _l("Choose Ukrainian or English."))
        if locale != user.locale:
            before["locale"], user.locale = user.locale, locale
    if "institution_id" in changes:
        user.institution_id = _institution_id(changes.pop("institution_id"))
    if "roles" in changes:
        roles = changes.pop("roles")
        _check_roles(roles)
        if user.id == by.id and "admin" in user.roles and "admin" not in roles:
            raise ValidationError.on("roles", _l("You cannot remove your own admin role."))
        before["roles"] = sorted(user.roles)
        user.set_roles(roles)
        if set(before["roles"]) != user.roles:
            audit.record(by, "user.roles_change", user, before=before["roles"], after=sorted(user.roles))
    if "region_ids" in changes:
        user.regions = _regions(changes.pop("region_ids"))
    _check_coordinator_regions(user.roles, user.region_ids)
    if "active" in changes:
        active = bool(changes.pop("active"))
        if user.id == by.id and not active:
            raise ValidationError.on("active", _l("You cannot deactivate yourself."))
        if user.active and not active:
            # Every session and token ends now; reactivation brings none of them back.
            user.session_nonce = secrets.token_hex(8)
            sessions.end_all(user)
            revoke_all_tokens(user)
        before["active"], user.active = user.active, active
    if changes:
        raise ValidationError(_l("Unknown fields: %(names)s", names=", ".join(sorted(changes))))
    audit.record(by, "user.update", user, before=before)
    return user


def _check_coordinator_regions(roles, region_ids) -> None:
    """A coordinator works in her regions: without one she would see and plan nothing."""
    if "coordinator" in set(roles) and not set(region_ids or ()):
        raise ValidationError.on(
            "region_ids", _l("A coordinator needs at least one region: choose her regions.")
        )


def _check_roles(roles) -> None:
    unknown = set(roles) - set(ROLES)
    if unknown or not roles:
        raise ValidationError.on(
            "roles", _l("Choose one or more roles: admin, coordinator, trainer, participant.")
        )


def _institution_id(institution_id) -> int | None:
    if institution_id in (None, "", 0):
        return None
    if db.session.get(Institution, int(institution_id)) is None:
        raise ValidationError.on("institution_id", _l("No such institution."))
    return int(institution_id)


def _regions(region_ids) -> list[Region]:
    ids = {int(i) for i in region_ids or ()}
    regions = list(db.session.scalars(select(Region).where(Region.id.in_(ids)))) if ids else []
    if len(regions) != len(ids):
        raise ValidationError.on("region_ids", _l("Unknown region."))
    return regions


def create_token(user: User, *, name: str = "", days: int | None = None) -> tuple[ApiToken, str]:
    """Make a personal API token; the plain token is returned once and stored only as a hash."""
    plain = "lms_" + secrets.token_urlsafe(32)
    days = days or current_app.config["API_TOKEN_DAYS"]
    token = ApiToken(
        user_id=user.id,
        name=(name or "").strip()[:100],
        token_hash=hash_token(plain),
        prefix=plain[4:12],
        expires_at=utcnow() + timedelta(days=days),
    )
    db.session.add(token)
    db.session.flush()
    audit.record(user, "token.create", token, name=token.name)
    return token, plain


def with_person(query: Select, user_path=None) -> Select:
    """``query`` loading the person (at ``user_path``, or the User selected) with her roles and
    regions joined in, so that the signed-in person costs one statement."""
    if user_path is None:
        return query.options(joinedload(User.role_rows), joinedload(User.regions))
    return query.options(
        joinedload(user_path).joinedload(User.role_rows), joinedload(user_path).joinedload(User.regions)
    )


def person(user_id: int) -> User | None:
    """A person with her roles and regions, in one statement (fresh, also after a commit)."""
    query = with_person(select(User).where(User.id == user_id)).execution_options(populate_existing=True)
    return db.session.scalars(query).unique().one_or_none()


def job_starter(job) -> User:
    """The person who started ``job``, as ``person`` loads her; NotFound once she is gone (a job
    that acts on her behalf must not act for nobody)."""
    by = person(job.created_by_id or 0)
    if by is None:
        raise NotFound(_l("The person who uploaded the file is no longer here."))
    return by


def signed_in_person(user_id: int) -> User | None:
    """The person behind a browser session, roles and regions included: one statement."""
    return db.session.scalars(with_person(select(User).where(User.id == user_id))).unique().one_or_none()


def user_for_token(plain: str) -> User | None:
    """The person behind an API token, roles and regions included: one statement (and, at most
    every few minutes per token, one UPDATE of when it was last used)."""
    query = with_person(select(ApiToken).where(ApiToken.token_hash == hash_token(plain)), ApiToken.user)
    token = db.session.scalars(query).unique().one_or_none()
    if token is None or not token.is_usable or not token.user.active:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        _touch(token, now)
    if has_request_context():
        g.signed_in_until = (token.expires_at.timestamp(), None)  # lms.accounts.sessions.kept_identity
    return token.user


def _touch(token: ApiToken, now) -> None:
    # Committing would expire the person just loaded (and reloading her costs statements), so
    # these commits keep what is loaded: it was read in this transaction and is current. The
    # read transaction ends first so that, on SQLite, the write starts as a writer (``writing``).
    session = db.session()
    keep, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
        with writing():
            session.execute(
                update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now),
                execution_options={"synchronize_session": False},
            )
            session.commit()
    finally:
        session.expire_on_commit = keep
    set_committed_value(token, "last_used_at", now)


def revoke_token(token_id: int, *, by) -> ApiToken:
    token = db.session.get(ApiToken, token_id)
    if token is None or not can(by, "token.manage", token):
        raise NotFound(_l("No such token."))  # another person's token: its id reveals nothing
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(by, "token.revoke", token)
    return token


def revoke_all_tokens(user: User) -> int:
    """Revoke every usable API token of ``user``; return how many were revoked."""
    result = db.session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return result.rowcount or 0


def list_tokens(user: User) -> list[ApiToken]:
    return list(
        db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc()))
    )


def roles_of(user: User) -> set[str]:
    """Her roles: from the loaded rows when the person was loaded with them, else one query
    (a person found by email or id for a check, not a list)."""
    if "role_rows" in inspect(user).dict:
        return user.roles
    return set(db.session.scalars(select(UserRole.role).where(UserRole.user_id == user.id)))
