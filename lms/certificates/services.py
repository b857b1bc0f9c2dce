"""Issuing certificates exactly once, revoking and reissuing them, finding them.

A certificate is issued to an enrolment that meets the course's completion rule
(``lms.assessments.completion``). The database decides "exactly once": a partial unique index
allows one live (not superseded) certificate per enrolment and kind, so a retried or duplicated
job that tries again gets an IntegrityError and moves on.
"""

import base64
import secrets
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from lms.accounts.models import User
from lms.cascade.lineage import refresh_lineage
from lms.certificates.models import Certificate, CertificateFlag
from lms.certificates.render import pdf_of, render_pdf, sha256_of, store_pdf
from lms.certificates.serials import format_serial, serial_prefix, take_numbers
from lms.certificates.snapshot import snapshot_of
from lms.cohorts.models import Cohort, Enrollment
from lms.core import audit
from lms.core.db import utcnow
from lms.core.errors import Conflict, NotFound, ValidationError
from lms.core.outbox import enqueue
from lms.core.permissions import require
from lms.courses.models import Accreditation, Course
from lms.extensions import db


def kind_for(course: Course) -> str:
    """A ToT course gives a trainer certificate; any other a certificate of participation."""
    return "trainer" if course.is_tot else "participation"


def verification_url(code: str) -> str:
    return f"{current_app.config['BASE_URL'].rstrip('/')}/verify/{code}"


def enrollment_for_issue(enrollment_id: int) -> Enrollment | None:
    """The enrolment with everything its snapshot prints, in a fixed number of queries."""
    return db.session.scalar(
        select(Enrollment)
        .where(Enrollment.id == enrollment_id)
        .options(
            joinedload(Enrollment.cohort).joinedload(Cohort.course).selectinload(Course.modules),
            # A trainer certificate grants the courses the ToT accredits and the trainer role
            # (_grant_accreditations): what it reads is loaded here too.
            joinedload(Enrollment.cohort).joinedload(Cohort.course).selectinload(Course.accredits),
            joinedload(Enrollment.user).selectinload(User.role_rows),
            joinedload(Enrollment.cohort).joinedload(Cohort.lead_trainer),
            joinedload(Enrollment.cohort).joinedload(Cohort.district),
        )
    )


def live_certificate(enrollment_id: int, kind: str) -> Certificate | None:
    return db.session.scalar(
        select(Certificate).where(
            Certificate.enrollment_id == enrollment_id,
            Certificate.kind == kind,
            Certificate.status != "superseded",
        )
    )


def issue_certificate(enrollment: Enrollment, *, by=None, snapshot: dict | None = None) -> Certificate:
    """Issue the certificate of ``enrollment`` (no rule check here: the caller decided) with its
    document and its email, in the caller's transaction. Raises IntegrityError when one already
    exists."""
    certificate = record_certificate(enrollment, by=by, snapshot=snapshot)
    make_document(certificate)
    enqueue("lms.certificates.email_certificate", certificate_id=certificate.id)
    return certificate


def record_certificate(enrollment: Enrollment, *, by=None, snapshot: dict | None = None) -> Certificate:
    """The act of issuing, without the document: takes the next serial, stores the snapshot,
    grants a ToT graduate her accreditations and audits it. The serial counter stays locked
    until the caller commits, so callers commit soon (the document is made afterwards).
    Raises IntegrityError when a live certificate exists already."""
    return record_certificates([(enrollment, snapshot or snapshot_of(enrollment))], by=by)[0]


def record_certificates(items: list[tuple[Enrollment, dict]], *, by=None) -> list[Certificate]:
    """``record_certificate`` for several enrolments (with their snapshots) in one go: each
    year's serial counter moves once for all of them, before any certificate is written (so
    two issuers queue on the counter and never wait on each other's certificates), and the
    certificates and their audit entries go in one flush. All or none: an IntegrityError
    (one of them has a live certificate already) leaves nothing, serials included."""
    prefix = serial_prefix()
    certificates = []
    with db.session.begin_nested():
        years: dict[int, list] = {}
        for enrollment, values in items:
            years.setdefault(values["issued_on"].year, []).append((enrollment, values))
        for year in sorted(years):
            first = take_numbers(prefix, year, len(years[year]))
            for number, (enrollment, values) in enumerate(years[year], start=first):
                code = secrets.token_urlsafe(12)
                certificates.append(
                    Certificate(
                        enrollment_id=enrollment.id,
                        user_id=enrollment.user_id,
                        cohort_id=enrollment.cohort_id,
                        kind=kind_for(enrollment.cohort.course),
                        prefix=prefix,
                        year=year,
                        number=number,
                        serial=format_serial(prefix, year, number),
                        verification_code=code,
                        verification_url=verification_url(code),
                        issued_by_id=getattr(by, "id", None),
                        **values,
                    )
                )
        db.session.add_all(certificates)
        db.session.flush()
        by_enrollment = {enrollment.id: enrollment for enrollment, _values in items}
        for certificate in certificates:
            if certificate.kind == "trainer":
                _grant_accreditations(certificate, by_enrollment[certificate.enrollment_id].cohort.course)
            audit.record(
                by, "certificate.issue", certificate, serial=certificate.serial, kind=certificate.kind
            )
        db.session.flush()
    return certificates


def make_document(certificate: Certificate) -> bytes:
    """Render the certificate's PDF from its snapshot, keep it as a file (downloads and the
    email do not render it again; a lost file is rendered again, byte-identical) and record
    its SHA-256."""
    pdf = render_pdf(certificate)
    certificate.sha256 = sha256_of(pdf)
    store_pdf(certificate, pdf)
    return pdf


def _grant_accreditations(certificate: Certificate, course: Course) -> None:
    """A trainer certificate accredits its holder for the courses the ToT lists, dated by the
    ToT cohort's last day, with the certificate as the source (the cascade edge)."""
    existing = {
        row.course_id: row
        for row in db.session.scalars(
            select(Accreditation).where(Accreditation.user_id == certificate.user_id)
        )
    }
    for accredited in course.accredits:
        row = existing.get(accredited.id)
        if row is not None and row.revoked_at is None:
            continue  # already accredited (a master trainer, or an earlier certificate)
        if row is None:
            row = Accreditation(user_id=certificate.user_id, course_id=accredited.id)
            db.session.add(row)
        row.source = "certificate"
        row.certificate_id = certificate.id
        row.source_cohort_id = certificate.cohort_id
        row.granted_on = certificate.issued_on
        row.revoked_at = None
        row.revoked_reason = None
    holder = certificate.user
    if "trainer" not in holder.roles:
        holder.set_roles(holder.roles | {"trainer"})
    db.session.flush()
    refresh_lineage(certificate.user_id)


@dataclass
class IssueOutcome:
    enrollment_id: int
    name: str
    outcome: str  # issued, already_issued, not_eligible, failed
    serial: str | None = None
    reasons: list[str] | None = None


def evaluate_and_issue(enrollment_id: int, *, by=None) -> IssueOutcome:
    """Check one enrolment against the rule and issue its certificate if it qualifies. Commits."""
    from lms.assessments.completion import completion_status

    enrollment = enrollment_for_issue(enrollment_id)
    name = enrollment.user.full_name
    kind = kind_for(enrollment.cohort.course)
    existing = live_certificate(enrollment.id, kind)
    if existing is not None:
        return IssueOutcome(enrollment_id, name, "already_issued", existing.serial)
    status = completion_status(enrollment)
    if not status.met:
        return IssueOutcome(enrollment_id, name, "not_eligible", reasons=[m for _c, m in status.reasons])
    try:
        certificate = issue_certificate(enrollment, by=by)
        db.session.commit()
    except IntegrityError:  # a twin job issued it a moment ago
        db.session.rollback()
        existing = live_certificate(enrollment_id, kind)
        return IssueOutcome(enrollment_id, name, "already_issued", existing.serial if existing else None)
    return IssueOutcome(enrollment_id, name, "issued", certificate.serial)


def revoke(certificate: Certificate, *, by, reason: str) -> Certificate:
    """Revoke with a reason (audited). A revoked trainer certificate suspends the accreditations
    it granted."""
    require(by, "certificate.revoke", certificate)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError.on("reason", _l("Say why the certificate is revoked."))
    if certificate.status != "valid":
        raise Conflict(_l("Only a valid certificate can be revoked."))
    certificate.status = "revoked"
    certificate.revoked_reason = reason[:1000]
    certificate.revoked_at = utcnow()
    for row in db.session.scalars(
        select(Accreditation).where(Accreditation.certificate_id == certificate.id)
    ):
        row.revoked_at = utcnow()
        row.revoked_reason = str(_l("Trainer certificate %(serial)s revoked", serial=certificate.serial))[
            :255
        ]
    if certificate.kind == "trainer":
        db.session.flush()
        refresh_lineage(certificate.user_id)  # the cascade shows her accreditation suspended
    audit.record(by, "certificate.revoke", certificate, serial=certificate.serial, reason=reason)
    return certificate


def reissue(certificate: Certificate, *, by) -> Certificate:
    """Issue a new certificate from today's profile (after a name correction); the old one
    becomes superseded and points to the new one. Both audited."""
    require(by, "certificate.revoke", certificate)
    if certificate.status != "valid":
        raise Conflict(_l("Only a valid certificate can be reissued."))
    enrollment = enrollment_for_issue(certificate.enrollment_id)
    certificate.status = "superseded"
    db.session.flush()  # frees the enrolment's place in the unique index
    new = issue_certificate(enrollment, by=by)
    certificate.superseded_by_id = new.id
    for row in db.session.scalars(
        select(Accreditation).where(Accreditation.certificate_id == certificate.id)
    ):
        row.certificate_id = new.id
    audit.record(by, "certificate.reissue", certificate, serial=certificate.serial, new_serial=new.serial)
    return new


def by_serial(serial: str, *, by) -> Certificate:
    certificate = (
        db.session.scalars(
            select(Certificate).where(Certificate.serial == serial).options(*_display_options())
        )
        .unique()
        .one_or_none()
    )
    if certificate is None or not _may_see(by, certificate):
        raise NotFound()
    return certificate


def by_code(code: str) -> Certificate | None:
    """The certificate with this verification code (public), with its successor."""
    if not code or len(code) > 32:
        return None
    return db.session.scalar(
        select(Certificate)
        .where(Certificate.verification_code == code)
        .options(joinedload(Certificate.superseded_by), joinedload(Certificate.user))
    )


def certificates_of(user_id: int) -> list[Certificate]:
    """Every certificate of a person, valid, revoked and superseded, oldest first, in one query."""
    return list(
        db.session.scalars(
            select(Certificate)
            .where(Certificate.user_id == user_id)
            .options(joinedload(Certificate.superseded_by))
            .order_by(Certificate.id)
        )
    )


def _may_see(by, certificate) -> bool:
    from lms.core.permissions import can

    return can(by, "certificate.view", certificate)


def _display_options():
    # Joined, not selectin: a certificate expired by a commit is refreshed with these options.
    return (
        joinedload(Certificate.cohort).joinedload(Cohort.co_trainers),
        joinedload(Certificate.cohort).joinedload(Cohort.district),
        joinedload(Certificate.superseded_by),
    )


def certificates_query(by, *, cohort_id: int | None = None, user_id: int | None = None):
    """Certificates ``by`` may see, newest first: her own, her trainings', her regions'."""
    from sqlalchemy import or_

    from lms.cohorts.rules import visible_cohorts

    query = (
        select(Certificate)
        .options(
            joinedload(Certificate.cohort).selectinload(Cohort.co_trainers),
            joinedload(Certificate.cohort).joinedload(Cohort.district),
            joinedload(Certificate.superseded_by),
        )
        .order_by(Certificate.id.desc())
    )
    if not by.has_role("admin"):
        managed = visible_cohorts(by, select(Cohort.id))
        # Participants see their own certificates only, not those of their fellow participants.
        own_cohorts = select(Enrollment.cohort_id).where(Enrollment.user_id == by.id)
        query = query.where(
            or_(
                Certificate.user_id == by.id,
                Certificate.cohort_id.in_(managed.where(Cohort.id.not_in(own_cohorts))),
            )
        )
    if cohort_id is not None:
        query = query.where(Certificate.cohort_id == cohort_id)
    if user_id is not None:
        query = query.where(Certificate.user_id == user_id)
    return query


def email_certificate(certificate_id: int) -> None:
    """Email the holder her certificate with the PDF attached, rendered here from the snapshot
    (the queue carries the id only). Once: a retry rewrites the same message."""
    from flask_babel import force_locale
    from flask_babel import gettext as _

    from lms.core.mail import build_message, deliver

    # Claimed by an UPDATE whose row lock lasts until the caller commits: a twin message waits
    # and then finds it claimed, so two deliveries of one message send one email. A failed
    # delivery rolls the claim back, and the retry sends it. A certificate without its
    # document yet is left to the job or reconciliation that makes it.
    claimed = db.session.execute(
        update(Certificate)
        .where(
            Certificate.id == certificate_id,
            Certificate.emailed_at.is_(None),
            Certificate.status == "valid",
            Certificate.sha256 != "",
        )
        .values(emailed_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        return
    certificate = db.session.get(Certificate, certificate_id)
    holder = certificate.user
    language = holder.locale or "uk"
    with force_locale(language):
        subject = _("Your certificate %(serial)s", serial=certificate.serial)
        body = _(
            "Congratulations! You completed “%(course)s”. Your certificate %(serial)s is attached.\n\n"
            "Anyone can verify it at %(url)s",
            course=certificate.course_title if language == "uk" else certificate.course_title_en,
            serial=certificate.serial,
            url=certificate.verification_url,
        )
    attachment = {
        "filename": f"{certificate.serial}.pdf",
        "mime": "application/pdf",
        "content": base64.b64encode(pdf_of(certificate)).decode(),
    }
    deliver(build_message(holder.email, subject, body, [attachment], f"certificate-{certificate.serial}"))


def email_certificates(certificate_ids: list[int]) -> None:
    """Email a batch of holders, committing after each, so that a retry after a failed
    delivery does not write to those already served."""
    for certificate_id in certificate_ids:
        email_certificate(certificate_id)
        db.session.commit()


def open_flags(cohort_id: int) -> list[CertificateFlag]:
    """Holders of this training's certificates who no longer meet the rule after a late change."""
    return list(
        db.session.scalars(
            select(CertificateFlag)
            .join(Certificate, Certificate.id == CertificateFlag.certificate_id)
            .where(Certificate.cohort_id == cohort_id, CertificateFlag.resolved_at.is_(None))
            .options(joinedload(CertificateFlag.certificate))
            .order_by(Certificate.number)
        )
    )


VERIFY_WINDOW_SECONDS = 15 * 60


def verify_code(code: str, ip: str) -> Certificate | None:
    """The certificate with ``code`` for a public verifier, throttled per client address: wrong
    codes count against the address (``VERIFY_MAX_MISSES`` in the window), so walking codes
    soon answers 429 whatever the code; a right one gives its slot back."""
    from lms.accounts import throttle
    from lms.core.errors import TooManyRequests

    keys = {throttle.key("verify-address", ip): current_app.config.get("VERIFY_MAX_MISSES", 60)}
    if not throttle.take(keys, VERIFY_WINDOW_SECONDS):
        raise TooManyRequests(
            _l("Too many verification attempts from your address. Try again in 15 minutes.")
        )
    certificate = by_code(code)
    if certificate is not None:
        throttle.give_back(keys)
        db.session.commit()
    return certificate
