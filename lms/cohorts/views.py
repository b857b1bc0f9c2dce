"""Pages: the list of trainings, a training's page, planning, sessions, status and the calendar.

``feeds`` serves the private iCal feed at /calendar/<token>.ics: public, the token is the key.
"""

from datetime import date, time, timedelta

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import contains_eager, selectinload

from lms.accounts.models import User, UserRole
from lms.cohorts import calendar as calendars
from lms.cohorts import (
    lookup,
    services,
)
from lms.cohorts.calendar import VIEWS, calendar_weeks, period
from lms.cohorts.forms import NO_COMMUNITY, CancelForm, CohortForm, SessionForm
from lms.cohorts.models import COHORT_STATUSES, Cohort
from lms.core.collation import by_name
from lms.core.errors import Conflict, DomainError, NotFound, ValidationError
from lms.core.forms import show_error_on_form
from lms.core.i18n import local_today
from lms.core.page_cache import cached_page
from lms.core.permissions import can, permission_required, public, require
from lms.courses.models import Course
from lms.extensions import db
from lms.org import services as org
from lms.org.models import Community, District

bp = Blueprint("cohorts", __name__, url_prefix="/cohorts", template_folder="templates")
feeds = Blueprint("calendar_feed", __name__)


def _is_staff() -> bool:
    return current_user.has_role("admin", "coordinator", "trainer")


def _date_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


@bp.get("/")
@permission_required("cohort.list")
@cached_page
def index():
    filters = {
        "status": request.args.get("status") if request.args.get("status") in COHORT_STATUSES else None,
        "course_id": request.args.get("course_id", type=int),
        "region_id": request.args.get("region_id", type=int),
        "district_id": request.args.get("district_id", type=int),
        "date_from": _date_arg("from"),
        "date_to": _date_arg("to"),
        "q": request.args.get("q", "").strip(),
    }
    page = db.paginate(services.cohort_query(current_user, **filters), per_page=25, error_out=False)
    return render_template(
        "cohorts/index.html",
        page=page,
        filters=filters,
        filtered=any(filters.values()),
        enrolled={cohort.id: cohort.enrolled_count for cohort in page.items},
        staff=_is_staff(),
        courses=db.session.scalars(
            select(Course).order_by(by_name(Course.title, Course.title_en), Course.code)
        ).all(),
        regions=db.session.scalars(org.scoped_regions(current_user)).all()
        if current_user.has_role("admin", "coordinator")
        else [],
        districts=db.session.scalars(org.scoped_districts(current_user, filters["region_id"])).all()
        if current_user.has_role("admin", "coordinator")
        else [],
        status_labels=services.STATUS_LABELS,
    )


@bp.get("/<int:cohort_id>")
@cached_page
def detail(cohort_id: int):
    cohort = lookup.get_cohort(cohort_id, by=current_user, load=lookup.PAGE)
    require(current_user, "cohort.view", cohort)
    return render_template(
        "cohorts/detail.html",
        cohort=cohort,
        enrolled=cohort.enrolled_count,
        manage=can(current_user, "cohort.manage", cohort) and cohort.status not in services.FINAL_STATUSES,
        next_statuses=services.allowed_statuses(cohort, current_user),
        cancel_form=CancelForm(),
        status_labels=services.STATUS_LABELS,
    )


@bp.route("/new", methods=["GET", "POST"])
@permission_required("cohort.create")
def plan():
    form = CohortForm()
    if request.method == "GET":
        _plan_defaults(form)
    _fill_choices(form)
    if form.is_submitted() and (
        "propose" in request.form or "add_row" in request.form or "refresh" in request.form
    ):
        _rework_sessions(form)
    elif form.validate_on_submit():
        try:
            cohort = services.create_cohort(
                by=current_user, sessions=form.session_values(), **form.cohort_values()
            )
        except DomainError as error:
            show_error_on_form(form, error)
        else:
            db.session.commit()
            flash(
                _("The training is planned as a draft. Schedule it when the sessions are final."), "success"
            )
            return redirect(url_for(".detail", cohort_id=cohort.id))
    return render_template("cohorts/plan.html", form=form)


def _plan_defaults(form: CohortForm) -> None:
    courses = _courses()
    form.course_id.data = request.args.get("course_id", type=int) or (courses[0].id if courses else None)
    if current_user.has_role("trainer") and not current_user.has_role("admin", "coordinator"):
        form.lead_trainer_id.data = current_user.id
    form.capacity.data = 25


def _courses(include: Course | None = None) -> list[Course]:
    query = select(Course).where(Course.active.is_(True)).options(selectinload(Course.modules))
    courses = db.session.scalars(query.order_by(by_name(Course.title, Course.title_en), Course.code)).all()
    if include is not None and include not in courses:
        courses = [include, *courses]
    return list(courses)


def _fill_choices(form: CohortForm, cohort: Cohort | None = None) -> None:
    """Choices that depend on who plans and on the chosen course, day and district."""
    courses = _courses(cohort.course if cohort else None)
    form.course_id.choices = [(c.id, f"{c.display_title} ({c.code})") for c in courses]
    course = next((c for c in courses if c.id == form.course_id.data), courses[0] if courses else None)
    leads = services.accredited_trainers(course.id, form.start_date.data) if course else []
    if not current_user.has_role("admin", "coordinator"):
        leads = [user for user in leads if user.id in {current_user.id, cohort and cohort.lead_trainer_id}]
    if cohort is not None and cohort.lead_trainer not in leads:
        leads.insert(0, cohort.lead_trainer)
    form.lead_trainer_id.choices = [(user.id, user.sort_name) for user in leads]
    form.co_trainer_ids.choices = [(user.id, user.sort_name) for user in _trainers()]
    districts = db.session.scalars(org.scoped_districts(current_user, home_first=True)).all()
    if cohort is not None and cohort.district not in districts:
        districts.insert(0, cohort.district)
    form.district_id.choices = _grouped(districts, lambda d: d.region.display_name, lambda d: d.display_name)
    communities = db.session.scalars(
        select(Community)
        .where(Community.district_id.in_([d.id for d in districts]))
        .join(District)
        .options(contains_eager(Community.district))
        .order_by(by_name(District.name, District.name_en), by_name(Community.name, Community.name_en))
    ).all()
    form.community_id.choices = [(NO_COMMUNITY, "—", {})] + [
        (c.id, f"{c.display_name} ({c.district.display_name})", {"data-district": c.district_id})
        for c in communities
    ]
    modules = [
        (m.id, f"{m.position}. {m.display_title} · {m.hours:g} h") for m in (course.modules if course else [])
    ]
    for row in form.sessions:
        row.module_ids.choices = modules


def _grouped(items, group_of, label_of) -> dict[str, list[tuple[int, str]]]:
    groups: dict[str, list[tuple[int, str]]] = {}
    for item in items:
        groups.setdefault(group_of(item), []).append((item.id, label_of(item)))
    return groups


def _trainers() -> list[User]:
    return db.session.scalars(
        select(User)
        .where(User.active.is_(True), User.id.in_(select(UserRole.user_id).where(UserRole.role == "trainer")))
        .order_by(by_name(User.sort_name))
    ).all()


def _rework_sessions(form: CohortForm) -> None:
    """Propose sessions from the course's days, or add an empty row, without saving anything."""
    query = (
        select(Course).where(Course.id == (form.course_id.data or 0)).options(selectinload(Course.modules))
    )
    course = db.session.scalars(query).one_or_none()
    if "propose" in request.form:
        if course is None or form.start_date.data is None:
            form.start_date.errors = [
                _("Choose the course and the first day; the sessions follow from them.")
            ]
            return
        while form.sessions.entries:
            form.sessions.pop_entry()
        for slot in services.propose_sessions(course, form.start_date.data):
            form.sessions.append_entry(
                {
                    "date": slot.date,
                    "starts_at": slot.starts_at,
                    "ends_at": slot.ends_at,
                    "module_ids": slot.module_ids,
                }
            )
        form.end_date.data = form.start_date.data + timedelta(days=course.days - 1)
        form.end_date.raw_data = None  # show the computed day, not the empty one posted
    elif "add_row" in request.form:
        rows = form.session_values()
        day = rows[-1]["date"] + timedelta(days=1) if rows and rows[-1]["date"] else form.start_date.data
        form.sessions.append_entry({"date": day, "starts_at": time(9), "ends_at": time(17)})
    _fill_choices(form)


@bp.route("/<int:cohort_id>/edit", methods=["GET", "POST"])
def edit(cohort_id: int):
    cohort = lookup.get_cohort(cohort_id, by=current_user)
    require(current_user, "cohort.manage", cohort)
    form = CohortForm(data=_form_data(cohort) if request.method == "GET" else None)
    _fill_choices(form, cohort)
    may_change_team = can(current_user, "cohort.change_team", cohort)
    # "refresh": the course or the first day changed, so show the trainers who fit, save nothing.
    if "refresh" not in request.form and form.validate_on_submit():
        values = form.cohort_values()
        if not may_change_team:  # the page shows the team read-only: keep it as it is
            values["lead_trainer_id"] = cohort.lead_trainer_id
            values["co_trainer_ids"] = [user.id for user in cohort.co_trainers]
        try:
            services.update_cohort(cohort, by=current_user, **values)
        except DomainError as error:
            show_error_on_form(form, error)
        else:
            db.session.commit()
            flash(_("The training is saved."), "success")
            return redirect(url_for(".detail", cohort_id=cohort.id))
    return render_template("cohorts/edit.html", form=form, cohort=cohort, may_change_team=may_change_team)


def _form_data(cohort: Cohort) -> dict:
    return {
        "course_id": cohort.course_id,
        "lead_trainer_id": cohort.lead_trainer_id,
        "co_trainer_ids": [user.id for user in cohort.co_trainers],
        "district_id": cohort.district_id,
        "community_id": cohort.community_id or NO_COMMUNITY,
        "venue": cohort.venue,
        "start_date": cohort.start_date,
        "end_date": cohort.end_date,
        "capacity": cohort.capacity,
        "notes": cohort.notes,
    }


@bp.post("/<int:cohort_id>/status")
def change_status(cohort_id: int):
    cohort = lookup.get_cohort(cohort_id, by=current_user)
    require(current_user, "cohort.change_status", cohort)
    status = request.form.get("status", "")
    try:
        services.change_status(cohort, status, by=current_user, reason=request.form.get("cancelled_reason"))
    except (Conflict, ValidationError) as error:
        flash(str(error.message), "danger")
    else:
        db.session.commit()
        flash(_("The training is now “%(status)s”.", status=services.STATUS_LABELS[status]), "success")
    return redirect(url_for(".detail", cohort_id=cohort_id))


@bp.route("/<int:cohort_id>/sessions/new", methods=["GET", "POST"])
@bp.route("/<int:cohort_id>/sessions/<int:session_id>", methods=["GET", "POST"])
def session_form(cohort_id: int, session_id: int | None = None):
    cohort = lookup.get_cohort(cohort_id, by=current_user)
    session = _session_of(cohort, session_id)
    require(current_user, "cohort.manage", cohort)
    form = SessionForm(data=_session_data(cohort, session) if request.method == "GET" else None)
    form.module_ids.choices = [
        (m.id, f"{m.position}. {m.display_title} · {m.hours:g} h") for m in cohort.course.modules
    ]
    if form.validate_on_submit():
        try:
            if session is None:
                services.add_session(cohort, by=current_user, **form.values())
            else:
                services.update_session(session, by=current_user, **form.values())
        except DomainError as error:
            show_error_on_form(form, error)
        else:
            db.session.commit()
            flash(_("The session is saved."), "success")
            return redirect(url_for(".detail", cohort_id=cohort.id, _anchor="sessions"))
    return render_template("cohorts/session_form.html", form=form, cohort=cohort, session=session)


def _session_of(cohort: Cohort, session_id: int | None):
    if session_id is None:
        return None
    session = lookup.get_session(session_id)
    if session.cohort_id != cohort.id:
        raise NotFound(_("No such session."))
    return session


def _session_data(cohort: Cohort, session) -> dict:
    if session is not None:
        return {
            "date": session.date,
            "starts_at": session.starts_at,
            "ends_at": session.ends_at,
            "module_ids": [m.id for m in session.modules],
            "venue": session.venue,
        }
    taken = {s.date for s in cohort.sessions}
    free = next(
        (
            cohort.start_date + timedelta(days=n)
            for n in range((cohort.end_date - cohort.start_date).days + 1)
            if cohort.start_date + timedelta(days=n) not in taken
        ),
        cohort.start_date,
    )
    return {"date": free, "starts_at": time(9), "ends_at": time(17)}


@bp.post("/<int:cohort_id>/sessions/<int:session_id>/delete")
def delete_session(cohort_id: int, session_id: int):
    cohort = lookup.get_cohort(cohort_id, by=current_user)
    session = _session_of(cohort, session_id)
    try:
        services.delete_session(session, by=current_user)
    except Conflict as error:
        flash(str(error.message), "danger")
    else:
        db.session.commit()
        flash(_("The session is deleted."), "success")
    return redirect(url_for(".detail", cohort_id=cohort_id, _anchor="sessions"))


@bp.get("/calendar")
@permission_required("cohort.list")
def calendar():
    view = request.args.get("view") if request.args.get("view") in VIEWS else "month"
    today = local_today()
    shown = period(view, _date_arg("date") or today)
    oversees = current_user.has_role("admin", "coordinator")
    region_id = request.args.get("region_id", type=int) if oversees else None
    sessions = calendars.calendar_sessions(
        current_user, shown.grid_start, shown.grid_end, region_id=region_id
    )
    token = current_user.calendar_token
    weeks = calendar_weeks(shown, sessions)
    return render_template(
        "cohorts/calendar.html",
        shown=shown,
        weeks=weeks,
        busy_days=[day for week in weeks for day in week if day.in_period and day.sessions],
        region_id=region_id,
        regions=db.session.scalars(org.scoped_regions(current_user)).all() if oversees else [],
        feed_url=url_for("calendar_feed.feed", token=token, _external=True) if token else None,
        today=today,
    )


@bp.post("/calendar/feed")
@permission_required("cohort.list")
def rotate_feed():
    had_one = current_user.calendar_token is not None
    calendars.rotate_calendar_token(current_user, by=current_user)
    db.session.commit()
    if had_one:
        flash(_("Your calendar has a new address. Subscriptions to the old one no longer update."), "success")
    else:
        flash(_("Your calendar address is ready. Add it to your calendar app."), "success")
    return redirect(url_for(".calendar", _anchor="feed"))


@feeds.get("/calendar/<token>.ics")
@public
def feed(token: str):
    """A person's sessions as an iCalendar feed for calendar apps; the token is the only key."""
    body = calendars.private_feed(token)
    return Response(
        body,
        mimetype="text/calendar",
        headers={
            "Content-Disposition": 'inline; filename="cascade-lms.ics"',
            "Cache-Control": "private, max-age=300",
        },
    )
