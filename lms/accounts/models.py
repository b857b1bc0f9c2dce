"""People, their roles and region scope, API tokens, sign-in sessions, throttles and two-factor."""

import hashlib
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import BigInteger, CheckConstraint, Column, ForeignKey, String, Table, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts import names, passwords
from lms.core.db import TimestampMixin, in_values, utcnow
from lms.core.encryption import EncryptedString
from lms.extensions import db
from lms.org.models import Institution, Region

ROLES = ("admin", "coordinator", "trainer", "participant")

coordinator_regions = Table(
    "coordinator_regions",
    db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("region_id", ForeignKey("regions.id", ondelete="CASCADE"), primary_key=True),
)


class UserRole(db.Model):
    __tablename__ = "user_roles"
    __table_args__ = (CheckConstraint(in_values("role", ROLES), name="role"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)


class User(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint("email = lower(email)", name="email_lowercase"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    full_name_latin: Mapped[str] = mapped_column(String(200), default="")
    # One of full_name's words: people enter "Олена Шевченко" and "Шевченко Олена Петрівна"
    # alike, so the surname is guessed on save unless given, and can be corrected.
    surname: Mapped[str] = mapped_column(String(200), default="")
    # full_name surname first ("Шевченко Олена"): what lists sort by and show.
    sort_name: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str | None] = mapped_column(String(32), index=True)
    position: Mapped[str] = mapped_column(String(200), default="")
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id", ondelete="SET NULL"))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str] = mapped_column(String(5), default="uk")
    # Changing it signs the person out everywhere (password change, deactivation).
    session_nonce: Mapped[str] = mapped_column(String(32), default=lambda: secrets.token_hex(8))
    last_login_at: Mapped[datetime | None]
    # Base32 TOTP secret once two-factor sign-in is set up, encrypted at rest (a database dump
    # alone cannot make codes); the last time step used stops replays.
    totp_secret: Mapped[str | None] = mapped_column(EncryptedString)
    totp_enabled_at: Mapped[datetime | None]
    totp_last_step: Mapped[int] = mapped_column(BigInteger, default=0)
    # Set when the person's data was erased (pseudonymised) on request or by the retention rule.
    erased_at: Mapped[datetime | None]
    # Secret in the URL of the person's private iCal feed; rotating it cuts off old subscriptions.
    calendar_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Case-folded name, Latin name, email and phone: Cyrillic search that works on every database.
    search_text: Mapped[str] = mapped_column(String(700), default="", index=True)

    institution: Mapped[Institution | None] = relationship()
    # Loaded where they are needed (``services.with_person``): not with every person a page lists.
    role_rows: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan")
    regions: Mapped[list[Region]] = relationship(secondary=coordinator_regions)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"

    @property
    def is_active(self) -> bool:
        return self.active

    # The server-side sign-in session this request belongs to (set at sign-in and by the loader).
    current_session_id = None

    def get_id(self) -> str:
        return f"{self.id}:{self.session_nonce}:{self.current_session_id or ''}"

    @property
    def two_factor_enabled(self) -> bool:
        return self.totp_enabled_at is not None

    @property
    def roles(self) -> set[str]:
        return {row.role for row in self.role_rows}

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def region_ids(self) -> set[int]:
        return {region.id for region in self.regions}

    def set_roles(self, roles) -> None:
        wanted = set(roles)
        self.role_rows = [row for row in self.role_rows if row.role in wanted]
        for role in sorted(wanted - self.roles):
            self.role_rows.append(UserRole(role=role))

    def set_password(self, password: str) -> None:
        self.password_hash = passwords.hash_password(password)
        self.session_nonce = secrets.token_hex(8)

    def check_password(self, password: str) -> bool:
        """Compare in the same time whether or not the person has a password (no timing hint)."""
        return passwords.verify(self.password_hash, password)


@event.listens_for(User, "before_insert")
@event.listens_for(User, "before_update")
def _refresh_derived_fields(mapper, connection, user: User) -> None:
    user.surname = names.surname_in(user.full_name, user.surname)
    user.sort_name = names.sort_name(user.full_name, user.surname)
    user.search_text = " ".join(
        part for part in (user.full_name, user.full_name_latin, user.email, user.phone or "") if part
    ).casefold()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > utcnow()


class UserSession(db.Model):
    """One sign-in on one device. Signing out deletes it, so a copied cookie opens nothing."""

    __tablename__ = "user_sessions"

    # A random secret also carried in the signed session and remember-me cookies.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    remember: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    ip: Mapped[str | None] = mapped_column(String(64))

    user: Mapped[User] = relationship()


class LoginThrottle(db.Model):
    """Failed attempts for one key (an account, a client address) in the current window.

    Counted with one atomic upsert, so simultaneous requests cannot all see a count under the
    limit and all be checked.
    """

    __tablename__ = "login_throttles"
    __table_args__ = (CheckConstraint("failures >= 0", name="failures"),)

    # "<kind>:<sha256 of the account or address>": no email is stored here.
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(index=True)
    failures: Mapped[int] = mapped_column(default=0)


class RecoveryCode(db.Model):
    """A single-use code that replaces the authenticator once, stored as a hash."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    used_at: Mapped[datetime | None]


class SecuritySettings(db.Model):
    """The programme's sign-in policy: one row, changed by admins."""

    __tablename__ = "security_settings"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    # Admins and coordinators must sign in with a second factor.
    require_two_factor: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
