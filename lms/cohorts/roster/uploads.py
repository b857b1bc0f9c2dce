"""Roster files people upload: kept under the instance's upload folder with a random name until
imported, the import job that reads them, and the synchronous import of the API."""

from typing import BinaryIO

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.accounts.services import person
from lms.cohorts import lookup
from lms.cohorts.enrolment import check_open_for_enrolment
from lms.cohorts.models import Cohort
from lms.cohorts.roster.importer import import_roster, preview_roster
from lms.core.db import utcnow
from lms.core.errors import NotFound, ValidationError
from lms.core.jobs import job_for, retry_job, start_job, started_job
from lms.core.kept_uploads import KeptUploads
from lms.core.models import Job
from lms.core.permissions import require
from lms.extensions import db

JOB_KIND = "roster_import"
PREVIEW_KIND = "roster_check"
ROSTERS = KeptUploads("rosters", ".roster", "roster")
_paths = ROSTERS.paths
max_bytes = ROSTERS.max_bytes
discard = ROSTERS.discard


def receive_roster(cohort: Cohort, stream: BinaryIO, filename: str, *, by) -> tuple[str, Job]:
    """Keep an uploaded roster and start checking it in the worker; returns its token and the
    check's job. Only the upload limits are checked here (from the zip directory or by
    counting lines: no parsing), so a hostile file never ties up the web request."""
    require(by, "enrollment.manage", cohort)
    check_open_for_enrolment(cohort)
    token, estimated_rows = ROSTERS.receive(stream)
    job = start_job(
        PREVIEW_KIND,
        "lms.cohorts.preview_roster",
        by=by,
        total=estimated_rows,
        cohort_id=cohort.id,
        token=token,
    )
    note = {
        "cohort_id": cohort.id,
        "user_id": by.id,
        "filename": (filename or "")[:200],
        "uploaded_at": utcnow().isoformat(),
        "preview": None,
        "job_id": job.id,
    }
    ROSTERS.write_note(token, note)
    return token, job


def run_preview_job(job: Job, report_progress) -> dict:
    """The work of a roster check job: the preview, kept in the upload's note for the page.
    A file refused is removed at once (the note stays, to say why)."""
    cohort = db.session.get(Cohort, job.params["cohort_id"])
    path, note_path = _paths(job.params["token"])
    if cohort is None or not path.exists() or not note_path.exists():
        raise NotFound(_l("The training or the uploaded file is no longer there: upload the file again."))
    try:
        preview = preview_roster(cohort, path, progress=report_progress)
    except ValidationError:
        path.unlink(missing_ok=True)
        raise
    ROSTERS.keep_preview(job.params["token"], preview.to_dict())
    return {"rows": preview.rows, "ready": preview.ready, "problems": preview.problems}


def load_upload(cohort: Cohort, token: str, *, by) -> dict:
    """The note of a roster uploaded for ``cohort`` (with its stored preview)."""
    require(by, "enrollment.manage", cohort)
    return ROSTERS.note(token, cohort_id=cohort.id)


def start_import(cohort: Cohort, token: str, *, by, skip_invalid: bool, send_invitations: bool) -> Job:
    """Start the import job of an uploaded roster. Rows with problems stop it unless skipped."""
    require(by, "enrollment.manage", cohort)
    started = job_for_upload(cohort, token)
    if started is not None:
        return started  # a second click on "Import" shows the same job instead of a failing twin
    upload = load_upload(cohort, token, by=by)
    check_open_for_enrolment(cohort)
    if upload["preview"] is None or not _paths(token)[0].exists():
        raise NotFound(_l("This file is no longer here: upload it again."))
    problems = upload["preview"]["problems"]
    if problems and not skip_invalid:
        raise ValidationError.on(
            "skip_invalid",
            _l("%(n)d rows have problems: fix the file and upload it again, or skip those rows.", n=problems),
        )
    return start_job(
        JOB_KIND,
        "lms.cohorts.import_roster",
        by=by,
        total=upload["preview"]["rows"],
        cohort_id=cohort.id,
        token=token,
        filename=upload["filename"],
        skip_invalid=skip_invalid,
        send_invitations=send_invitations,
    )


def job_for_upload(cohort: Cohort, token: str) -> Job | None:
    return started_job(JOB_KIND, token=token, cohort_id=cohort.id)


def run_import_job(job: Job, report_progress) -> dict:
    """The work of a roster import job (the task removes the file once the job is done).

    The rows were checked at upload, where problems stopped the import unless skipped; a row
    that went wrong since (someone enrolled the person meanwhile) is skipped and reported.
    """
    # Loaded with what the rules and invitations read, in a fixed number of statements.
    cohort = (
        db.session.scalars(select(Cohort).where(Cohort.id == job.params["cohort_id"]).options(*lookup.ACCESS))
        .unique()
        .one_or_none()
    )
    by = person(job.created_by_id or 0)
    path, _note = _paths(job.params["token"])
    if cohort is None or by is None or not path.exists():
        raise NotFound(_l("The training or the uploaded file is no longer there: upload the file again."))
    report = import_roster(
        cohort,
        path,
        by=by,
        skip_invalid=True,
        send_invitations=job.params.get("send_invitations", True),
        progress=report_progress,
        checkpoint=job.checkpoint,
    )
    return report


def import_job(cohort: Cohort, job_id: int, *, by, kind: str = JOB_KIND) -> Job:
    """A roster import (or check) job of ``cohort``, for the people who manage it."""
    require(by, "enrollment.manage", cohort)
    return job_for(kind, job_id, cohort_id=cohort.id)


def retry_import(cohort: Cohort, job_id: int, *, by) -> Job:
    """Start a failed import again from its last committed batch; only its starter may."""
    job = import_job(cohort, job_id, by=by)
    require(by, "job.retry", job)
    check_open_for_enrolment(cohort)
    return retry_job(job)


def import_now(cohort: Cohort, stream: BinaryIO, *, by, skip_invalid: bool, send_invitations: bool) -> dict:
    """Import an uploaded roster at once (the API): the report, or RosterHasProblems."""
    require(by, "enrollment.manage", cohort)
    check_open_for_enrolment(cohort)
    token, path = ROSTERS.save(stream)
    try:
        return import_roster(
            cohort, path, by=by, skip_invalid=skip_invalid, send_invitations=send_invitations
        )
    finally:
        discard(token)
