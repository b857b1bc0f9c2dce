"""Background work of certificates: issuance when a training closes, email, reconciliation."""

from celery import shared_task

from lms.certificates import issuance, services
from lms.core.jobs import run_job


@shared_task(name="lms.certificates.issue_for_cohort")
def issue_for_cohort(job_id: int) -> None:
    run_job(job_id, issuance.run_issuance_job)


@shared_task(name="lms.certificates.email_certificate", autoretry_for=(OSError,), max_retries=8)
def email_certificate(certificate_id: int) -> None:
    services.email_certificate(certificate_id)


@shared_task(name="lms.certificates.email_certificates", autoretry_for=(OSError,), max_retries=8)
def email_certificates(certificate_ids: list[int]) -> None:
    services.email_certificates(certificate_ids)


@shared_task(name="lms.certificates.reconcile")
def reconcile() -> dict:
    return issuance.reconcile()


@shared_task(name="lms.certificates.zip_for_cohort")
def zip_for_cohort(job_id: int) -> None:
    run_job(job_id, issuance.run_zip_job)
