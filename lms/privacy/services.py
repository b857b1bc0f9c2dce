"""A person's data export, her erasure (pseudonymisation) and the retention rule."""

import io
import json
import secrets
import zipfile
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import Table, delete, false, func, or_, select, update

from lms.accounts import sessions
from lms.accounts.models import ApiToken, RecoveryCode, User
from lms.cohorts.models import Cohort, Enrollment
from lms.core import audit
from lms.core.db import utcnow
from lms.core.errors import NotFound
from lms.core.links import external_url
from lms.core.permissions import can, require
from lms.extensions import db
from lms.privacy.registry import REGISTRY, PersonalData

ERASED_EMAIL_DOMAIN = "erased.invalid"  # a reserved domain: mail to it can never be delivered


def get_person(user_id: int, *, by, action: str = "privacy.export") -> User:
    """The person; NotFound when ``by`` may not ``action`` her (ids reveal nothing)."""
    person = db.session.get(User, user_id)
    if person is None or not can(by, action, person):
        raise NotFound()
    return person


def _table(name: str) -> Table:
    return db.metadata.tables[name]


def _plain(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _rows(entry: PersonalData, person: User, owned: dict[str, set[int]]) -> list[dict]:
    table = _table(entry.table)
    if entry.through is not None:
        column, parent = entry.through
        ids = owned.get(parent, set())
        if not ids:
            return []
        condition = table.c[column].in_(sorted(ids))
    else:
        condition = or_(false(), *(table.c[name] == person.id for name in entry.subject))
    columns = [c for c in table.c if c.name not in entry.secret]
    order = [table.c[name] for name in ("id",) if name in table.c] or list(table.primary_key.columns)
    result = db.session.execute(select(*columns).where(condition).order_by(*order)).mappings().all()
    return [{key: _plain(value) for key, value in row.items()} for row in result]


def export_person(person: User, *, by) -> dict:
    """Everything the registry says is hers, as plain JSON-ready data, with a list of her
    certificates; the export is audited."""
    data, _certificates = _export(person, by=by)
    return data


def export_archive(person: User, *, by) -> bytes:
    """Her data as a ZIP: ``personal-data-<id>.json`` (what ``export_person`` gives) and each of
    her certificates as its PDF and its Open Badges credential. Revoked and superseded ones are
    included, marked so in the JSON: they are her data too. An erased person's documents are
    not rebuilt: they named her, and erasure deleted them."""
    from lms.certificates import credential
    from lms.certificates.services import pdf_of

    data, certificates = _export(person, by=by)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"personal-data-{person.id}.json", as_json(data))
        if person.erased_at is None:
            for certificate in certificates:
                folder = f"certificates/{certificate.serial}"
                archive.writestr(f"{folder}.pdf", pdf_of(certificate), compress_type=zipfile.ZIP_STORED)
                badge = {
                    "credential": credential.credential_of(certificate),
                    "jwt": credential.signed_credential(certificate),
                    "jwks_url": external_url("certificates.jwks"),
                }
                archive.writestr(f"{folder}.credential.json", as_json(badge))
    return buffer.getvalue()


def as_json(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)


def _export(person: User, *, by) -> tuple[dict, list]:
    from lms.certificates.services import certificates_of

    require(by, "privacy.export", person)
    tables: dict[str, list[dict]] = {}
    owned: dict[str, set[int]] = {}
    for name, entry in REGISTRY.items():
        rows = _rows(entry, person, owned)
        tables[name] = rows
        owned[name] = {row["id"] for row in rows if "id" in row}
    certificates = certificates_of(person.id)
    audit.record(by, "privacy.export", person, certificates=len(certificates))
    data = {
        "format": "cascade-lms-personal-data/1",
        "generated_at": utcnow().isoformat(),
        "person_id": person.id,
        "tables": tables,
        "certificates": [_certificate_summary(certificate) for certificate in certificates],
    }
    return data, certificates


def _certificate_summary(certificate) -> dict:
    return {
        "serial": certificate.serial,
        "kind": certificate.kind,
        "status": certificate.status,
        "course_title": certificate.course_title,
        "issued_on": certificate.issued_on.isoformat(),
        "revoked_reason": certificate.revoked_reason if certificate.status == "revoked" else None,
        "superseded_by": certificate.superseded_by.serial if certificate.superseded_by else None,
        "pdf_url": external_url("certificates_api.get_pdf", serial=certificate.serial),
        "verification_url": certificate.verification_url,
    }


def erase_person(person: User, *, by, reason: str = "request") -> User:
    """Pseudonymise ``person`` everywhere: her profile loses name and contacts, she can no longer
    sign in, her tokens are revoked and free-text notes about her cleared. Enrolments,
    attendance and roles stay (statistics count them) and point to the pseudonym. Audited."""
    if by is not None:
        require(by, "privacy.erase", person)
    if person.erased_at is not None:
        return person
    owned = {
        "enrollments": set(db.session.scalars(select(Enrollment.id).where(Enrollment.user_id == person.id)))
    }
    for entry in REGISTRY.values():
        if entry.through and entry.cleared_on_erasure and owned.get(entry.through[1]):
            table = _table(entry.table)
            db.session.execute(
                update(table)
                .where(table.c[entry.through[0]].in_(sorted(owned[entry.through[1]])))
                .values(**entry.cleared_on_erasure)
            )
    now = utcnow()
    db.session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == person.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    person.full_name = f"Видалена особа #{person.id}"
    person.full_name_latin = f"Erased person #{person.id}"
    person.email = f"erased-{person.id}@{ERASED_EMAIL_DOMAIN}"
    person.phone = None
    person.position = ""
    person.password_hash = None
    person.calendar_token = None
    person.active = False
    person.session_nonce = secrets.token_hex(8)  # signs her out everywhere
    person.surname = ""
    person.sort_name = person.full_name
    person.totp_secret = None
    person.totp_enabled_at = None
    sessions.end_all(person)
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == person.id))
    person.erased_at = now
    _erase_certificates(person)
    audit.record(by, "privacy.erase", person, reason=reason)
    db.session.flush()
    return person


def retention_cutoff(now: datetime | None = None) -> datetime | None:
    days = int(current_app.config.get("RETENTION_INACTIVE_DAYS") or 0)
    return (now or utcnow()) - timedelta(days=days) if days > 0 else None


def inactive_participants(cutoff: datetime) -> list[User]:
    """Participants (and nothing more) not erased, not seen since ``cutoff``, and in no training
    that ended after it."""
    from lms.accounts.models import UserRole

    recent_training = select(Enrollment.user_id).join(Cohort).where(Cohort.end_date >= cutoff.date())
    staff = select(UserRole.user_id).where(UserRole.role != "participant")
    last_seen = func.coalesce(User.last_login_at, User.created_at)
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.erased_at.is_(None),
                last_seen < cutoff,
                User.id.not_in(recent_training),
                User.id.not_in(staff),
            )
            .order_by(User.id)
        )
    )


def apply_retention(now: datetime | None = None) -> int:
    """Erase inactive participant accounts past the retention period; returns how many."""
    cutoff = retention_cutoff(now)
    if cutoff is None:
        return 0
    people = inactive_participants(cutoff)
    for person in people:
        erase_person(person, by=None, reason="retention")
    return len(people)


def _erase_certificates(person: User) -> None:
    """Her certificates stay valid, but no longer name her: the snapshot takes the pseudonym and
    the stored documents are deleted. The SHA-256 of the original stays, so whoever holds her
    PDF can still check it against the verification page, which then shows only the status."""
    from lms.certificates.models import Certificate
    from lms.certificates.render import stored_path

    for certificate in db.session.scalars(select(Certificate).where(Certificate.user_id == person.id)):
        stored_path(certificate).unlink(missing_ok=True)
        certificate.holder_name = person.full_name
        certificate.holder_name_latin = person.full_name_latin
