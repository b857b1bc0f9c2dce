"""Rules for what core itself owns: the audit log and background jobs."""

from lms.core.permissions import rule


@rule("audit.view")
def _audit_admins_only(user, obj) -> bool:
    return False


@rule("job.view")
def _own_job(user, job) -> bool:
    return job is not None and job.created_by_id == user.id


@rule("job.retry")
def _started_it(user, job) -> bool:
    """Only the person who started a job starts it again (she knows what it was for)."""
    return job is not None and job.created_by_id == user.id
