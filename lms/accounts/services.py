"""Accounts: people, roles, sign-in with throttling, password reset and API tokens."""

import re
import secrets
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from lms.accounts.models import ROLES, ApiToken, FailedLogin, User, hash_token
from lms.core import audit
from lms.core.db import utcnow, writing
from lms.core.errors import Conflict, NotFound, TooManyRequests, ValidationError
from lms.core.mail import queue_email
from lms.core.permissions import require
from lms.extensions import db
from lms.org.models import Institution, Region
from lms.org.translit import transliterate

MIN_PASSWORD_LENGTH = 10
NAME_MAX = 200
POSITION_MAX = 200
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
    """The text stripped, refused when longer than its column holds."""
    value = (value or "").strip()
    if len(value) > max_length:
        raise ValidationError.on(field, _l("At most %(n)d characters.", n=max_length))
    return value


def check_password_strength(password: str, field: str = "password") -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationError.on(field, _l("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH))


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
    full_name_latin = _limited(full_name_latin, "full_name_latin", NAME_MAX)
    position = _limited(position, "position", POSITION_MAX)
    if find_user_by_email(email):
        raise Conflict(
            _l("A person with this email already exists."), fields={"email": [_l("Already in use.")]}
        )
    _check_roles(roles)
    user = User(
        email=email,
        full_name=full_name,
        full_name_latin=(full_name_latin or "").strip() or latin_name(full_name),
        phone=normalize_phone(phone),
        position=(position or "").strip(),
        institution_id=_institution_id(institution_id),
        locale=locale if locale in ("uk", "en") else "uk",
    )
    user.set_roles(roles)
    user.regions = _regions(region_ids)
    if password:
        check_password_strength(password)
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
        "user.manage"
        if set(changes) - {"full_name", "full_name_latin", "phone", "position", "locale"}
        else "user.view",
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
    if "full_name_latin" in changes:
        latin = _limited(changes.pop("full_name_latin"), "full_name_latin", NAME_MAX)
        user.full_name_latin = latin or latin_name(user.full_name)
    if "phone" in changes:
        user.phone = normalize_phone(changes.pop("phone"))
    if "position" in changes:
        user.position = _limited(changes.pop("position"), "position", POSITION_MAX)
    if "locale" in changes:
        locale = changes.pop("locale")
        user.locale = locale if locale in ("uk", "en") else user.locale
    if "institution_id" in changes:
        user.institution_id = _institution_id(changes.pop("institution_id"))
    if "roles" in changes:
        roles = changes.pop("roles")
        _check_roles(roles)
        if user.id == by.id and "admin" in user.roles and "admin" not in roles:
            raise ValidationError.on("roles", _l("You cannot remove your own admin role."))
        before["roles"] = sorted(user.roles)
        user.set_roles(roles)
    if "region_ids" in changes:
        user.regions = _regions(changes.pop("region_ids"))
    if "active" in changes:
        active = bool(changes.pop("active"))
        if user.id == by.id and not active:
            raise ValidationError.on("active", _l("You cannot deactivate yourself."))
        if user.active and not active:
            user.session_nonce = secrets.token_hex(8)
        before["active"], user.active = user.active, active
    if changes:
        raise ValidationError(_l("Unknown fields: %(names)s", names=", ".join(sorted(changes))))
    audit.record(by, "user.update", user, before=before)
    return user


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


def authenticate(email: str, password: str, ip: str) -> User:
    """Return the person whose email and password match, or raise; throttles guessing.

    The same message answers an unknown email and a wrong password, so accounts cannot be
    discovered by trying addresses.
    """
    email = (email or "").strip().lower()
    config = current_app.config
    since = utcnow() - timedelta(seconds=config["LOGIN_THROTTLE_WINDOW_SECONDS"])
    db.session.execute(delete(FailedLogin).where(FailedLogin.at < since))
    by_email = db.session.scalar(
        select(func.count()).where(FailedLogin.email == email, FailedLogin.at >= since)
    )
    by_ip = db.session.scalar(select(func.count()).where(FailedLogin.ip == ip, FailedLogin.at >= since))
    if by_email >= config["LOGIN_THROTTLE_MAX_FAILURES"] or by_ip >= config["LOGIN_THROTTLE_MAX_PER_IP"]:
        minutes = config["LOGIN_THROTTLE_WINDOW_SECONDS"] // 60
        raise TooManyRequests(
            _l(
                "Too many failed sign-ins. Try again in %(minutes)d minutes or reset your password.",
                minutes=minutes,
            )
        )
    user = find_user_by_email(email)
    if user is None or not user.active or not user.check_password(password):
        db.session.add(FailedLogin(email=email[:254], ip=ip[:64]))
        db.session.commit()
        raise ValidationError(
            _l("Wrong email or password."), fields={"password": [_l("Wrong email or password.")]}
        )
    db.session.execute(delete(FailedLogin).where(FailedLogin.email == email))
    user.last_login_at = utcnow()
    audit.record(user, "user.sign_in", user)
    return user


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def request_password_reset(email: str) -> None:
    """Email a reset link if the address belongs to an active person; say nothing either way."""
    user = find_user_by_email((email or "").strip().lower())
    if user is None or not user.active:
        return
    # The nonce in the token makes the link single-use: setting a password changes it.
    token = _reset_serializer().dumps({"id": user.id, "n": user.session_nonce})
    link = current_app.config["BASE_URL"].rstrip("/") + url_for("accounts.reset_password", token=token)
    queue_email(
        user.email,
        _("Reset your Cascade LMS password"),
        _(
            "Hello %(name)s,\n\nTo choose a new password, open this link within two hours:\n%(link)s\n\n"
            "If you did not ask for this, ignore this email: your password stays the same.",
            name=user.full_name,
            link=link,
        ),
    )
    audit.record(user, "user.password_reset_requested", user)


def user_for_reset_token(token: str) -> User:
    try:
        data = _reset_serializer().loads(token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"])
    except SignatureExpired:
        raise ValidationError(_l("This link has expired. Ask for a new one.")) from None
    except BadSignature:
        raise ValidationError(_l("This link is not valid. Ask for a new one.")) from None
    user = db.session.get(User, data.get("id"))
    if user is None or not user.active or user.session_nonce != data.get("n"):
        raise ValidationError(_l("This link has already been used or is no longer valid."))
    return user


def reset_password(token: str, new_password: str) -> User:
    user = user_for_reset_token(token)
    check_password_strength(new_password)
    user.set_password(new_password)
    audit.record(user, "user.password_reset", user)
    return user


def change_password(user: User, current_password: str, new_password: str) -> User:
    if not user.check_password(current_password):
        raise ValidationError.on("current_password", _l("This is not your current password."))
    check_password_strength(new_password, "new_password")
    user.set_password(new_password)
    audit.record(user, "user.password_change", user)
    return user


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


def token_for_credentials(email: str, password: str, ip: str, name: str = "") -> tuple[ApiToken, str]:
    user = authenticate(email, password, ip)
    return create_token(user, name=name or "API")


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
    if token is None:
        raise NotFound(_l("No such token."))
    require(by, "token.manage", token)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(by, "token.revoke", token)
    return token


def list_tokens(user: User) -> list[ApiToken]:
    return list(
        db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc()))
    )
