"""Long work a person starts (imports, bulk issuance, exports), with progress they can watch.

Every job kind runs through ``run_job`` and so survives a crashed worker the same way:

- **Lease.** A worker runs a job only after taking its lease with one conditional UPDATE (the
  job is queued, or running with a heartbeat older than ``JOB_LEASE_SECONDS``, or held by a
  process of this machine that no longer exists). Two workers handed the same job: one UPDATE
  matches, the other does nothing.
- **Heartbeat and checkpoint.** Each progress report stamps ``heartbeat_at`` and stores the
  work's checkpoint in the same transaction as the batch it follows, on condition that this
  worker still holds the lease; a worker that lost it has its batch rolled back (``LeaseLost``).
- **Recovery.** ``recover_stalled`` (a periodic task) puts back in the queue, through the
  outbox, every job whose heartbeat is older than the lease; the work resumes from its last
  checkpoint. A job started ``JOB_MAX_ATTEMPTS`` times without finishing is marked failed.
"""

import os
import socket
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import and_, func, or_, select, update

from lms.core.db import utcnow
from lms.core.errors import DomainError, NotFound
from lms.core.models import Job
from lms.core.outbox import enqueue
from lms.extensions import db

Progress = Callable[..., None]


class LeaseLost(RuntimeError):
    """Another worker took this job over (this one was presumed dead): stop without writing."""


def lease_seconds() -> int:
    return int(current_app.config["JOB_LEASE_SECONDS"])


def max_attempts() -> int:
    return int(current_app.config["JOB_MAX_ATTEMPTS"])


def start_job(kind: str, task: str, *, by, total: int = 0, **params) -> Job:
    """Create a queued job and schedule ``task(job_id=...)`` after commit."""
    job = Job(
        kind=kind,
        task=task,
        status="queued",
        total=total,
        params=params,
        created_by_id=getattr(by, "id", None),
        heartbeat_at=utcnow(),
    )
    db.session.add(job)
    db.session.flush()
    enqueue(task, job_id=job.id)
    return job


def job_for(kind: str, job_id: int, **params) -> Job:
    """Job ``job_id`` if it is of ``kind`` and was started with ``params`` (e.g. the cohort of
    the page asking); else NotFound, so that a job id reveals nothing."""
    job = db.session.get(Job, job_id)
    if job is None or job.kind != kind or any(job.params.get(k) != v for k, v in params.items()):
        raise NotFound(_l("No such job."))
    return job


def started_job(kind: str, **params) -> Job | None:
    """The latest job of ``kind`` started with ``params`` that did not fail (among the recent
    ones): a second click on a button shows the same job instead of starting a twin."""
    recent = db.session.scalars(
        select(Job).where(Job.kind == kind, Job.status != "failed").order_by(Job.id.desc()).limit(200)
    )
    return next((job for job in recent if all(job.params.get(k) == v for k, v in params.items())), None)


def is_late(job: Job, now: datetime | None = None) -> bool:
    """Whether the person watching should read "interrupted — resuming" rather than a bar:
    a running job silent for ``JOB_LATE_SECONDS``, or a job put back after an interruption."""
    if job.status == "queued":
        return job.attempts > 0
    if job.status != "running" or job.heartbeat_at is None:
        return False
    late = timedelta(seconds=current_app.config["JOB_LATE_SECONDS"])
    return (now or utcnow()) - job.heartbeat_at > late


def _process_marks() -> tuple[str, str]:
    """This machine (host name and PID namespace) and this process: an owner id names both, so
    a later worker on the same machine can tell that the owner's process is gone."""
    try:
        namespace = str(os.stat("/proc/self/ns/pid").st_ino)
    except OSError:
        namespace = "?"
    return f"{socket.gethostname()}/{namespace}", str(os.getpid())


def new_owner() -> str:
    machine, pid = _process_marks()
    return f"{machine}:{pid}:{uuid.uuid4().hex[:8]}"[:120]


def owner_is_dead(owner: str | None) -> bool:
    """True only when ``owner`` ran on this machine and its process no longer exists."""
    if not owner or owner.count(":") < 2:
        return False
    machine, pid, _nonce = owner.rsplit(":", 2)
    if machine != _process_marks()[0] or machine.endswith("/?") or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, under another user
        return False
    return False


def take_lease(job_id: int) -> str | None:
    """Take the job for this worker; returns the owner id, or None when someone else has it
    (or it is finished). One conditional UPDATE decides, so two workers cannot both win."""
    current = db.session.execute(select(Job.status, Job.lease_owner).where(Job.id == job_id)).first()
    db.session.commit()
    if current is None or current.status in ("done", "failed"):
        return None
    now = utcnow()
    takeable = [
        Job.status == "queued",
        and_(
            Job.status == "running",
            or_(Job.heartbeat_at.is_(None), Job.heartbeat_at < now - timedelta(seconds=lease_seconds())),
        ),
    ]
    if current.status == "running" and owner_is_dead(current.lease_owner):
        # The pool process that ran it was killed and its message came straight back.
        takeable.append(and_(Job.status == "running", Job.lease_owner == current.lease_owner))
    owner = new_owner()
    taken = db.session.execute(
        update(Job)
        .where(Job.id == job_id, or_(*takeable))
        .values(
            status="running",
            lease_owner=owner,
            heartbeat_at=now,
            attempts=Job.attempts + 1,
            started_at=func.coalesce(Job.started_at, now),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return owner if taken == 1 else None


def _update_held(job_id: int, owner: str, **values) -> None:
    """Write ``values`` to the job only while ``owner`` still holds it; else ``LeaseLost``."""
    held = db.session.execute(
        update(Job)
        .where(Job.id == job_id, Job.lease_owner == owner, Job.status == "running")
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if held != 1:
        raise LeaseLost(f"job {job_id} is no longer held by {owner}")


def run_job(job_id: int, work: Callable[[Job, Progress], dict]) -> Job | None:
    """Run ``work(job, report_progress)`` if this worker can take the job's lease.

    ``report_progress(done, checkpoint=None)`` commits the work's pending changes together
    with the progress, a heartbeat and ``checkpoint`` (which ``work`` finds in
    ``job.checkpoint`` when the job resumes). A job that is done, failed or held by a live
    worker is left alone, so a redelivered or doubled message does nothing twice.
    """
    owner = take_lease(job_id)
    if owner is None:
        return db.session.get(Job, job_id)
    job = db.session.get(Job, job_id)
    db.session.refresh(job)
    # The UPDATEs below bypass the ORM object, so the last progress is kept here.
    reported = {"done": job.progress}

    def report_progress(done: int, checkpoint: dict | None = None) -> None:
        reported["done"] = done
        values = {"progress": done, "heartbeat_at": utcnow()}
        if checkpoint is not None:
            values["checkpoint"] = checkpoint
        try:
            _update_held(job_id, owner, **values)
        except LeaseLost:
            db.session.rollback()
            raise
        db.session.commit()

    try:
        result = work(job, report_progress)
        _update_held(
            job_id, owner, status="done", result=result, finished_at=utcnow(), lease_owner=None,
            progress=job.total or reported["done"],
        )  # fmt: skip
        db.session.commit()
    except LeaseLost:
        db.session.rollback()
        current_app.logger.warning("job %s: lease lost, leaving it to its new owner", job_id)
    except DomainError as error:  # the work refused (a bad file, a closed training): final
        db.session.rollback()
        _finish_failed(job_id, owner, str(error.message))
    except Exception as error:
        db.session.rollback()
        _release_after_error(job_id, owner, f"{type(error).__name__}: {error}")
        raise
    job = db.session.get(Job, job_id)
    db.session.refresh(job)
    return job


def _finish_failed(job_id: int, owner: str | None, error: str) -> None:
    conditions = [Job.id == job_id] + ([Job.lease_owner == owner] if owner else [])
    db.session.execute(
        update(Job)
        .where(*conditions)
        .values(status="failed", error=error[:2000], finished_at=utcnow(), lease_owner=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _release_after_error(job_id: int, owner: str, error: str) -> None:
    """An unexpected error (the database went away, a bug): try again later through the
    sweep, unless the attempts are used up."""
    job = db.session.get(Job, job_id)
    if job is None or job.lease_owner != owner:
        return
    if job.attempts >= max_attempts():
        _finish_failed(job_id, owner, error)
        return
    job.status, job.lease_owner, job.error, job.heartbeat_at = "queued", None, error[:2000], utcnow()
    db.session.commit()


def recover_stalled(now: datetime | None = None) -> dict:
    """Requeue (through the outbox) the jobs whose heartbeat is older than the lease; fail those
    started ``JOB_MAX_ATTEMPTS`` times. Returns ``{"requeued": [...], "failed": [...]}``."""
    now = now or utcnow()
    cutoff = now - timedelta(seconds=lease_seconds())
    stalled = db.session.execute(
        select(Job.id, Job.heartbeat_at, Job.attempts, Job.task, Job.error)
        .where(Job.status.in_(("queued", "running")), Job.heartbeat_at < cutoff)
        .order_by(Job.id)
    ).all()
    outcome: dict[str, list[int]] = {"requeued": [], "failed": []}
    for job_id, heartbeat_at, attempts, task, error in stalled:
        # Conditional on the heartbeat read above: two sweeps at once requeue a job once.
        claim = update(Job).where(Job.id == job_id, Job.heartbeat_at == heartbeat_at)
        if attempts >= max_attempts():
            message = ngettext(
                "The job was interrupted %(num)d time and was stopped.",
                "The job was interrupted %(num)d times and was stopped.",
                attempts,
            )
            values = {"status": "failed", "error": f"{message} {error or ''}".strip()[:2000]}
            values |= {"finished_at": now, "lease_owner": None}
            kind = "failed"
        else:
            values = {"status": "queued", "lease_owner": None, "heartbeat_at": now}
            kind = "requeued"
        if db.session.execute(claim.values(**values).execution_options(synchronize_session=False)).rowcount:
            if kind == "requeued":
                enqueue(task, job_id=job_id)
            outcome[kind].append(job_id)
        db.session.commit()
    return outcome


def retry_job(job: Job) -> Job:
    """Start a failed job again from its last checkpoint (the caller checked who may)."""
    if job.status != "failed":
        return job
    job.status, job.error, job.attempts, job.lease_owner = "queued", None, 0, None
    job.heartbeat_at, job.finished_at = utcnow(), None
    enqueue(job.task, job_id=job.id)
    return job


def resume_job(job: Job) -> Job:
    """Put a stalled or failed job back in the queue now (``lms jobs resume``)."""
    if job.status == "failed":
        return retry_job(job)
    if job.status in ("queued", "running"):
        job.status, job.lease_owner, job.heartbeat_at = "queued", None, utcnow()
        enqueue(job.task, job_id=job.id)
    return job


def stalled_before(now: datetime | None = None) -> datetime:
    return (now or utcnow()) - timedelta(seconds=lease_seconds())
