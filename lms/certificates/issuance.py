"""The issuance job of a closed training, the periodic reconciliation, and the ZIP of a
training's certificates."""

import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from lms.accounts.models import User
from lms.assessments.completion import CompletionStatus, completion_statuses
from lms.certificates.models import Certificate, CertificateFlag
from lms.certificates.services import evaluate_and_issue, kind_for, make_document, record_certificates
from lms.certificates.snapshot import snapshot_of
from lms.cohorts.models import Cohort, Enrollment
from lms.core import audit
from lms.core.db import keeping_loaded
from lms.core.i18n import local_today
from lms.core.models import Job
from lms.core.outbox import enqueue
from lms.courses.models import Course
from lms.extensions import db

EMAIL_BATCH = 25
# Certificates recorded per transaction: the serial counter is locked that long (no rendering
# inside), and a commit is paid once a batch instead of once a certificate.
ISSUE_BATCH = 20


def _cohort_for_issue(cohort_id: int) -> Cohort:
    """The cohort with everything a certificate prints, and its enrolled people."""
    return db.session.scalar(
        select(Cohort)
        .where(Cohort.id == cohort_id)
        .options(
            joinedload(Cohort.course).selectinload(Course.modules),
            joinedload(Cohort.course).selectinload(Course.accredits),
            joinedload(Cohort.lead_trainer),
            joinedload(Cohort.district),
        )
    )


def run_issuance_job(job: Job, report_progress) -> dict:
    """Evaluate every enrolled person of the job's cohort, issuing to those who qualify.

    The rule is evaluated for the whole training in a fixed number of queries. Certificates
    are recorded ``ISSUE_BATCH`` at a time, each batch in one transaction that takes the
    serial counter first and holds it only while writing (so trainings closing at once do not
    queue behind each other's PDF rendering); the batch's documents are rendered next and
    committed with the following batch, and the emails leave in batches. One
    person's failure is reported and does not stop the others; a certificate whose document
    failed is issued and valid, and its document is made again by a resumed job or by
    reconciliation. The summary is read back from the database, so a job resumed after a crash
    reports what was really issued."""
    cohort_id = job.params["cohort_id"]
    by = db.session.get(User, job.created_by_id) if job.created_by_id else None
    cohort = _cohort_for_issue(cohort_id)
    kind = kind_for(cohort.course)
    enrollments = list(
        db.session.scalars(
            select(Enrollment)
            .where(Enrollment.cohort_id == cohort_id, Enrollment.status == "enrolled")
            .options(joinedload(Enrollment.user))
            .order_by(Enrollment.id)
        )
    )
    live = {
        certificate.enrollment_id: certificate
        for certificate in db.session.scalars(
            select(Certificate).where(
                Certificate.cohort_id == cohort_id,
                Certificate.kind == kind,
                Certificate.status != "superseded",
            )
        )
    }
    statuses = completion_statuses(cohort, [e for e in enrollments if e.id not in live])
    db.session.commit()
    run = _Issuance(by=by, report_progress=report_progress)
    # What a crash left: certificates without their document, and documents not yet emailed
    # (the email claims its certificate, so one queued twice is sent once).
    run.to_document = [c for c in live.values() if c.status == "valid" and not c.sha256]
    run.emails = [c.id for c in live.values() if c.status == "valid" and c.sha256 and c.emailed_at is None]
    with keeping_loaded():
        batch = []
        for done, enrollment in enumerate(enrollments, start=1):
            if enrollment.id not in live:
                batch.append((done, enrollment, statuses[enrollment.id]))
            if len(batch) == ISSUE_BATCH or (batch and done == len(enrollments)):
                run.issue(batch)
                batch = []
        run.make_documents()
    report_progress(len(enrollments))
    run.send_emails(final=True)
    db.session.commit()
    issued = db.session.execute(
        select(Certificate.serial, User.full_name, Certificate.sha256, Certificate.enrollment_id)
        .join(User, User.id == Certificate.user_id)
        .where(Certificate.cohort_id == cohort_id, Certificate.status != "superseded")
        .order_by(Certificate.number)
    ).all()
    return {
        "cohort_id": cohort_id,
        "issued": [{"serial": serial, "name": name} for serial, name, _sha, _e in issued],
        "issued_count": len(issued),
        "not_eligible": run.not_eligible,
        "failed": run.failed,
        "documents_pending": [
            {"serial": serial, "name": name, "enrollment_id": enrollment_id}
            for serial, name, sha, enrollment_id in issued
            if not sha
        ],
    }


@dataclass
class _Issuance:
    """One issuance run: who is issued, refused or failed, and the documents and emails due."""

    by: User | None
    report_progress: Callable
    not_eligible: list[dict] = field(default_factory=list)
    failed: list[dict] = field(default_factory=list)
    to_document: list[Certificate] = field(default_factory=list)
    emails: list[int] = field(default_factory=list)

    def issue(self, batch: list[tuple[int, Enrollment, CompletionStatus]]) -> None:
        """Issue to those of ``batch`` who qualify, in one transaction (committed by the
        progress report); the documents of the batch before are rendered meanwhile."""
        ready = []
        for _done, enrollment, status in batch:
            if not status.met:
                reasons = [message for _code, message in status.reasons]
                self.not_eligible.append(
                    {"enrollment_id": enrollment.id, "name": enrollment.user.full_name, "reasons": reasons}
                )
                continue
            try:
                ready.append((enrollment, snapshot_of(enrollment)))
            except Exception as error:  # one person's data problem must not stop the rest
                self._failed(enrollment, error)
        if ready:
            try:
                certificates = record_certificates(ready, by=self.by)
            except IntegrityError:  # a twin job issued some of them a moment ago: one by one
                certificates = [
                    c for enrollment, values in ready if (c := self._record_one(enrollment, values))
                ]
            except Exception:  # some person's data: find whose, one by one
                current_app.logger.exception("certificates of a batch failed; one by one")
                certificates = [
                    c for enrollment, values in ready if (c := self._record_one(enrollment, values))
                ]
            self.to_document.extend(certificates)
        self.report_progress(batch[-1][0])  # commits: issued from here on, whatever happens next
        self.make_documents()

    def _record_one(self, enrollment: Enrollment, values: dict) -> Certificate | None:
        try:
            return record_certificates([(enrollment, values)], by=self.by)[0]
        except IntegrityError:  # issued a moment ago by a twin job
            return None
        except Exception as error:
            self._failed(enrollment, error)
            return None

    def _failed(self, enrollment: Enrollment, error: Exception) -> None:
        current_app.logger.exception("certificate for enrollment %s failed", enrollment.id)
        self.failed.append(
            {"enrollment_id": enrollment.id, "name": enrollment.user.full_name, "error": str(error)[:300]}
        )

    def make_documents(self) -> None:
        """Render the pending documents; their hashes are committed with the next certificate
        or progress report. A rendering failure leaves the certificate valid and its document
        to be made again later (a resumed job, reconciliation, or the first download)."""
        while self.to_document:
            certificate = self.to_document.pop()
            try:
                make_document(certificate)
            except Exception:
                current_app.logger.exception("document of certificate %s failed", certificate.serial)
                continue
            self.emails.append(certificate.id)
            self.send_emails()

    def send_emails(self, *, final: bool = False) -> None:
        """Schedule the emails of documented certificates, a batch per message."""
        if self.emails and (final or len(self.emails) >= EMAIL_BATCH):
            enqueue("lms.certificates.email_certificates", certificate_ids=list(self.emails))
            self.emails.clear()


def reconcile(days: int = 400) -> dict:
    """Issue to every eligible enrolment of a closed training without a certificate, and flag
    holders who no longer meet the rule after a late change (never revoke them automatically).
    Reported to admins through the audit trail."""
    from lms.assessments.completion import completion_status

    since = local_today() - timedelta(days=days)  # the programme's day, as a training's dates are
    cohorts = list(
        db.session.scalars(select(Cohort).where(Cohort.status == "closed", Cohort.end_date >= since))
    )
    issued: list[str] = []
    flagged: list[str] = []
    for cohort in cohorts:
        kind = kind_for(cohort.course)
        rows = db.session.execute(
            select(Enrollment.id, Certificate)
            .outerjoin(
                Certificate,
                (Certificate.enrollment_id == Enrollment.id)
                & (Certificate.kind == kind)
                & (Certificate.status != "superseded"),
            )
            .where(Enrollment.cohort_id == cohort.id, Enrollment.status == "enrolled")
        ).all()
        for enrollment_id, certificate in rows:
            if certificate is None:
                outcome = evaluate_and_issue(enrollment_id)
                if outcome.outcome == "issued":
                    issued.append(outcome.serial)
            elif certificate.status == "valid":
                status = completion_status(db.session.get(Enrollment, enrollment_id))
                if not status.met and _flag(certificate, [m for _c, m in status.reasons]):
                    flagged.append(certificate.serial)
    documented = _make_missing_documents(since)
    if issued or flagged or documented:
        audit.record(
            None, "certificate.reconcile", None, issued=issued, flagged=flagged, documented=documented
        )
    db.session.commit()
    return {"issued": issued, "flagged": flagged, "documented": documented}


def _make_missing_documents(since) -> list[str]:
    """Render the documents an issuance job could not make (a crash or a rendering failure
    after the certificate was committed), and send their emails."""
    missing = db.session.scalars(
        select(Certificate)
        .join(Cohort, Cohort.id == Certificate.cohort_id)
        .where(Certificate.status == "valid", Certificate.sha256 == "", Cohort.end_date >= since)
        .order_by(Certificate.id)
    ).all()
    documented: list[str] = []
    for certificate in missing:
        try:
            make_document(certificate)
        except Exception:
            current_app.logger.exception("document of certificate %s failed again", certificate.serial)
            continue
        documented.append(certificate.serial)
    if documented:
        enqueue("lms.certificates.email_certificates", certificate_ids=[c.id for c in missing if c.sha256])
    return documented


def _flag(certificate: Certificate, reasons: list[str]) -> bool:
    exists = db.session.scalar(
        select(CertificateFlag.id).where(CertificateFlag.certificate_id == certificate.id)
    )
    if exists is not None:
        return False
    db.session.add(CertificateFlag(certificate_id=certificate.id, reasons=reasons))
    return True


def zip_path(job: Job) -> Path:
    folder = Path(current_app.config.get("EXPORT_DIR") or Path(current_app.instance_path) / "exports")
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"certificates-{job.id}.zip"


def run_zip_job(job: Job, report_progress) -> dict:
    """Render every live certificate of the job's cohort into one ZIP file in the instance
    folder (documents never travel through the queue); the page offers it for download."""
    from lms.certificates.render import pdf_of

    cohort_id = job.params["cohort_id"]
    certificates = list(
        db.session.scalars(
            select(Certificate)
            .where(Certificate.cohort_id == cohort_id, Certificate.status != "superseded")
            .order_by(Certificate.number)
        )
    )
    path = zip_path(job)
    partial = path.with_suffix(".part")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for done, certificate in enumerate(certificates, start=1):
            archive.writestr(f"{certificate.serial}.pdf", pdf_of(certificate))
            if done % 10 == 0 or done == len(certificates):
                report_progress(done)
    partial.replace(path)  # a half-written archive is never offered
    return {"files": len(certificates), "cohort_id": cohort_id}
