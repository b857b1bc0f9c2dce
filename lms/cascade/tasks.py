"""Background work of the cascade: the daily run that queues the reminders due, and delivering
one reminder (scheduled by Celery beat, see ``lms.config``)."""

from celery import shared_task

from lms.cascade.nudges import services as nudges


@shared_task(name="lms.cascade.send_nudges")
def send_nudges() -> dict:
    """Queue this week's and this month's reminders not queued yet; safe to run any number of times."""
    return nudges.send_due()


@shared_task(name="lms.cascade.deliver_nudge", bind=True, autoretry_for=(OSError,), max_retries=8)
def deliver_nudge(self, nudge_id: int) -> str | None:
    try:
        return nudges.deliver(nudge_id)
    except OSError as error:
        # Keep why it failed (and, after the last retry, that it failed) for the admins' page.
        from lms.extensions import db

        db.session.rollback()
        nudges.record_failure(nudge_id, error, final=self.request.retries >= self.max_retries)
        db.session.commit()
        raise
