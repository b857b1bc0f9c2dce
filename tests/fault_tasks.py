"""A roster import that dawdles inside each batch, so a fault test can kill the worker in the
middle of a job with a batch written but not committed. The work is the real import."""

import os
import time

from celery import shared_task

from lms.cohorts import roster
from lms.core.jobs import run_job

DELAY = float(os.environ.get("LMS_TEST_BATCH_DELAY", "0.8"))


def _slow_import(job, report_progress):
    def slow_progress(done, checkpoint=None):
        time.sleep(DELAY)  # the batch is flushed but not committed while this sleeps
        report_progress(done, checkpoint)

    return roster.run_import_job(job, slow_progress)


@shared_task(name="tests.slow_roster_import")
def slow_roster_import(job_id: int) -> None:
    job = run_job(job_id, _slow_import)
    if job is not None and job.status == "done":
        roster.uploads.discard(job.params["token"])
