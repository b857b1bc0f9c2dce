"""Pages: a course's question bank (list, add, edit) and its import and export."""

import secrets
from pathlib import Path

from flask import Blueprint, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from lms.assessments import analytics, bank, bank_files
from lms.assessments.models import QUESTION_FORMS, QUESTION_KINDS
from lms.assessments.scoring import __doc__ as scoring_rule
from lms.cohorts.models import Cohort
from lms.cohorts.rules import visible_cohorts
from lms.core.errors import NotFound, ValidationError
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


def _upload_path(token: str) -> Path:
    folder = Path(current_app.config["UPLOAD_DIR"]) / "question-banks"
    folder.mkdir(parents=True, exist_ok=True)
    if not token.isalnum():
        raise NotFound()
    return folder / f"{token}.bank"


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


@bp.route("/courses/<int:course_id>/questions/import", methods=["GET", "POST"])
def import_bank(course_id: int):
    """Upload a file and see every row's problems before anything is imported."""
    course = bank.course_for(course_id, by=current_user, action="question.manage")
    rows, token, error = None, None, None
    if request.method == "POST":
        upload = request.files.get("file")
        data = upload.stream.read(bank_files.MAX_BYTES + 1) if upload else b""
        try:
            rows = bank_files.parse_bank(data)
            bank_files.check_rows(course, rows)
        except ValidationError as problem:
            error, rows = str(problem.message), None
        else:
            token = secrets.token_hex(16)
            _upload_path(token).write_bytes(data)
    return (
        render_template("assessments/bank_import.html", course=course, rows=rows, token=token, error=error),
        422 if error else 200,
    )


@bp.post("/courses/<int:course_id>/questions/import/<token>")
def confirm_import(course_id: int, token: str):
    course = bank.course_for(course_id, by=current_user, action="question.manage")
    path = _upload_path(token)
    if not path.exists():
        raise NotFound()
    rows = bank_files.parse_bank(path.read_bytes())
    bank_files.check_rows(course, rows)
    if any(row.problems for row in rows) and request.form.get("skip_invalid") != "1":
        flash(_("Some rows have problems: correct the file, or import only the good rows."), "danger")
        return redirect(url_for("assessments.import_bank", course_id=course.id))
    created = bank_files.import_rows(course, rows, by=current_user)
    db.session.commit()
    path.unlink(missing_ok=True)
    flash(_("Questions imported: %(n)s.", n=len(created)), "success")
    return redirect(url_for("assessments.bank_page", course_id=course.id))


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
