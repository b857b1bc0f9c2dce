"""Keeping the report figures current off the readers' path (scheduled by Celery beat, see
``lms.config``): a report computes whatever is stale itself, so this only saves it the time."""

from celery import shared_task

from lms.reports.kept import cohorts, people

# Per run: a burst of writes (a year's trainings entered at once) is caught up over a few runs.
COHORTS_PER_RUN = 20_000


@shared_task(name="lms.reports.refresh_figures")
def refresh_figures() -> int:
    """Compute the stale cohort figures and people groups; how many cohorts were computed."""
    computed = cohorts.refresh_stale(limit=COHORTS_PER_RUN)
    people.refresh()
    return computed
