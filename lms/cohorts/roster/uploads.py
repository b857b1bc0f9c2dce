"""Roster files people upload: kept under the instance's upload folder with a random name until
imported, the import job that reads them, and the synchronous import of the API."""

import json
import re
import secrets
import time
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.accounts.services import person
from lms.cohorts import lookup
from lms.cohorts.enrolment import check_open_for_enrolment
from lms.cohorts.models import Cohort
from lms.cohorts.roster.files import bad_file
from lms.cohorts.roster.importer import import_roster, preview_roster
from lms.core.db import utcnow
from lms.core.errors import NotFound, ValidationError
from lms.core.jobs import retry_job, start_job
from lms.core.models import Job
from lms.core.permissions import require
from lms.core.upload_limits import check_file, limits_for
from lms.extensions import db

JOB_KIND = "roster_import"
PREVIEW_KIND = "roster_check"
TOKEN = re.compile(r"^[0-9a-f]{32}$")
CHUNK = 64 * 1024
# Lists of people checked but never imported are not kept longer than this.
KEEP_SECONDS = 24 * 60 * 60


def _paths(token: str) -> tuple[Path, Path]:
    """The uploaded file and the note about it (who, which cohort, the preview)."""
    folder = Path(current_app.config["UPLOAD_DIR"]) / "rosters"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{token}.roster", folder / f"{token}.json"


def max_bytes() -> int:
    return limits_for("roster").max_bytes


def save_file(stream: BinaryIO) -> tuple[str, Path]:
    """Copy an upload to disk in chunks under a random name; refuse it empty or too large."""
    remove_stale_uploads()
    token = secrets.token_hex(16)
    path, _note = _paths(token)
    size = 0
    with open(path, "wb") as out:
        while chunk := stream.read(CHUNK):
            size += len(chunk)
            if size > max_bytes():
                break
            out.write(chunk)
    if size > max_bytes() or size == 0:
        discard(token)
        if size == 0:
            raise bad_file(_l("The file is empty."))
        raise bad_file(_l("The file is larger than %(mb)d MB: split it.", mb=max_bytes() // (1024 * 1024)))
    return token, path


def remove_stale_uploads() -> int:
    """Delete uploads older than ``KEEP_SECONDS``; returns how many files went."""
    folder = _paths("x")[0].parent
    cutoff = time.time() - KEEP_SECONDS
    removed = 0
    for path in folder.iterdir():
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:  # another request removed it first
            continue
    return removed


def discard(token: str) -> None:
    for path in _paths(token):
        path.unlink(missing_ok=True)


def receive_roster(cohort: Cohort, stream: BinaryIO, filename: str, *, by) -> tuple[str, Job]:
    """Keep an uploaded roster and start checking it in the worker; returns its token and the
    check's job. Only the upload limits are checked here (from the zip directory or by
    counting lines: no parsing), so a hostile file never ties up the web request."""
    require(by, "enrollment.manage", cohort)
    check_open_for_enrolment(cohort)
    token, path = save_file(stream)
    try:
        estimated_rows = check_file(path, limits_for("roster"))
    except ValidationError:
        discard(token)
        raise
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
    _paths(token)[1].write_text(json.dumps(note, ensure_ascii=False), encoding="utf-8")
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
    note = json.loads(note_path.read_text(encoding="utf-8"))
    note["preview"] = preview.to_dict()
    note_path.write_text(json.dumps(note, ensure_ascii=False), encoding="utf-8")
    return {"rows": preview.rows, "ready": preview.ready, "problems": preview.problems}


def load_upload(cohort: Cohort, token: str, *, by) -> dict:
    """The note of a roster uploaded for ``cohort`` (with its stored preview)."""
    require(by, "enrollment.manage", cohort)
    note = _paths(token)[1] if TOKEN.match(token or "") else None
    if note is None or not note.exists():
        raise NotFound(_l("This file is no longer here: upload it again."))
    upload = json.loads(note.read_text(encoding="utf-8"))
    if upload["cohort_id"] != cohort.id:
        raise NotFound(_l("This file is no longer here: upload it again."))
    return upload | {"token": token}


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
    recent = db.session.scalars(
        select(Job).where(Job.kind == JOB_KIND, Job.status != "failed").order_by(Job.id.desc()).limit(200)
    )
    return next(
        (
            job
            for job in recent
            if job.params.get("token") == token and job.params.get("cohort_id") == cohort.id
        ),
        None,
    )


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
    job = db.session.get(Job, job_id)
    if job is None or job.kind != kind or job.params.get("cohort_id") != cohort.id:
        raise NotFound(_l("No such import."))
    return job


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
    token, path = save_file(stream)
    try:
        return import_roster(
            cohort, path, by=by, skip_invalid=skip_invalid, send_invitations=send_invitations
        )
    finally:
        discard(token)
