"""Pages: who is in a training (the panel on the cohort page and the full list), adding people
one by one, and importing a roster file as a job with a progress page."""

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from lms.accounts import names
from lms.cohorts import enrolment, roster
from lms.cohorts.models import ENROLLMENT_STATUSES
from lms.core.errors import DomainError
from lms.core.forms import show_error_on_form
from lms.core.job_pages import job_page
from lms.core.permissions import can
from lms.extensions import db

bp = Blueprint("enrolment", __name__, url_prefix="/cohorts", template_folder="templates")

STATUS_LABELS = {
    "enrolled": _l("Enrolled"),
    "waitlisted": _l("On the waitlist"),
    "withdrawn": _l("Withdrawn"),
}
SEARCH_LIMIT = 20


class NewPersonForm(FlaskForm):
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=enrolment.NAME_MAX)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=32)])
    position = StringField(_l("Position"), validators=[Optional(), Length(max=enrolment.POSITION_MAX)])
    institution_id = SelectField(_l("Institution"), coerce=int, validators=[Optional()])


class RosterUploadForm(FlaskForm):
    file = FileField(
        _l("Roster file (CSV or XLSX)"), validators=[FileRequired(_l("Choose the file to upload."))]
    )


class RosterImportForm(FlaskForm):
    skip_invalid = BooleanField(_l("Skip the rows with problems and import the others"))
    send_invitations = BooleanField(_l("Email each person enrolled an invitation"), default=True)


@bp.app_template_global("enrolment_panel")
def enrolment_panel(cohort):
    """For the cohort page's panel (``cohorts/_enrolment_panel.html``)."""
    return enrolment.panel(cohort, by=current_user)


@bp.app_context_processor
def _labels():
    return {"enrollment_status_labels": STATUS_LABELS}


def _new_person_form(cohort, formdata=None) -> NewPersonForm:
    form = NewPersonForm(formdata=formdata)
    form.institution_id.choices = [(0, "—")] + [
        (i.id, i.name) for i in enrolment.district_institutions(cohort)
    ]
    return form


def _back_to(cohort) -> str:
    """Where a button on the cohort page or on the full list returns (``back`` says which)."""
    if request.form.get("back") == "list":
        return url_for(".index", cohort_id=cohort.id, status=request.form.get("status") or None)
    return url_for("cohorts.detail", cohort_id=cohort.id) + "#enrolment"


def _flash_enrolled(enrollment) -> None:
    name = enrollment.user.full_name
    if enrollment.status == "enrolled":
        flash(_("%(name)s is enrolled.", name=name), "success")
    else:
        position = enrolment.waitlist_position(enrollment)
        flash(
            _(
                "The training is full: %(name)s is on the waitlist, number %(n)d. "
                "A place opens when someone withdraws or the capacity grows.",
                name=name,
                n=position,
            ),
            "warning",
        )


@bp.get("/<int:cohort_id>/enrolments")
def index(cohort_id: int):
    cohort = enrolment.cohort_for(current_user, cohort_id)
    status = request.args.get("status") if request.args.get("status") in ENROLLMENT_STATUSES else None
    q = request.args.get("q", "").strip()
    page = db.paginate(enrolment.enrollments_query(cohort, status, q), per_page=25, error_out=False)
    return render_template(
        "enrolment/list.html",
        cohort=cohort,
        page=page,
        status=status,
        q=q,
        counts=enrolment.enrollment_counts(cohort),
        open=enrolment.is_open_for_enrolment(cohort),
    )


@bp.get("/<int:cohort_id>/enrolments/add")
def add(cohort_id: int):
    cohort = enrolment.cohort_for(current_user, cohort_id)
    return _add_page(cohort, _new_person_form(cohort))


def _add_page(cohort, form: NewPersonForm, status: int = 200, existing=None):
    q = request.args.get("q", "").strip()
    people, more = enrolment.people_to_enrol(cohort, q, by=current_user, limit=SEARCH_LIMIT)
    return render_template(
        "enrolment/add.html",
        cohort=cohort,
        q=q,
        people=people,
        more=more,
        min_length=enrolment.SEARCH_MIN_LENGTH,
        form=form,
        counts=enrolment.enrollment_counts(cohort),
        open=enrolment.is_open_for_enrolment(cohort),
        existing=existing,
    ), status


@bp.post("/<int:cohort_id>/enrolments")
def enrol(cohort_id: int):
    cohort = enrolment.cohort_for(current_user, cohort_id)
    try:
        enrollment = enrolment.enrol(cohort, by=current_user, user_id=request.form.get("user_id", type=int))
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "danger")
    else:
        db.session.commit()
        _flash_enrolled(enrolment.reloaded(enrollment))
    return redirect(url_for(".add", cohort_id=cohort.id, q=request.form.get("q") or None))


@bp.post("/<int:cohort_id>/enrolments/new")
def enrol_new(cohort_id: int):
    cohort = enrolment.cohort_for(current_user, cohort_id)
    form = _new_person_form(cohort, request.form)
    if not form.validate():
        return _add_page(cohort, form, 422)
    person = {name: form[name].data for name in ("full_name", "email", "phone", "position", "institution_id")}
    try:
        enrollment = enrolment.enrol(cohort, by=current_user, new_person=person)
    except DomainError as error:
        db.session.rollback()
        show_error_on_form(form, error)
        # Not a dead end: the person with this email can be enrolled from the same page.
        existing = enrolment.person_with_email(cohort, form.email.data, by=current_user)
        return _add_page(cohort, form, error.status, existing)
    db.session.commit()
    enrollment = enrolment.reloaded(enrollment)
    _flash_enrolled(enrollment)
    warning = names.one_word_warning(enrollment.user.full_name)
    if warning:
        flash(str(warning), "warning")
    return redirect(url_for(".add", cohort_id=cohort.id))


@bp.post("/<int:cohort_id>/enrolments/<int:enrollment_id>/withdraw")
def withdraw(cohort_id: int, enrollment_id: int):
    enrollment = enrolment.enrollment_for(current_user, enrollment_id, cohort_id)
    try:
        enrolment.withdraw(enrollment, by=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "danger")
    else:
        db.session.commit()
        flash(_("%(name)s is withdrawn.", name=enrollment.user.full_name), "success")
    return redirect(_back_to(enrollment.cohort))


@bp.post("/<int:cohort_id>/enrolments/<int:enrollment_id>/enrol")
def enrol_again(cohort_id: int, enrollment_id: int):
    enrollment = enrolment.enrollment_for(current_user, enrollment_id, cohort_id)
    cohort = enrollment.cohort
    try:
        enrollment = enrolment.enrol(cohort, by=current_user, user_id=enrollment.user_id)
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "danger")
    else:
        db.session.commit()
        _flash_enrolled(enrolment.reloaded(enrollment))
    return redirect(_back_to(cohort))


@bp.route("/<int:cohort_id>/roster/upload", methods=["GET", "POST"])
def roster_upload(cohort_id: int):
    cohort = enrolment.cohort_for(current_user, cohort_id)
    form = RosterUploadForm()
    status = 200
    if form.validate_on_submit():
        upload = form.file.data
        try:
            token, _job = roster.receive_roster(cohort, upload.stream, upload.filename, by=current_user)
        except DomainError as error:
            db.session.rollback()
            show_error_on_form(form, error)
            status = error.status
        else:
            db.session.commit()
            return redirect(url_for(".roster_preview", cohort_id=cohort.id, token=token))
    elif form.is_submitted():
        status = 422
    return render_template(
        "enrolment/roster_upload.html",
        cohort=cohort,
        form=form,
        open=enrolment.is_open_for_enrolment(cohort),
        max_mb=roster.uploads.max_bytes() // (1024 * 1024),
    ), status


@bp.get("/<int:cohort_id>/roster/template.csv")
def roster_template(cohort_id: int):
    enrolment.cohort_for(current_user, cohort_id)
    return Response(
        roster.template_csv(),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="roster-template.csv"'},
    )


@bp.route("/<int:cohort_id>/roster/<token>", methods=["GET", "POST"])
def roster_preview(cohort_id: int, token: str):
    cohort = enrolment.cohort_for(current_user, cohort_id)
    started = roster.job_for_upload(cohort, token)
    if started is not None:  # imported already (a second click, or the back button): show the job
        return redirect(url_for(".roster_job", cohort_id=cohort.id, job_id=started.id))
    upload = roster.load_upload(cohort, token, by=current_user)
    if upload["preview"] is None:
        return _checking_page(cohort, upload)
    form = RosterImportForm()
    status = 200
    if form.validate_on_submit():
        try:
            job = roster.start_import(
                cohort,
                token,
                by=current_user,
                skip_invalid=form.skip_invalid.data,
                send_invitations=form.send_invitations.data,
            )
        except DomainError as error:
            db.session.rollback()
            show_error_on_form(form, error)
            status = error.status
        else:
            db.session.commit()
            return redirect(url_for(".roster_job", cohort_id=cohort.id, job_id=job.id))
    return render_template(
        "enrolment/roster_preview.html",
        cohort=cohort,
        upload=upload,
        preview=upload["preview"],
        form=form,
        describe=roster.describe,
        open=enrolment.is_open_for_enrolment(cohort),
    ), status


def _checking_page(cohort, upload: dict):
    """The roster is still being checked in the worker: its progress, or why it was refused."""
    job = roster.import_job(cohort, upload["job_id"], by=current_user, kind=roster.uploads.PREVIEW_KIND)
    return job_page("enrolment/roster_checking.html", job, cohort=cohort, upload=upload)


@bp.get("/<int:cohort_id>/roster/jobs/<int:job_id>")
def roster_job(cohort_id: int, job_id: int):
    cohort = enrolment.cohort_for(current_user, cohort_id)
    job = roster.import_job(cohort, job_id, by=current_user)
    return job_page(
        "enrolment/roster_job.html",
        job,
        cohort=cohort,
        running=job.status in ("queued", "running"),
        may_retry=can(current_user, "job.retry", job),
        describe=roster.describe,
    )


@bp.post("/<int:cohort_id>/roster/jobs/<int:job_id>/retry")
def roster_job_retry(cohort_id: int, job_id: int):
    cohort = enrolment.cohort_for(current_user, cohort_id)
    try:
        roster.retry_import(cohort, job_id, by=current_user)
    except DomainError as error:
        db.session.rollback()
        if error.status in (403, 404):
            raise
        flash(str(error.message), "danger")
    else:
        db.session.commit()
    return redirect(url_for(".roster_job", cohort_id=cohort_id, job_id=job_id))
