"""Tasks every feature uses: the outbox relay, the job lease sweep and email delivery."""

from celery import shared_task

from lms.core import jobs, mail, outbox


@shared_task(name="lms.core.relay_outbox")
def relay_outbox() -> int:
    return outbox.relay()


@shared_task(name="lms.core.recover_jobs")
def recover_jobs() -> dict:
    """Requeue the jobs whose worker stopped showing life (see lms.core.jobs)."""
    return jobs.recover_stalled()


@shared_task(name="lms.core.send_email", autoretry_for=(OSError,), max_retries=8)
def send_email(to: str, subject: str, body: str, attachments: list[dict], message_id: str) -> str:
    return mail.deliver(mail.build_message(to, subject, body, attachments, message_id))
