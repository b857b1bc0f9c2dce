"""Paper answers uploaded as a file: kept until used, checked in a job (the preview lists every
problem row), then saved in a second job through the grid's own services, in one transaction.

Nothing is saved while rows have problems unless the trainer chooses to save only the good
ones. Who may: whoever may enter paper scores for the cohort (``scores.enter``)."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from lms.accounts.names import is_patronymic
from lms.accounts.services import job_starter, normalize_email
from lms.assessments import delivery, paper
from lms.assessments.models import TEST_FORMS, Attempt
from lms.assessments.paper_files import LIMITS_KIND, AnswerRow, read_answers
from lms.cohorts.lookup import ACCESS
from lms.cohorts.models import Cohort, Enrollment
from lms.core import audit
from lms.core.errors import NotFound, ValidationError
from lms.core.jobs import job_for, start_job, started_job
from lms.core.kept_uploads import KeptUploads
from lms.core.models import Job
from lms.core.permissions import require
from lms.core.spreadsheets import header_key
from lms.extensions import db

CHECK_KIND = "paper_check"
IMPORT_KIND = "paper_import"
PAPERS = KeptUploads("paper", ".answers", LIMITS_KIND)
PROGRESS_EVERY = 100

PROBLEMS = {
    "no_person": _l("The row names no participant: fill in the ID, the email or the full name."),
    "unknown_id": _l("“%(value)s” is not the ID of anyone in this training."),
    "other_phase": _l("This is an answer sheet of the other test (“%(value)s”)."),
    "not_in_cohort": _l("“%(value)s” is not in this training."),
    "ambiguous_name": _l(
        "Several people in this training are called “%(value)s”: fill in the ID or the email."
    ),
    "mismatch": _l("The ID, the email and the name of this row are not all of %(name)s."),
    "withdrawn": _l("%(name)s has withdrawn from the training."),
    "waitlisted": _l("%(name)s is on the waitlist, not in the training."),
    "duplicate": _l("The same participant as row %(row)d."),
    "took_online": _l("%(name)s took this test online; her online answers stand."),
    "both": _l("Fill in either the answers or the percent, not both."),
    "bad_percent": _l("“%(value)s” is not a percent."),
    "percent_range": _l("A percent is between 0 and 100, not %(value)s."),
    "percent_fraction": _l(
        "“%(value)s” looks like a fraction, as Excel keeps a cell typed as a percent: write %(percent)g "
        "for %(percent)g %%, or 0 or 1 if that is the score."
    ),
    "no_item": _l("There is no item %(item)d: form %(form)s has items 1 to %(count)d."),
    "unknown_choice": _l("Item %(item)d: unknown answer “%(key)s”."),
    "one_answer": _l("Item %(item)d takes one answer, not “%(key)s”."),
}


def describe(reason: list | tuple) -> str:
    """The message for a stored ``[code, params]`` problem, in the current language."""
    code, params = reason
    message = PROBLEMS.get(code, code)
    return str(message) % params if params else str(message)


def name_keys(full_name: str) -> tuple[str, str]:
    """Keys a name matches by, whatever the order of its words and the apostrophe: all its
    words, and its words without the patronymic (equal when it has none)."""
    words = sorted(header_key(full_name).split())
    return " ".join(words), " ".join(word for word in words if not is_patronymic(word))


@dataclass
class CheckedRow:
    number: int
    name: str = ""
    enrollment: Enrollment | None = None
    answers: dict[int, list[int]] | None = None  # question id -> choice ids, for answer rows
    percent: float | None = None  # for total-only rows
    replaces: bool = False  # she has paper answers or a percent already: they are replaced
    problems: list = field(default_factory=list)

    def problem(self, code: str, **params) -> None:
        self.problems.append([code, params])

    @property
    def empty(self) -> bool:
        return self.answers is None and self.percent is None and not self.problems

    def summary(self) -> dict:
        return {
            "row": self.number,
            "name": self.name,
            "items": len(self.answers) if self.answers is not None else None,
            "percent": self.percent,
            "replaces": self.replaces,
            "problems": self.problems,
        }


class AnswerSheetCheck:
    """What a file's rows are checked against: the cohort's people, the form's items and the
    attempts already made (loaded once, in a fixed number of queries)."""

    def __init__(self, cohort: Cohort, phase: str, form: str):
        self.phase, self.form = phase, form
        self.questions = paper.grid_columns(cohort, form)
        people = db.session.scalars(
            select(Enrollment).options(joinedload(Enrollment.user)).where(Enrollment.cohort_id == cohort.id)
        ).all()
        self.by_id = {e.id: e for e in people}
        self.by_email = {e.user.email: e for e in people}
        self.by_name: dict[str, list[Enrollment]] = {}
        for enrollment in people:
            for key in set(name_keys(enrollment.user.full_name)) - {""}:
                self.by_name.setdefault(key, []).append(enrollment)
        test = delivery.test_of(cohort, phase, create=False)
        attempts = (
            select(Attempt.enrollment_id, Attempt.source).where(Attempt.test_id == test.id) if test else None
        )
        self.sources = dict(db.session.execute(attempts).all()) if attempts is not None else {}
        self.seen: dict[int, int] = {}  # enrolment id -> the first row naming her

    def check(self, written: AnswerRow) -> CheckedRow:
        row = CheckedRow(number=written.number, name=written.full_name)
        if written.percent and written.cells:
            row.problem("both")
        elif written.percent:
            self._percent(row, written.percent)
        elif written.cells:
            self._answers(row, written.cells)
        else:
            return row  # nothing entered for her: left as it is
        enrollment = self._person(row, written)
        if enrollment is not None:
            self._place(row, enrollment)
        return row

    def _person(self, row: CheckedRow, written: AnswerRow) -> Enrollment | None:
        if not (written.id or written.email or written.full_name):
            row.problem("no_person")
            return None
        found = []
        if written.id:
            found.append(self._by_id(row, written.id))
        if written.email:
            found.append(self._by_email(row, written.email))
        if written.full_name:
            found.append(self._by_name(row, written.full_name))
        if None in found:
            return None
        if len(set(found)) > 1:
            row.problem("mismatch", name=found[0].user.full_name)
            return None
        return found[0]

    def _by_id(self, row: CheckedRow, text: str) -> Enrollment | None:
        # The answer sheet's QR code reads "enrollment:<id>:<phase>"; the template has the id.
        parts = text.split(":")
        if len(parts) == 3 and parts[0] == "enrollment" and parts[2] in ("pre", "post"):
            if parts[2] != self.phase:
                row.problem("other_phase", value=text)
                return None
            text = parts[1]
        enrollment = self.by_id.get(int(text)) if text.isdecimal() and len(text) < 12 else None
        if enrollment is None:
            row.problem("unknown_id", value=text)
        return enrollment

    def _by_email(self, row: CheckedRow, text: str) -> Enrollment | None:
        try:
            enrollment = self.by_email.get(normalize_email(text))
        except ValidationError:
            enrollment = None
        if enrollment is None:
            row.problem("not_in_cohort", value=text)
        return enrollment

    def _by_name(self, row: CheckedRow, text: str) -> Enrollment | None:
        """A name with a patronymic matches the same name with that patronymic, or without one
        (a roster may leave it out), never with another one: Коваленко Олена Іванівна is not
        Коваленко Олена Петрівна. A name without one matches any."""
        full, without = name_keys(text)
        if full != without:
            found = {e.id: e for e in self.by_name.get(full, [])} | {
                e.id: e
                for e in self.by_name.get(without, [])
                if len(set(name_keys(e.user.full_name))) == 1  # hers has no patronymic
            }
        else:
            found = {e.id: e for e in self.by_name.get(without, [])}
        enrolled = [e for e in found.values() if e.status == "enrolled"]
        if len(enrolled) > 1 or (not enrolled and len(found) > 1):
            row.problem("ambiguous_name", value=text)
            return None
        if not found:
            row.problem("not_in_cohort", value=text)
            return None
        return enrolled[0] if enrolled else next(iter(found.values()))

    def _place(self, row: CheckedRow, enrollment: Enrollment) -> None:
        row.enrollment, row.name = enrollment, enrollment.user.full_name
        if enrollment.status != "enrolled":
            row.problem(enrollment.status, name=row.name)
        if enrollment.id in self.seen:
            row.problem("duplicate", row=self.seen[enrollment.id])
        else:
            self.seen[enrollment.id] = row.number
        source = self.sources.get(enrollment.id)
        if source == "online":
            row.problem("took_online", name=row.name)
        row.replaces = source is not None and source != "online"

    def _percent(self, row: CheckedRow, text: str) -> None:
        try:
            value = float(text.replace("%", "").replace(",", ".").strip())
        except ValueError:
            row.problem("bad_percent", value=text)
            return
        if not 0 <= value <= 100:
            row.problem("percent_range", value=text)
        elif 0 < value < 1:  # Excel keeps a cell typed as 85 % as 0.85
            row.problem("percent_fraction", value=text, percent=round(value * 100, 1))
        else:
            row.percent = round(value, 1)

    def _answers(self, row: CheckedRow, cells: dict[int, str]) -> None:
        answers = {}
        for item, key in sorted(cells.items()):
            if not 1 <= item <= len(self.questions):
                row.problem("no_item", item=item, form=self.form, count=len(self.questions))
                continue
            question = self.questions[item - 1]
            chosen = paper.choice_ids(question, key)
            if chosen is None:
                row.problem("unknown_choice", item=item, key=key)
            elif question.current.kind != "multiple" and len(set(chosen)) > 1:
                row.problem("one_answer", item=item, key=key)
            elif chosen:
                answers[question.id] = chosen
        row.answers = answers


def checked_rows(upload: dict, sheet: AnswerSheetCheck) -> Iterator[CheckedRow]:
    for written in read_answers(PAPERS.paths(upload["token"])[0]):
        yield sheet.check(written)


@dataclass
class AnswersPreview:
    """What saving the file would do, and every row with a problem."""

    phase: str = ""
    form: str = ""
    items: int = 0
    rows: int = 0
    ready: int = 0
    problems: int = 0
    empty: int = 0
    answer_sheets: int = 0
    percents: int = 0
    replaces: int = 0
    problem_rows: list = field(default_factory=list)
    ready_rows: list = field(default_factory=list)

    def add(self, row: CheckedRow) -> None:
        self.rows += 1
        if row.problems:
            self.problems += 1
            self.problem_rows.append(row.summary())
        elif row.empty:
            self.empty += 1
        else:
            self.ready += 1
            self.answer_sheets += row.answers is not None
            self.percents += row.percent is not None
            self.replaces += row.replaces
            self.ready_rows.append(row.summary())

    def to_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def preview_answers(
    upload: dict, cohort: Cohort, progress: Callable[..., None] | None = None
) -> AnswersPreview:
    """Check every row of the uploaded file without saving anything."""
    sheet = AnswerSheetCheck(cohort, upload["phase"], upload["form"])
    preview = AnswersPreview(phase=sheet.phase, form=sheet.form, items=len(sheet.questions))
    for row in checked_rows(upload, sheet):
        preview.add(row)
        if progress is not None and preview.rows % PROGRESS_EVERY == 0:
            progress(row.number)
    return preview


def save_answers(upload: dict, cohort: Cohort, *, by, skip_invalid: bool) -> dict:
    """Check the file again (the training may have changed since the preview) and save its
    good rows through the grid's services; any problem stops it unless ``skip_invalid``. The
    caller commits once: all the rows are saved or none."""
    require(by, "scores.enter", cohort)
    phase, form = upload["phase"], upload["form"]
    rows = list(checked_rows(upload, AnswerSheetCheck(cohort, phase, form)))
    bad = [row for row in rows if row.problems]
    if bad and not skip_invalid:
        raise ValidationError(
            ngettext(
                "%(num)d row has problems, so nothing was saved. Fix the file, or save only the good rows.",
                "%(num)d rows have problems, so nothing was saved. Fix the file, or save only the good rows.",
                len(bad),
            )
        )
    saved = {"answer_sheets": 0, "percents": 0}
    for row in rows:
        if row.problems or row.empty:
            continue
        if row.answers is not None:
            paper.enter_responses(row.enrollment, phase, form, row.answers, by=by)
            saved["answer_sheets"] += 1
        else:
            paper.enter_scores(row.enrollment, {phase: row.percent}, by=by)
            saved["percents"] += 1
    result = saved | {"skipped": len(bad), "skipped_rows": [row.summary() for row in bad]}
    audit.record(
        by, "responses.upload", cohort, phase=phase, form=form, filename=upload["filename"],
        answer_sheets=saved["answer_sheets"], percents=saved["percents"], skipped=len(bad),
    )  # fmt: skip
    return result


def receive_answers(
    cohort: Cohort, phase: str, form: str, stream: BinaryIO, filename: str, *, by
) -> tuple[str, Job]:
    """Keep an uploaded file of paper answers and start checking it in the worker; only the
    upload limits that need no parsing are checked here. Returns its token and the job."""
    require(by, "scores.enter", cohort)
    delivery.check_phase(phase)
    if form not in TEST_FORMS:
        raise ValidationError.on("form", _l("The form is A or B."))
    return PAPERS.receive_for_check(
        stream, filename, by=by, kind=CHECK_KIND, task="lms.assessments.check_paper_answers",
        cohort_id=cohort.id, phase=phase, form=form,
    )  # fmt: skip


def load_upload(cohort: Cohort, phase: str, token: str, *, by) -> dict:
    """The note of a file of answers uploaded for ``cohort``'s ``phase``, with its preview."""
    require(by, "scores.enter", cohort)
    return PAPERS.note(token, cohort_id=cohort.id, phase=phase)


def _job_cohort(job: Job) -> Cohort:
    """The job's cohort, with what the permission rules read, in a fixed number of queries."""
    cohort = (
        db.session.scalars(select(Cohort).where(Cohort.id == job.params["cohort_id"]).options(*ACCESS))
        .unique()
        .one_or_none()
    )
    if cohort is None or not PAPERS.is_kept(job.params["token"]):
        raise NotFound(_l("The training or the uploaded file is no longer there: upload the file again."))
    return cohort


def run_check_job(job: Job, report_progress) -> dict:
    """The work of a check job: the preview, kept in the upload's note for the page."""
    cohort = _job_cohort(job)
    return PAPERS.run_check(
        job.params["token"], lambda upload: preview_answers(upload, cohort, report_progress)
    )


def start_saving(cohort: Cohort, phase: str, token: str, *, by, skip_invalid: bool) -> Job:
    """Start the job that saves a checked file. Rows with problems stop it unless skipped."""
    require(by, "scores.enter", cohort)
    started = saving_job_for(cohort, token)
    if started is not None:
        return started  # a second click shows the same job instead of saving twice
    upload, preview = PAPERS.checked(token, cohort_id=cohort.id, phase=phase)
    if not preview["ready"]:
        raise ValidationError.on("skip_invalid", _l("No row can be saved. Fix the file and upload it again."))
    if preview["problems"] and not skip_invalid:
        raise ValidationError.on(
            "skip_invalid",
            ngettext(
                "%(num)d row has problems: fix the file and upload it again, or save only the good rows.",
                "%(num)d rows have problems: fix the file and upload it again, or save only the good rows.",
                preview["problems"],
            ),
        )
    return start_job(
        IMPORT_KIND, "lms.assessments.save_paper_answers", by=by, total=preview["ready"],
        cohort_id=cohort.id, phase=phase, form=upload["form"], token=token, filename=upload["filename"],
        skip_invalid=skip_invalid,
    )  # fmt: skip


def saving_job_for(cohort: Cohort, token: str) -> Job | None:
    return started_job(IMPORT_KIND, token=token, cohort_id=cohort.id)


def run_save_job(job: Job, report_progress) -> dict:
    """The work of a saving job, in one transaction (the job's end commits it); the task
    removes the file once it is done."""
    cohort = _job_cohort(job)
    by = job_starter(job)
    upload = PAPERS.note(job.params["token"])
    return save_answers(upload, cohort, by=by, skip_invalid=job.params["skip_invalid"])


def upload_job(cohort: Cohort, phase: str, job_id: int, *, by, kind: str) -> Job:
    """A check or saving job of ``cohort``'s ``phase``, for the people who enter its scores."""
    require(by, "scores.enter", cohort)
    return job_for(kind, job_id, cohort_id=cohort.id, phase=phase)
