"""Pages: the results report (figures, their definitions, the narrative) and the lists behind
each figure (people, trainings)."""

from flask import Blueprint, render_template, request
from flask_login import current_user
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from lms.core.collation import sort_key
from lms.core.errors import ValidationError
from lms.core.permissions import permission_required
from lms.courses.models import Course
from lms.extensions import db
from lms.org.models import INSTITUTION_TYPES, Region
from lms.reports import drilldown
from lms.reports.figures import results_report
from lms.reports.filters import filters_from_args
from lms.reports.narrative import narrative
from lms.reports.results_tables import generation_label, institution_type_label, summary_rows
from lms.reports.tables import DEFINITIONS

bp = Blueprint("reports", __name__, url_prefix="/reports", template_folder="templates")


def _choices():
    """The regions the viewer may choose (a coordinator: hers) and every course."""
    regions = select(Region)
    if not current_user.has_role("admin"):
        regions = regions.where(Region.id.in_(current_user.region_ids or {-1}))
    return (
        db.session.scalars(regions).all(),
        db.session.scalars(select(Course).order_by(Course.code)).all(),
    )


def _filters():
    """The filters of the request, or the viewer's whole scope and the error to show."""
    try:
        return filters_from_args(request.args, current_user), None
    except ValidationError as error:
        return filters_from_args(MultiDict(), current_user), error


def _scope(filters) -> dict[str, list[str]]:
    """The names of the regions and courses a drill-down's figures were narrowed to, in
    alphabetical order (nothing when every one counts)."""
    regions = (
        db.session.scalars(select(Region).where(Region.id.in_(filters.region_ids))).all()
        if filters.region_ids is not None
        else []
    )
    courses = (
        db.session.scalars(select(Course).where(Course.id.in_(filters.course_ids))).all()
        if filters.course_ids is not None
        else []
    )
    return {
        "regions": sorted((r.display_name for r in regions), key=sort_key),
        "courses": [f"{c.code} {c.display_title}" for c in sorted(courses, key=lambda c: c.code)],
    }


def _selected(name: str) -> set[int]:
    return {int(v) for raw in request.args.getlist(name) for v in raw.split(",") if v.strip().isdigit()}


@bp.get("/")
@permission_required("reports.view")
def index():
    filters, error = _filters()
    regions, courses = _choices()
    report = None if error else results_report(filters)
    return render_template(
        "reports/index.html",
        filters=filters,
        error=error,
        report=report,
        words=narrative(report) if report else None,
        summary=summary_rows(report) if report else [],
        definitions=DEFINITIONS,
        regions=regions,
        courses=courses,
        selected_regions=_selected("region_id"),
        selected_courses=_selected("course_id"),
        institution_type_label=institution_type_label,
        generation_label=generation_label,
        args=filters.as_args(),
    ), (422 if error else 200)


@bp.get("/people")
@permission_required("reports.view")
def people():
    filters = filters_from_args(request.args, current_user)
    wanted = drilldown.people_query_from_args(request.args)
    page = request.args.get("page", 1, type=int)
    pagination, rows, rows_total = drilldown.people_page(filters, wanted, max(page, 1))
    return render_template(
        "reports/people.html",
        filters=filters,
        wanted=wanted,
        pagination=pagination,
        rows=rows,
        rows_total=rows_total,
        args=filters.as_args(),
        definitions=DEFINITIONS,
        institution_type_label=institution_type_label,
        institution_types=INSTITUTION_TYPES,
        scope=_scope(filters),
    )


@bp.get("/cohorts")
@permission_required("reports.view")
def cohorts():
    filters = filters_from_args(request.args, current_user)
    generation = drilldown.generation_from_args(request.args)
    page = request.args.get("page", 1, type=int)
    pagination, rows = drilldown.cohorts_page(filters, max(page, 1), generation)
    return render_template(
        "reports/cohorts.html",
        filters=filters,
        generation=generation,
        pagination=pagination,
        rows=rows,
        args=filters.as_args(),
        definitions=DEFINITIONS,
        scope=_scope(filters),
    )
