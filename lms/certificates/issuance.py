"""The issuance job of a closed training, the periodic reconciliation, and the ZIP of a
training's certificates."""

import zipfile
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from lms.accounts.models import User
from lms.certificates.models import Certificate, CertificateFlag
from lms.certificates.services import IssueOutcome, evaluate_and_issue, kind_for
from lms.cohorts.models import Cohort, Enrollment
from lms.core import audit
from lms.core.db import utcnow
from lms.core.models import Job
from lms.extensions import db


def run_issuance_job(job: Job, report_progress) -> dict:
    """Evaluate every enrolled person of the job's cohort, issuing to those who qualify. One
    person's failure is reported and does not stop the others. The summary is read back from
    the database, so a job resumed after a crash reports what was really issued."""
    cohort_id = job.params["cohort_id"]
    by = db.session.get(User, job.created_by_id) if job.created_by_id else None
    enrollment_ids = list(
        db.session.scalars(
            select(Enrollment.id)
            .where(Enrollment.cohort_id == cohort_id, Enrollment.status == "enrolled")
            .order_by(Enrollment.id)
        )
    )
    db.session.commit()
    not_eligible: list[dict] = []
    failed: list[dict] = []
    for done, enrollment_id in enumerate(enrollment_ids, start=1):
        try:
            outcome = evaluate_and_issue(enrollment_id, by=by)
        except Exception as error:  # one person's rendering or data problem must not stop the rest
            db.session.rollback()
            current_app.logger.exception("certificate for enrollment %s failed", enrollment_id)
            enrollment = db.session.get(Enrollment, enrollment_id)
            failed.append(
                {"enrollment_id": enrollment_id, "name": enrollment.user.full_name, "error": str(error)[:300]}
            )
            outcome = None
        if isinstance(outcome, IssueOutcome) and outcome.outcome == "not_eligible":
            not_eligible.append(
                {"enrollment_id": enrollment_id, "name": outcome.name, "reasons": outcome.reasons}
            )
        report_progress(done)
    issued = db.session.execute(
        select(Certificate.serial, User.full_name)
        .join(User, User.id == Certificate.user_id)
        .where(Certificate.cohort_id == cohort_id, Certificate.status != "superseded")
        .order_by(Certificate.number)
    ).all()
    return {
        "cohort_id": cohort_id,
        "issued": [{"serial": serial, "name": name} for serial, name in issued],
        "issued_count": len(issued),
        "not_eligible": not_eligible,
        "failed": failed,
    }


def reconcile(days: int = 400) -> dict:
    """Issue to every eligible enrolment of a closed training without a certificate, and flag
    holders who no longer meet the rule after a late change (never revoke them automatically).
    Reported to admins through the audit trail."""
    from lms.assessments.completion import completion_status

    since = utcnow().date() - timedelta(days=days)
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
    if issued or flagged:
        audit.record(None, "certificate.reconcile", None, issued=issued, flagged=flagged)
    db.session.commit()
    return {"issued": issued, "flagged": flagged}


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
