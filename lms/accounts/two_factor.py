"""Two-factor sign-in with a TOTP authenticator app (RFC 6238) and single-use recovery codes.

Optional for admins and coordinators, required for them when an admin switches it on for the
programme. Recovery codes are random (40 bits) and stored as SHA-256 hashes; guessing them is
held back by the sign-in throttle.
"""

import hashlib
import secrets
import time

import pyotp
import segno
from flask import g, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update

from lms.accounts.models import RecoveryCode, SecuritySettings, User
from lms.accounts.services import roles_of
from lms.core import audit
from lms.core.db import utcnow
from lms.core.errors import ValidationError
from lms.core.permissions import require
from lms.extensions import db

ISSUER = "Cascade LMS"
STAFF_ROLES = ("admin", "coordinator")
RECOVERY_CODE_COUNT = 10
# One step (30 s) either side of now, for a phone clock that is a little off.
VALID_WINDOW = 1


def current_settings() -> SecuritySettings:
    return db.session.get(SecuritySettings, 1) or SecuritySettings(id=1, require_two_factor=False)


def two_factor_required() -> bool:
    """Whether the programme requires two-factor: read once per request (every page asks it for
    staff)."""
    if not has_request_context():
        return bool(current_settings().require_two_factor)
    if "_two_factor_required" not in g:
        g._two_factor_required = bool(current_settings().require_two_factor)
    return g._two_factor_required


def set_required(required: bool, *, by) -> SecuritySettings:
    require(by, "security.manage")
    settings = db.session.get(SecuritySettings, 1)
    if settings is None:
        settings = SecuritySettings(id=1, require_two_factor=False)
        db.session.add(settings)
    if settings.require_two_factor != required:
        audit.record(
            by, "security.two_factor_required", None, before=settings.require_two_factor, after=required
        )
    settings.require_two_factor = required
    settings.updated_by_id = by.id
    return settings


def may_use(user: User) -> bool:
    return bool(roles_of(user) & set(STAFF_ROLES))


def must_enrol(user: User) -> bool:
    """True for an admin or coordinator without two-factor while the programme requires it."""
    return may_use(user) and not user.two_factor_enabled and two_factor_required()


def new_secret() -> str:
    return pyotp.random_base32()


def qr_svg(user: User, secret: str) -> str:
    """The enrolment QR code as inline SVG (no image request, nothing for the CSP to allow)."""
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    return segno.make(uri, error="m").svg_inline(scale=5, omitsize=True)


def enable(user: User, secret: str, code: str) -> list[str]:
    """Turn two-factor on once ``code`` proves the app holds ``secret``; return recovery codes."""
    if not may_use(user):
        raise ValidationError(_l("Two-factor sign-in is for administrators and coordinators."))
    step = _matching_step(secret, code)
    if step is None:
        raise ValidationError.on("code", _l("This code is not valid. Try the current one."))
    user.totp_secret = secret
    user.totp_enabled_at = utcnow()
    user.totp_last_step = step
    codes = _new_recovery_codes(user)
    audit.record(user, "user.two_factor_enable", user)
    return codes


def disable(user: User, *, by) -> None:
    """Turn two-factor off (the person herself, or an admin for a lost phone)."""
    if by.id != user.id:
        require(by, "user.manage", user)
    elif must_use(user):
        raise ValidationError(_l("The programme requires two-factor sign-in for your role."))
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = 0
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    audit.record(by, "user.two_factor_disable", user)


def must_use(user: User) -> bool:
    return may_use(user) and two_factor_required()


def regenerate_recovery_codes(user: User) -> list[str]:
    codes = _new_recovery_codes(user)
    audit.record(user, "user.recovery_codes_regenerate", user)
    return codes


def unused_recovery_codes(user: User) -> int:
    return db.session.scalar(
        select(func.count()).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )


def verify(user: User, code: str) -> bool:
    """Accept the current authenticator code (each time step once) or an unused recovery code."""
    code = "".join((code or "").split()).lower()
    if not user.two_factor_enabled or not code:
        return False
    if code.isdigit() and len(code) == 6:
        step = _matching_step(user.totp_secret, code)
        if step is None:
            return False
        # Conditional update: a code seen once (or an older one) cannot be replayed, even twice at once.
        result = db.session.execute(
            update(User).where(User.id == user.id, User.totp_last_step < step).values(totp_last_step=step)
        )
        return result.rowcount == 1
    result = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _hash(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
    )
    if result.rowcount == 1:
        audit.record(user, "user.recovery_code_used", user)
        return True
    return False


def _matching_step(secret: str, code: str) -> int | None:
    code = "".join((code or "").split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now_step = int(time.time()) // totp.interval
    for step in range(now_step - VALID_WINDOW, now_step + VALID_WINDOW + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = secrets.token_hex(5)  # 40 bits, shown as xxxxx-xxxxx
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_hash(raw)))
    return codes


def _hash(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").encode()).hexdigest()
