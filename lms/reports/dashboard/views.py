"""Pages: the dashboard (headline figures and charts), the coverage of districts, and the
dashboard on the home page of admins and coordinators."""

from datetime import date

from flask import Blueprint, render_template, request
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from lms.core.collation import by_name
from lms.core.errors import ValidationError
from lms.core.i18n import local_today
from lms.core.permissions import permission_required
from lms.courses.models import Course
from lms.extensions import db
from lms.org.models import Region
from lms.reports.dashboard import charts, figures
from lms.reports.filters import ReportFilters, filters_from_args
from lms.reports.tables import DEFINITIONS

bp = Blueprint("dashboard", __name__, url_prefix="/reports", template_folder="templates")

HOME_MONTHS = 12


def last_months(today: date, months: int = HOME_MONTHS) -> tuple[date, date]:
    """From the first day of the month ``months - 1`` months ago to today: ``months`` bars."""
    month = today.year * 12 + today.month - 1 - (months - 1)
    return date(month // 12, month % 12 + 1, 1), today


def _filters(args) -> tuple[ReportFilters, ValidationError | None]:
    """The filters asked for; the last 12 months when no period is given at all (an empty
    ``from`` and ``to`` mean all time). Bad values: the default report and the error to show;
    another region: a 403."""
    args = MultiDict(args)
    if "from" not in args and "to" not in args:
        start, end = last_months(local_today())
        args["from"], args["to"] = start.isoformat(), end.isoformat()
    try:
        return filters_from_args(args, current_user), None
    except ValidationError as error:
        start, end = last_months(local_today())
        defaults = MultiDict({"from": start.isoformat(), "to": end.isoformat()})
        return filters_from_args(defaults, current_user), error


def _choices() -> tuple[list[Region], list[Course]]:
    """Regions the viewer may choose (an admin all, a coordinator hers) and every course."""
    regions = select(Region).order_by(by_name(Region.name, Region.name_en))
    if not current_user.has_role("admin"):
        regions = regions.where(Region.id.in_(current_user.region_ids or {0}))
    courses = select(Course).order_by(Course.code)
    return db.session.scalars(regions).all(), db.session.scalars(courses).all()


def build_charts(board: figures.Dashboard) -> dict:
    """The dashboard's SVG charts, labelled in the page's language."""
    months = board.months
    month_labels = [format_date(month, "LLL").rstrip(".") for month, _n in months]
    years = [
        str(month.year) if index == 0 or month.month == 1 else "" for index, (month, _n) in enumerate(months)
    ]
    area_title = (
        _("People trained by district") if board.area_kind == "district" else _("People trained by region")
    )
    return {
        "months": charts.vertical_bars(
            list(zip(month_labels, [n for _m, n in months], strict=True)),
            sublabels=years,
            title=_("Trainings per month (by their last day)"),
            empty_text=_("No trainings in this period."),
        ),
        "areas": charts.horizontal_bars(
            [(area.name, area.people) for area in board.areas],
            title=area_title,
            empty_text=_("Nobody trained in this period."),
        ),
        "scores": charts.dumbbells(
            [(f"{row.code} · {row.title}", row.pre, row.post) for row in board.courses],
            title=_("Pre-test and post-test means by course"),
            empty_text=_("No participant has both tests in this period."),
            pre_label=_("Pre-test"),
            post_label=_("Post-test"),
        ),
        "generations": charts.stacked_bars(
            [_("Generation %(n)s", n=g.generation) for g in board.generations],
            [
                charts.Series(_("Trained by name"), [g.people for g in board.generations], charts.BLUE),
                charts.Series(_("Step-down events"), [g.headcount for g in board.generations], charts.ORANGE),
            ],
            title=_("Cascade reach by generation"),
            empty_text=_("Nobody reached by the cascade in this period."),
        ),
        "activation": charts.vertical_bars(
            [
                (_("Generation %(n)s", n=row["generation"]), round(100 * row["rate"]))
                for row in board.activation
            ],
            maximum=100,
            suffix="%",
            title=_("Activation rate by generation"),
            empty_text=_("No trainer accredited long enough ago to count."),
        ),
    }


@bp.get("/dashboard")
@permission_required("reports.view")
def index():
    filters, error = _filters(request.args)
    board = figures.dashboard(filters, current_user, local_today())
    regions, courses = _choices()
    return render_template(
        "reports/dashboard.html",
        board=board,
        charts=build_charts(board),
        filters=filters,
        error=error,
        regions=regions,
        courses=courses,
        definitions=DEFINITIONS,
    ), 422 if error else 200


@bp.get("/coverage")
@permission_required("reports.view")
def coverage():
    filters, error = _filters(request.args)
    regions, courses = _choices()
    return render_template(
        "reports/coverage.html",
        coverage=figures.coverage(filters),
        by_district=filters.region_ids is not None,
        filters=filters,
        error=error,
        regions=regions,
        courses=courses,
        definitions=DEFINITIONS,
    ), 422 if error else 200


@bp.app_template_global()
def home_dashboard() -> dict | None:
    """The dashboard of the last 12 months for the home page of an admin or a coordinator."""
    if not current_user.is_authenticated or not current_user.has_role("admin", "coordinator"):
        return None
    start, end = last_months(local_today())
    filters = filters_from_args(MultiDict({"from": start.isoformat(), "to": end.isoformat()}), current_user)
    board = figures.dashboard(filters, current_user, local_today())
    return {"board": board, "charts": build_charts(board), "filters": filters}
