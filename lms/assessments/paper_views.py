"""Pages for paper answers uploaded as a file: the template to fill in, the upload, the check
(a job) with every problem row, and the saving job with what it saved."""

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField

from lms.assessments import delivery, paper, paper_files, paper_upload
from lms.assessments.lookup import cohort_for
from lms.assessments.models import TEST_FORMS
from lms.cohorts.attendance import roster
from lms.core.errors import NotFound
from lms.core.forms import run_form
from lms.core.job_pages import job_page

bp = Blueprint("paper_upload", __name__, url_prefix="/cohorts", template_folder="templates")
BASE = "/<int:cohort_id>/tests/<phase>/paper"
TEMPLATE_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class AnswersUploadForm(FlaskForm):
    sheet_form = SelectField(_l("Form"), choices=list(TEST_FORMS))
    file = FileField(
        _l("File of answers (CSV or XLSX)"), validators=[FileRequired(_l("Choose the file to upload."))]
    )


class SaveAnswersForm(FlaskForm):
    skip_invalid = BooleanField(_l("Skip the rows with problems and save the others"))


def _cohort_and_test(cohort_id: int, phase: str):
    cohort = cohort_for(cohort_id, by=current_user, action="scores.enter")
    return cohort, delivery.test_of(cohort, delivery.check_phase(phase))


def _chosen_form(test) -> str:
    """The form asked for (``?form=``), else the test's, as the grid chooses it."""
    return request.values.get("form") if request.values.get("form") in TEST_FORMS else test.form


@bp.get(BASE + "/template.<fmt>")
def template(cohort_id: int, phase: str, fmt: str):
    """The file to fill in: the cohort's participants, and the form's item numbers (or a
    percent column with ``?totals=1``)."""
    if fmt not in TEMPLATE_TYPES:
        raise NotFound()
    cohort, test = _cohort_and_test(cohort_id, phase)
    form = _chosen_form(test)
    items = len(paper.grid_columns(cohort, form))
    totals = request.args.get("totals") == "1"
    make = paper_files.template_xlsx if fmt == "xlsx" else paper_files.template_csv
    name = f"cohort-{cohort.id}-{phase}-{'percent' if totals else 'form-' + form}.{fmt}"
    return Response(
        make(roster(cohort), items, totals=totals),
        mimetype=TEMPLATE_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.route(BASE + "/upload", methods=["GET", "POST"])
def upload(cohort_id: int, phase: str):
    cohort, test = _cohort_and_test(cohort_id, phase)
    form = AnswersUploadForm(sheet_form=_chosen_form(test))
    token, status = run_form(
        form,
        lambda: paper_upload.receive_answers(
            cohort,
            phase,
            form.sheet_form.data,
            form.file.data.stream,
            form.file.data.filename,
            by=current_user,
        )[0],
    )
    if token is not None:
        return redirect(url_for(".preview", cohort_id=cohort.id, phase=phase, token=token))
    chosen = form.sheet_form.data if form.sheet_form.data in TEST_FORMS else test.form
    return render_template(
        "assessments/paper_upload.html",
        cohort=cohort,
        test=test,
        form=form,
        chosen=chosen,
        items=len(paper.grid_columns(cohort, chosen)),
        max_mb=paper_upload.PAPERS.max_bytes() // (1024 * 1024),
    ), status


@bp.route(BASE + "/upload/<token>", methods=["GET", "POST"])
def preview(cohort_id: int, phase: str, token: str):
    cohort, test = _cohort_and_test(cohort_id, phase)
    started = paper_upload.saving_job_for(cohort, token)
    if started is not None:  # saved already (a second click, or the back button): show the job
        return redirect(url_for(".saving", cohort_id=cohort.id, phase=phase, job_id=started.id))
    upload = paper_upload.load_upload(cohort, phase, token, by=current_user)
    if upload["preview"] is None:
        job = paper_upload.upload_job(
            cohort, phase, upload["job_id"], by=current_user, kind=paper_upload.CHECK_KIND
        )
        return job_page("assessments/paper_checking.html", job, cohort=cohort, test=test, upload=upload)
    form = SaveAnswersForm()
    job, status = run_form(
        form,
        lambda: paper_upload.start_saving(
            cohort, phase, token, by=current_user, skip_invalid=form.skip_invalid.data
        ),
    )
    if job is not None:
        return redirect(url_for(".saving", cohort_id=cohort.id, phase=phase, job_id=job.id))
    return render_template(
        "assessments/paper_preview.html",
        cohort=cohort,
        test=test,
        upload=upload,
        preview=upload["preview"],
        form=form,
        describe=paper_upload.describe,
    ), status


@bp.get(BASE + "/jobs/<int:job_id>")
def saving(cohort_id: int, phase: str, job_id: int):
    cohort, test = _cohort_and_test(cohort_id, phase)
    job = paper_upload.upload_job(cohort, phase, job_id, by=current_user, kind=paper_upload.IMPORT_KIND)
    return job_page(
        "assessments/paper_saving.html",
        job,
        cohort=cohort,
        test=test,
        running=job.status in ("queued", "running"),
        describe=paper_upload.describe,
    )
