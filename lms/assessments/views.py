"""Pages: a course's question bank (list, add, edit) and its import and export."""

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload
from wtforms import BooleanField

from lms.assessments import analytics, bank, bank_files, bank_upload
from lms.assessments.models import QUESTION_FORMS, QUESTION_KINDS
from lms.assessments.scoring import __doc__ as scoring_rule
from lms.cohorts.models import Cohort
from lms.cohorts.rules import visible_cohorts
from lms.core.errors import NotFound, ValidationError
from lms.core.forms import run_form
from lms.core.job_pages import job_page
from lms.core.permissions import can
from lms.extensions import db

bp = Blueprint("assessments", __name__, template_folder="templates")

CHOICE_ROWS = 6


def _question_input(form) -> dict:
    """The question form's fields as ``bank`` takes them."""
    choices = [
        {
            "text": form.get(f"choice-{i}", ""),
            "text_en": form.get(f"choice-{i}-en", ""),
            "correct": form.get(f"choice-{i}-correct") == "on",
        }
        for i in range(CHOICE_ROWS)
    ]
    module = form.get("module_id", "")
    return {
        "kind": form.get("kind"),
        "text": form.get("text", ""),
        "text_en": form.get("text_en", ""),
        "topic": form.get("topic", ""),
        "form": form.get("form", "both"),
        "module_id": int(module) if module.isdecimal() else None,
        "choices": [c for c in choices if c["text"].strip()],
        # True/false without written options: the second row ticked means "false" is correct.
        "answer": form.get("choice-1-correct") != "on",
    }


@bp.get("/courses/<int:course_id>/questions")
def bank_page(course_id: int):
    course = bank.course_for(course_id, by=current_user)
    form = request.args.get("form") if request.args.get("form") in ("A", "B") else None
    return render_template(
        "assessments/bank.html",
        course=course,
        questions=bank.questions_of(course, form=form),
        form_filter=form,
        manage=can(current_user, "question.manage", course),
        partial_credit_rule=scoring_rule.split("\n\n")[1],
    )


@bp.route("/courses/<int:course_id>/questions/new", methods=["GET", "POST"])
def new_question(course_id: int):
    course = bank.course_for(course_id, by=current_user, action="question.manage")
    values, errors = {"kind": "single", "form": "both", "choices": []}, {}
    if request.method == "POST":
        values = _question_input(request.form)
        try:
            bank.create_question(course, values, by=current_user)
        except ValidationError as error:
            errors = error.fields
        else:
            db.session.commit()
            flash(_("The question is added."), "success")
            return redirect(url_for("assessments.bank_page", course_id=course.id))
    return _form_page(course, None, values, errors)


@bp.route("/questions/<int:question_id>/edit", methods=["GET", "POST"])
def edit_question(question_id: int):
    question = bank.question_for(question_id, by=current_user, action="question.manage")
    values, errors = bank.as_input(question), {}
    if request.method == "POST":
        values = _question_input(request.form)
        before = question.version
        try:
            bank.update_question(question, values, by=current_user)
        except ValidationError as error:
            errors = error.fields
        else:
            db.session.commit()
            if question.version != before:
                flash(_("People had answered this question: your change is saved as a new version."), "info")
            else:
                flash(_("The question is saved."), "success")
            return redirect(url_for("assessments.bank_page", course_id=question.course_id))
    return _form_page(question.course, question, values, errors)


def _form_page(course, question, values, errors):
    status = 422 if errors else 200
    rows = list(values.get("choices") or [])
    rows += [{"text": "", "text_en": "", "correct": False}] * (CHOICE_ROWS - len(rows))
    return (
        render_template(
            "assessments/question_form.html",
            course=course,
            question=question,
            values=values,
            rows=rows[:CHOICE_ROWS],
            errors=errors,
            kinds=QUESTION_KINDS,
            forms=QUESTION_FORMS,
        ),
        status,
    )


@bp.get("/courses/<int:course_id>/questions/export.<fmt>")
def export_bank(course_id: int, fmt: str):
    course = bank.course_for(course_id, by=current_user)
    if fmt not in ("csv", "xlsx"):
        raise NotFound()
    data = bank_files.export_csv(course) if fmt == "csv" else bank_files.export_xlsx(course)
    response = make_response(data)
    response.headers["Content-Type"] = (
        "text/csv; charset=utf-8"
        if fmt == "csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response.headers["Content-Disposition"] = f'attachment; filename="{course.code}-questions.{fmt}"'
    return response


class BankUploadForm(FlaskForm):
    file = FileField(
        _l("File of questions (CSV or XLSX)"), validators=[FileRequired(_l("Choose the file to upload."))]
    )


class ImportQuestionsForm(FlaskForm):
    skip_invalid = BooleanField(_l("Skip the rows with problems and import the others"))


@bp.route("/courses/<int:course_id>/questions/import", methods=["GET", "POST"])
def import_bank(course_id: int):
    """Upload a file; a job checks it and the preview lists every row's problems."""
    course = bank.course_for(course_id, by=current_user, action="question.manage")
    form = BankUploadForm()
    token, status = run_form(
        form,
        lambda: bank_upload.receive_bank(
            course, form.file.data.stream, form.file.data.filename, by=current_user
        )[0],
    )
    if token is not None:
        return redirect(url_for(".import_preview", course_id=course.id, token=token))
    max_mb = bank_upload.BANKS.max_bytes() // (1024 * 1024)
    return render_template("assessments/bank_import.html", course=course, form=form, max_mb=max_mb), status


@bp.route("/courses/<int:course_id>/questions/import/<token>", methods=["GET", "POST"])
def import_preview(course_id: int, token: str):
    course = bank.course_for(course_id, by=current_user, action="question.manage")
    started = bank_upload.importing_job_for(course, token)
    if started is not None:  # imported already (a second click, or the back button): show the job
        return redirect(url_for(".import_job", course_id=course.id, job_id=started.id))
    upload = bank_upload.load_upload(course, token, by=current_user)
    if upload["preview"] is None:
        job = bank_upload.upload_job(course, upload["job_id"], by=current_user, kind=bank_upload.CHECK_KIND)
        return job_page("assessments/bank_checking.html", job, course=course, upload=upload)
    form = ImportQuestionsForm()
    job, status = run_form(
        form,
        lambda: bank_upload.start_import(course, token, by=current_user, skip_invalid=form.skip_invalid.data),
    )
    if job is not None:
        return redirect(url_for(".import_job", course_id=course.id, job_id=job.id))
    return render_template(
        "assessments/bank_preview.html",
        course=course,
        upload=upload,
        preview=upload["preview"],
        form=form,
        describe=bank_files.describe,
    ), status


@bp.get("/courses/<int:course_id>/questions/import/jobs/<int:job_id>")
def import_job(course_id: int, job_id: int):
    course = bank.course_for(course_id, by=current_user, action="question.manage")
    job = bank_upload.upload_job(course, job_id, by=current_user, kind=bank_upload.IMPORT_KIND)
    return job_page(
        "assessments/bank_importing.html",
        job,
        course=course,
        running=job.status in ("queued", "running"),
        describe=bank_files.describe,
    )


@bp.get("/courses/<int:course_id>/results")
def course_results_page(course_id: int):
    """A course's results across the cohorts the person may read, by cohort and by trainer."""
    course = bank.course_for(course_id, by=current_user, action="course.view")
    query = visible_cohorts(
        current_user,
        select(Cohort)
        .options(
            selectinload(Cohort.co_trainers), joinedload(Cohort.district), joinedload(Cohort.lead_trainer)
        )
        .where(Cohort.course_id == course.id, Cohort.status.in_(("in_progress", "closed")))
        .order_by(Cohort.start_date),
    )
    cohorts = [c for c in db.session.scalars(query).unique() if can(current_user, "results.view", c)]
    overall, per_cohort, per_trainer = analytics.course_results(cohorts)
    return render_template(
        "assessments/course_results.html", course=course, overall=overall, groups=(per_cohort, per_trainer)
    )
