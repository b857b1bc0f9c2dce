"""Pages: the course catalogue, course pages and forms, and trainer accreditation."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.accounts.models import User
from lms.core.errors import DomainError
from lms.core.forms import show_error_on_form
from lms.core.i18n import local_today
from lms.core.permissions import permission_required, require
from lms.courses import (
    services,
)
from lms.courses.forms import (
    CourseForm,
    GrantAccreditationForm,
    RevokeAccreditationForm,
    apply_module_action,
    blank_module_row,
    with_spare_rows,
)
from lms.courses.models import Course
from lms.extensions import db

bp = Blueprint("courses", __name__, url_prefix="/courses", template_folder="templates")

PER_PAGE = 25
YES_NO = {"yes": True, "no": False}


@bp.get("/")
@permission_required("course.view")
def index():
    q = request.args.get("q", "").strip()
    kind = request.args.get("kind", "")
    status = request.args.get("status", "active")
    query = services.list_courses(
        q=q,
        is_tot={"tot": True, "regular": False}.get(kind),
        active={"active": True, "inactive": False}.get(status),
    )
    page = db.paginate(query, per_page=PER_PAGE, max_per_page=100, error_out=False)
    return render_template("courses/index.html", page=page, q=q, kind=kind, status=status)


@bp.get("/<int:course_id>")
@permission_required("course.view")
def detail(course_id: int):
    course = services.get_course(course_id)
    require(current_user, "course.view", course)
    return render_template(
        "courses/detail.html",
        course=course,
        accredited_by=services.tot_courses_accrediting(course),
        trainer_count=services.count_accredited_trainers(course.id),
    )


@bp.route("/new", methods=["GET", "POST"])
@permission_required("course.manage")
def create():
    return _course_form(None)


@bp.route("/<int:course_id>/edit", methods=["GET", "POST"])
@permission_required("course.manage")
def edit(course_id: int):
    course = services.get_course(course_id)
    require(current_user, "course.manage", course)
    return _course_form(course)


def _course_form(course: Course | None):
    """Create or edit; the modules editor's buttons (add, remove, move) re-render the form."""
    form = CourseForm(obj=course)
    form.accredits_course_ids.choices = [
        (c.id, f"{c.code} — {c.display_title}")
        for c in services.accreditable_courses(course.id if course else None)
    ]
    status = 200
    action = request.form.get("module_action", "")
    if request.method == "GET":
        if course is not None:
            form.accredits_course_ids.data = [c.id for c in course.accredits]
            rows = [
                {"module_id": str(m.id), "title": m.title, "title_en": m.title_en, "hours": m.hours}
                for m in course.modules
            ]
        else:
            rows = [blank_module_row()]
        form.set_module_rows(with_spare_rows(rows))
    elif action:
        form.set_module_rows(with_spare_rows(apply_module_action(form.module_rows(), action), spare=1))
    elif form.validate_on_submit():
        try:
            if course is None:
                course = services.create_course(by=current_user, **form.course_values())
            else:
                services.update_course(course, by=current_user, **form.course_values())
        except DomainError as error:
            db.session.rollback()
            show_error_on_form(form, error)
            status = error.status
        else:
            db.session.commit()
            flash(_("Course %(code)s is saved.", code=course.code), "success")
            return redirect(url_for(".detail", course_id=course.id))
    else:
        status = 422
    return render_template("courses/form.html", form=form, course=course), status


@bp.post("/<int:course_id>/active")
@permission_required("course.manage")
def set_active(course_id: int):
    course = services.get_course(course_id)
    active = request.form.get("active") == "1"
    services.set_course_active(course, active, by=current_user)
    db.session.commit()
    flash(
        _("Course %(code)s is active again.", code=course.code)
        if active
        else _(
            "Course %(code)s is deactivated: it can no longer be chosen for new trainings.", code=course.code
        ),
        "info",
    )
    return redirect(url_for(".detail", course_id=course.id))


@bp.get("/accreditations")
@permission_required("accreditation.view")
def accreditations():
    q = request.args.get("q", "").strip()
    course_id = request.args.get("course_id", type=int)
    status = request.args.get("status", "active")
    query = services.list_accreditations(
        current_user,
        course_id=course_id,
        q=q,
        active={"active": True, "revoked": False}.get(status),
    )
    page = db.paginate(query, per_page=PER_PAGE, max_per_page=100, error_out=False)
    sees_everyone = current_user.has_role("admin", "coordinator")
    return render_template(
        "courses/accreditations.html",
        page=page,
        q=q,
        course_id=course_id,
        status=status,
        sees_everyone=sees_everyone,
        courses=db.session.scalars(services.list_courses()).all() if sees_everyone else [],
    )


@bp.route("/accreditations/new", methods=["GET", "POST"])
@permission_required("accreditation.grant")
def grant():
    q = request.values.get("q", "").strip()
    form = GrantAccreditationForm()
    if request.method == "GET":
        form.user_id.data = request.args.get("user_id", type=int)
        form.course_id.data = request.args.get("course_id", type=int)
    candidates = services.grant_candidates(current_user, q)
    found = len(candidates)
    if q and found == 1 and not form.user_id.data:
        form.user_id.data = candidates[0].id  # the search found her: spare a click
    chosen = db.session.get(User, form.user_id.data) if form.user_id.data else None
    if chosen is not None and chosen.active and chosen not in candidates:
        candidates.insert(0, chosen)
    form.user_id.choices = [(0, _("— choose a person —"))] + [
        (u.id, f"{u.full_name} · {u.email}") for u in candidates
    ]
    form.course_id.choices = [(0, _("— choose a course —"))] + [
        (c.id, f"{c.code} — {c.display_title}")
        for c in db.session.scalars(services.list_courses(active=True))
    ]
    status = 200
    if form.validate_on_submit():
        try:
            accreditation = services.grant_accreditation(
                by=current_user,
                user_id=form.user_id.data,
                course_id=form.course_id.data,
                granted_on=form.granted_on.data,
                note=form.note.data or "",
            )
        except DomainError as error:
            db.session.rollback()
            show_error_on_form(form, error)
            status = error.status
        else:
            db.session.commit()
            accreditation = services.get_accreditation(accreditation.id)
            flash(
                _(
                    "%(name)s is accredited to deliver %(code)s.",
                    name=accreditation.user.full_name,
                    code=accreditation.course.code,
                ),
                "success",
            )
            return redirect(url_for(".accreditations", course_id=accreditation.course_id))
    elif form.is_submitted():
        status = 422
    return render_template(
        "courses/grant.html", form=form, q=q, candidate_count=found, today=local_today()
    ), status


@bp.route("/accreditations/<int:accreditation_id>/revoke", methods=["GET", "POST"])
@permission_required("accreditation.grant")
def revoke(accreditation_id: int):
    accreditation = services.get_accreditation(accreditation_id, by=current_user)
    require(current_user, "accreditation.grant", accreditation)
    form = RevokeAccreditationForm()
    status = 200
    if form.validate_on_submit():
        try:
            services.revoke_accreditation(accreditation, by=current_user, reason=form.reason.data)
        except DomainError as error:
            db.session.rollback()
            show_error_on_form(form, error)
            status = error.status
        else:
            db.session.commit()
            flash(
                _(
                    "The accreditation of %(name)s for %(code)s is revoked.",
                    name=accreditation.user.full_name,
                    code=accreditation.course.code,
                ),
                "info",
            )
            return redirect(url_for(".accreditations", course_id=accreditation.course_id))
    elif form.is_submitted():
        status = 422
    return render_template("courses/revoke.html", form=form, accreditation=accreditation), status
