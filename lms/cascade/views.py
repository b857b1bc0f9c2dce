"""Pages: the cascade dashboard, a trainer's place in it, and step-down events."""

from datetime import date

from flask import Blueprint, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, NumberRange, Optional

from lms.accounts.models import User
from lms.cascade import (
    charts,
    export,
    home,
    metrics,
    services,
)
from lms.cascade.models import AUDIENCES, TrainerLineage
from lms.core import audit
from lms.core.errors import DomainError
from lms.core.forms import show_error_on_form
from lms.core.i18n import local_today
from lms.core.permissions import require
from lms.extensions import db
from lms.org.models import District, Region

bp = Blueprint("cascade", __name__, url_prefix="/cascade", template_folder="templates")
PER_PAGE = 50


@bp.app_context_processor
def _home_helpers() -> dict:
    """``cascade_brief(user_id)`` for the trainer's part of the home page."""
    return {"cascade_brief": lambda user_id: home.trainer_brief(user_id, local_today())}


def _date_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


@bp.get("/")
def index():
    require(current_user, "cascade.view")
    if not current_user.has_role("admin", "coordinator"):
        return redirect(url_for(".trainer", user_id=current_user.id))
    wanted = request.args.get("region_id", type=int)
    try:
        region_id = services.summary_region(current_user, wanted)
    except DomainError:
        region_id = (
            services.summary_region(current_user, None) if not current_user.has_role("admin") else None
        )
    scope = metrics.Scope(region_id=region_id, start=_date_arg("from"), end=_date_arg("to"))
    figures = metrics.reach(scope)
    activation = metrics.activation(scope, local_today())
    dormant = db.session.scalars(
        select(User).where(User.id.in_(activation["dormant_ids"])).order_by(User.full_name).limit(100)
    ).all()
    roots = db.session.scalars(
        select(TrainerLineage)
        .where(TrainerLineage.generation == 0, TrainerLineage.user_id.in_(scope.trainers()))
        .options(joinedload(TrainerLineage.user))
    ).all()
    query = request.args.get("q", "").strip()
    found = []
    if query:
        found = db.session.scalars(
            select(TrainerLineage)
            .join(User, User.id == TrainerLineage.user_id)
            .where(
                User.search_text.contains(query.casefold(), autoescape=True),
                TrainerLineage.user_id.in_(scope.trainers()),
            )
            .options(joinedload(TrainerLineage.user))
            .limit(50)
        ).all()
    regions = db.session.scalars(
        select(Region).where(Region.id.in_(current_user.region_ids))
        if not current_user.has_role("admin")
        else select(Region)
    ).all()
    quarters = charts.activation_by_quarter(scope, local_today())
    return render_template(
        "cascade/index.html",
        activation_chart=charts.activation_svg(
            quarters, title=_("Trainers accredited and activated, by quarter"), days=metrics.activation_days()
        )
        if quarters
        else None,
        activation_legend=charts.legend(metrics.activation_days()),
        figures=figures,
        activation=activation,
        dormant=dormant,
        roots=roots,
        found=found,
        query=query,
        regions=regions,
        region_id=region_id,
        start=scope.start,
        end=scope.end,
    )


@bp.get("/trainers/<int:user_id>")
def trainer(user_id: int):
    row = services.trainer_for(user_id, by=current_user)
    figures = metrics.trainer_figures(user_id, local_today())
    return render_template(
        "cascade/trainer.html",
        row=row,
        figures=figures,
        children=metrics.children_figures(user_id),
        may_see_parent=row.parent_id is not None and services.may_see_trainer(current_user, row.parent_id),
    )


class EventForm(FlaskForm):
    date = DateField(_("Date"), validators=[DataRequired()])
    district_id = SelectField(_("District"), coerce=int, validators=[DataRequired()])
    audience = SelectField(_("Audience"), choices=[])
    headcount = IntegerField(_("People"), validators=[DataRequired(), NumberRange(min=1, max=100000)])
    headcount_female = IntegerField(
        _("Of them women and girls"), default=0, validators=[Optional(), NumberRange(min=0)]
    )
    headcount_under_18 = IntegerField(
        _("Of them under 18"), default=0, validators=[Optional(), NumberRange(min=0)]
    )
    materials_distributed = IntegerField(
        _("Materials handed out"), default=0, validators=[Optional(), NumberRange(min=0)]
    )
    note = TextAreaField(_("Note"), validators=[Optional()])
    place = StringField(_("Place"), validators=[Optional()])


@bp.route("/events", methods=["GET", "POST"])
def events():
    require(current_user, "cascade.view")
    form = EventForm()
    districts = db.session.scalars(
        select(District).join(Region).order_by(Region.name, District.name)
        if current_user.has_role("admin") or not current_user.region_ids
        else select(District).where(District.region_id.in_(current_user.region_ids)).order_by(District.name)
    ).all()
    form.district_id.choices = [(d.id, d.display_name) for d in districts]
    form.audience.choices = [(key, str(services.AUDIENCE_LABELS[key])) for key in AUDIENCES]
    if request.method == "GET" and form.date.data is None:
        form.date.data = local_today()
    status = 200
    if form.validate_on_submit():
        try:
            services.log_event(
                by=current_user,
                date=form.date.data,
                district_id=form.district_id.data,
                audience=form.audience.data,
                headcount=form.headcount.data,
                headcount_female=form.headcount_female.data or 0,
                headcount_under_18=form.headcount_under_18.data or 0,
                materials_distributed=form.materials_distributed.data or 0,
                note=form.note.data or "",
            )
        except DomainError as error:
            db.session.rollback()
            show_error_on_form(form, error)
            status = error.status
        else:
            db.session.commit()
            from flask import flash

            flash(_("The event is logged."), "success")
            return redirect(url_for(".events"))
    elif request.method == "POST":
        status = 422
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    pagination = db.paginate(
        services.events_query(current_user), page=page, per_page=PER_PAGE, error_out=False
    )
    return render_template(
        "cascade/events.html", form=form, pagination=pagination, labels=services.AUDIENCE_LABELS
    ), status


# --- the tree as CSV and as an SVG diagram --------------------------------------------------------

EXPORT_TYPES = {"csv": "text/csv; charset=utf-8", "svg": "image/svg+xml; charset=utf-8"}


def _download(scope: metrics.Scope, fmt: str, *, title: str, filename: str, subject, **details):
    nodes = export.tree(scope, local_today())
    if fmt == "csv":
        data = export.csv_bytes(nodes)
    else:
        data = ('<?xml version="1.0" encoding="UTF-8"?>\n' + str(export.svg(nodes, title=title))).encode(
            "utf-8"
        )
    audit.record(current_user, "cascade.export", subject, format=fmt, trainers=len(nodes), **details)
    db.session.commit()
    response = make_response(data)
    response.headers["Content-Type"] = EXPORT_TYPES[fmt]
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


@bp.get("/trainers/<int:user_id>/tree.<any(csv, svg):fmt>")
def trainer_tree(user_id: int, fmt: str):
    """Her subtree: whoever may open her cascade page may download it."""
    row = services.trainer_for(user_id, by=current_user)
    require(current_user, "cascade.export")
    name = row.user.full_name
    return _download(
        metrics.Scope(trainer_id=user_id),
        fmt,
        title=_("The cascade of %(name)s, %(date)s", name=name, date=local_today().isoformat()),
        filename=f"cascade-trainer-{user_id}-{local_today().isoformat()}",
        subject=row.user,
        trainer_id=user_id,
    )


@bp.get("/tree.<any(csv, svg):fmt>")
def region_tree(fmt: str):
    """A region's trainers (admins: any region or the whole programme; a coordinator: hers)."""
    require(current_user, "cascade.export")
    wanted = request.args.get("region_id", type=int)
    region_id = services.summary_region(current_user, wanted)
    region = db.session.get(Region, region_id) if region_id is not None else None
    if region_id is not None and region is None:
        from lms.core.errors import NotFound

        raise NotFound(_("No such region."))
    label = region.display_name if region else _("All regions")
    return _download(
        metrics.Scope(region_id=region_id),
        fmt,
        title=_("The cascade: %(region)s, %(date)s", region=label, date=local_today().isoformat()),
        filename=f"cascade-{region.code if region else 'all'}-{local_today().isoformat()}",
        subject=region,
        region_id=region_id,
    )
