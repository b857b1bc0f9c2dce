"""Admin pages for regions, districts, communities and institutions (coordinators: their regions)."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from lms.core.errors import DomainError
from lms.core.forms import show_error_on_form
from lms.core.permissions import permission_required, require
from lms.extensions import db
from lms.org import (
    services,
)
from lms.org.forms import (
    COMMUNITY_KIND_LABELS,
    INSTITUTION_TYPE_LABELS,
    CommunityForm,
    DistrictForm,
    InstitutionForm,
    RegionForm,
)
from lms.org.models import District, Institution, Region

bp = Blueprint("org", __name__, url_prefix="/admin/geography", template_folder="templates")


def _district_choices() -> list[tuple[int, str]]:
    return [
        (d.id, f"{d.display_name} — {d.region.display_name}")
        for d in db.session.scalars(services.scoped_districts(current_user))
    ]


@bp.route("/", methods=["GET", "POST"])
@permission_required("geography.admin")
def regions():
    form = RegionForm()
    if form.validate_on_submit():
        try:
            region = services.create_region(
                by=current_user,
                code=form.code.data,
                name=form.name.data,
                name_en=form.name_en.data,
                kind=form.kind.data,
            )
        except DomainError as error:
            show_error_on_form(form, error)
        else:
            db.session.commit()
            flash(_("Region %(name)s is added.", name=region.name), "success")
            return redirect(url_for(".region", region_id=region.id))
    return render_template("org/regions.html", overview=services.region_overview(current_user), form=form)


@bp.route("/regions/<int:region_id>", methods=["GET", "POST"])
@permission_required("geography.admin")
def region(region_id: int):
    # Joined, not selectin: after adding a district the region is refreshed with these options.
    region = services.get(Region, region_id, joinedload(Region.districts).joinedload(District.communities))
    require(current_user, "region.view", region)
    form = DistrictForm()
    if form.validate_on_submit():
        try:
            district = services.create_district(
                by=current_user, region_id=region.id, name=form.name.data, name_en=form.name_en.data
            )
        except DomainError as error:
            show_error_on_form(form, error)
        else:
            db.session.commit()
            flash(_("District %(name)s is added.", name=district.name), "success")
            return redirect(url_for(".region", region_id=region.id))
    return render_template("org/region.html", region=region, form=form)


@bp.route("/districts/<int:district_id>", methods=["GET", "POST"])
@permission_required("geography.admin")
def district(district_id: int):
    district = services.get(
        District, district_id, joinedload(District.region), joinedload(District.communities)
    )
    require(current_user, "region.view", district)
    form = CommunityForm()
    if form.validate_on_submit():
        try:
            community = services.create_community(
                by=current_user,
                district_id=district.id,
                name=form.name.data,
                name_en=form.name_en.data,
                kind=form.kind.data,
            )
        except DomainError as error:
            show_error_on_form(form, error)
        else:
            db.session.commit()
            flash(_("Community %(name)s is added.", name=community.name), "success")
            return redirect(url_for(".district", district_id=district.id))
    institutions = db.session.scalars(
        services.scoped_institutions(current_user, district_id=district.id)
    ).all()
    return render_template(
        "org/district.html",
        district=district,
        form=form,
        institutions=institutions,
        kind_labels=COMMUNITY_KIND_LABELS,
        type_labels=INSTITUTION_TYPE_LABELS,
    )


@bp.get("/institutions")
@permission_required("geography.admin")
def institutions():
    q = request.args.get("q", "").strip()
    type_ = request.args.get("type", "")
    region_id = request.args.get("region_id", type=int)
    query = services.scoped_institutions(current_user, region_id=region_id, type=type_ or None, q=q)
    page = db.paginate(query, per_page=25, max_per_page=100, error_out=False)
    return render_template(
        "org/institutions.html",
        page=page,
        q=q,
        type=type_,
        region_id=region_id,
        regions=db.session.scalars(services.scoped_regions(current_user)).all(),
        type_labels=INSTITUTION_TYPE_LABELS,
    )


@bp.route("/institutions/new", methods=["GET", "POST"])
@bp.route("/institutions/<int:institution_id>", methods=["GET", "POST"])
@permission_required("geography.admin")
def institution_form(institution_id: int | None = None):
    institution = (
        services.get(Institution, institution_id, joinedload(Institution.district))
        if institution_id
        else None
    )
    if institution is not None:
        require(current_user, "institution.manage", institution)
    form = InstitutionForm(obj=institution)
    form.district_id.choices = _district_choices()
    if request.method == "GET" and institution is None and request.args.get("district_id", type=int):
        form.district_id.data = request.args.get("district_id", type=int)
    if form.validate_on_submit():
        values = {
            "name": form.name.data,
            "name_en": form.name_en.data,
            "type": form.type.data,
            "district_id": form.district_id.data,
        }
        try:
            if institution is None:
                institution = services.create_institution(by=current_user, **values)
            else:
                services.update_institution(institution, by=current_user, **values)
        except DomainError as error:
            show_error_on_form(form, error)
        else:
            db.session.commit()
            flash(_("%(name)s is saved.", name=institution.name), "success")
            return redirect(url_for(".institutions"))
    return render_template("org/institution_form.html", form=form, institution=institution)
