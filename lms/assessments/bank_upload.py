"""A question bank uploaded as a file: kept until used, checked in a job (the preview lists every
problem row), then imported in a second job that checks it again, in one transaction.

Nothing is imported while rows have problems unless the person chooses to import only the good
ones. Who may: whoever may write the course's questions (``question.manage``)."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from lms.accounts.services import job_starter
from lms.assessments import bank
from lms.assessments.bank_files import LIMITS_KIND, BankRow, check_row, read_bank
from lms.core import audit
from lms.core.errors import NotFound, ValidationError
from lms.core.jobs import job_for, start_job, started_job
from lms.core.kept_uploads import KeptUploads
from lms.core.models import Job
from lms.core.permissions import require
from lms.courses.models import Course
from lms.extensions import db

CHECK_KIND = "bank_check"
IMPORT_KIND = "bank_import"
BANKS = KeptUploads("question-banks", ".bank", LIMITS_KIND)
PROGRESS_EVERY = 100


def summary(row: BankRow) -> dict:
    return {"row": row.number, "text": row.data["text"][:300], "problems": row.problems}


def checked_rows(upload: dict, course: Course) -> Iterator[BankRow]:
    for row in read_bank(BANKS.paths(upload["token"])[0]):
        yield check_row(course, row)


@dataclass
class BankPreview:
    """What importing the file would do, and every row with a problem."""

    rows: int = 0
    ready: int = 0
    problems: int = 0
    problem_rows: list = field(default_factory=list)

    def add(self, row: BankRow) -> None:
        self.rows += 1
        if row.problems:
            self.problems += 1
            self.problem_rows.append(summary(row))
        else:
            self.ready += 1

    def to_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def preview_bank(upload: dict, course: Course, progress: Callable[..., None] | None = None) -> BankPreview:
    """Check every row of the uploaded file without importing anything."""
    preview = BankPreview()
    for row in checked_rows(upload, course):
        preview.add(row)
        if progress is not None and preview.rows % PROGRESS_EVERY == 0:
            progress(row.number)
    return preview


def import_bank(upload: dict, course: Course, *, by, skip_invalid: bool) -> dict:
    """Check the file again and add its good rows to the bank; any problem stops it unless
    ``skip_invalid``. The caller commits once: all the questions are added or none."""
    require(by, "question.manage", course)
    rows = list(checked_rows(upload, course))
    bad = [row for row in rows if row.problems]
    if bad and not skip_invalid:
        raise ValidationError(
            ngettext(
                "%(num)d row has problems, so nothing was imported. Fix the file, or import only the good rows.",
                "%(num)d rows have problems, so nothing was imported. Fix the file, or import only the good rows.",
                len(bad),
            )
        )
    created = bank.create_questions(course, [row.data for row in rows if not row.problems], by=by)
    audit.record(
        by, "questions.import", course, filename=upload["filename"], created=len(created), skipped=len(bad)
    )
    return {"created": len(created), "skipped": len(bad), "skipped_rows": [summary(row) for row in bad]}


def receive_bank(course: Course, stream: BinaryIO, filename: str, *, by) -> tuple[str, Job]:
    """Keep an uploaded question bank and start checking it in the worker; only the upload
    limits that need no parsing are checked here. Returns its token and the job."""
    require(by, "question.manage", course)
    task = "lms.assessments.check_question_bank"
    return BANKS.receive_for_check(stream, filename, by=by, kind=CHECK_KIND, task=task, course_id=course.id)


def load_upload(course: Course, token: str, *, by) -> dict:
    """The note of a question bank uploaded for ``course``, with its preview."""
    require(by, "question.manage", course)
    return BANKS.note(token, course_id=course.id)


def _job_course(job: Job) -> Course:
    course = db.session.get(Course, job.params["course_id"])
    if course is None or not BANKS.is_kept(job.params["token"]):
        raise NotFound(_l("The course or the uploaded file is no longer there: upload the file again."))
    return course


def run_check_job(job: Job, report_progress) -> dict:
    """The work of a check job: the preview, kept in the upload's note for the page."""
    course = _job_course(job)
    return BANKS.run_check(job.params["token"], lambda upload: preview_bank(upload, course, report_progress))


def start_import(course: Course, token: str, *, by, skip_invalid: bool) -> Job:
    """Start the job that imports a checked file. Rows with problems stop it unless skipped."""
    require(by, "question.manage", course)
    started = importing_job_for(course, token)
    if started is not None:
        return started  # a second click shows the same job instead of importing twice
    upload, preview = BANKS.checked(token, course_id=course.id)
    if not preview["ready"]:
        raise ValidationError.on(
            "skip_invalid", _l("No row can be imported. Fix the file and upload it again.")
        )
    if preview["problems"] and not skip_invalid:
        raise ValidationError.on(
            "skip_invalid",
            ngettext(
                "%(num)d row has problems: fix the file and upload it again, or import only the good rows.",
                "%(num)d rows have problems: fix the file and upload it again, or import only the good rows.",
                preview["problems"],
            ),
        )
    return start_job(
        IMPORT_KIND, "lms.assessments.import_question_bank", by=by, total=preview["ready"],
        course_id=course.id, token=token, filename=upload["filename"], skip_invalid=skip_invalid,
    )  # fmt: skip


def importing_job_for(course: Course, token: str) -> Job | None:
    return started_job(IMPORT_KIND, token=token, course_id=course.id)


def run_import_job(job: Job, report_progress) -> dict:
    """The work of an import job, in one transaction (the job's end commits it); the task
    removes the file once it is done."""
    course = _job_course(job)
    by = job_starter(job)
    upload = BANKS.note(job.params["token"])
    return import_bank(upload, course, by=by, skip_invalid=job.params["skip_invalid"])


def upload_job(course: Course, job_id: int, *, by, kind: str) -> Job:
    """A check or import job of ``course``'s bank, for the people who write its questions."""
    require(by, "question.manage", course)
    return job_for(kind, job_id, course_id=course.id)
