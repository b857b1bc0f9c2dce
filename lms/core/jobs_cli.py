"""``lms jobs``: the long jobs that need an operator's eye (running, stalled, failed), and
``lms jobs resume ID`` to put one back in the queue now rather than after its lease."""

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from lms.core import jobs
from lms.core.db import utcnow
from lms.core.models import Job
from lms.core.outbox import publish_ready
from lms.extensions import db

FAILED_SHOWN = 20


@click.group(
    "jobs", invoke_without_command=True, help="Long jobs: list running, stalled and failed ones; resume one."
)
@click.pass_context
@with_appcontext
def jobs_group(context):
    if context.invoked_subcommand is None:
        _list()


def _state(job: Job, stalled_before) -> str:
    if job.status == "running" and job.heartbeat_at is not None and job.heartbeat_at < stalled_before:
        return "stalled"
    if job.status == "queued" and job.attempts:
        return "requeued"
    return job.status


def _list() -> None:
    now = utcnow()
    active = db.session.scalars(
        select(Job).where(Job.status.in_(("queued", "running"))).order_by(Job.id)
    ).all()
    failed = db.session.scalars(
        select(Job)
        .where(Job.status == "failed")
        .order_by(Job.finished_at.desc(), Job.id.desc())
        .limit(FAILED_SHOWN)
    ).all()
    if not active and not failed:
        click.echo("No running, stalled or failed jobs.")
        return
    cutoff = jobs.stalled_before(now)
    click.echo(f"{'ID':>6}  {'KIND':<16} {'STATE':<9} {'PROGRESS':>13}  {'TRIES':>5}  {'SILENT':>7}  ERROR")
    for job in [*active, *failed]:
        silent = f"{(now - job.heartbeat_at).total_seconds():.0f}s" if job.heartbeat_at else "-"
        error = (job.error or "").replace("\n", " ")[:60]
        progress = f"{job.progress}/{job.total}"
        click.echo(
            f"{job.id:>6}  {job.kind:<16} {_state(job, cutoff):<9} {progress:>13}  {job.attempts:>5}  {silent:>7}  {error}"
        )
    click.echo(f"Lease: {jobs.lease_seconds()} s; a running job silent longer than that is stalled.")


@jobs_group.command("resume")
@click.argument("job_id", type=int)
@with_appcontext
def jobs_resume(job_id: int):
    """Put job JOB_ID back in the queue now; it continues from its last committed batch."""
    job = db.session.get(Job, job_id)
    if job is None:
        raise click.ClickException(f"No job {job_id}.")
    if job.status == "done":
        raise click.ClickException(f"Job {job_id} is done; there is nothing to resume.")
    if not job.task:
        raise click.ClickException(f"Job {job_id} does not name its task; start it again from the page.")
    jobs.resume_job(job)
    db.session.commit()
    sent = publish_ready()
    click.echo(
        f"Job {job_id} is queued again"
        + ("." if sent else "; the relay will send it once the broker answers.")
    )
