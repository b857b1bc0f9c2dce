"""Geography and institutions: what admins and coordinators may add, change and see."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload

from lms.core import audit
from lms.core.collation import by_name
from lms.core.errors import Conflict, NotFound, ValidationError
from lms.core.permissions import require
from lms.core.text import refuse_control_characters
from lms.extensions import db
from lms.org.models import (
    COMMUNITY_KINDS,
    INSTITUTION_TYPES,
    REGION_KINDS,
    Community,
    District,
    Institution,
    Region,
)
from lms.org.rules import region_scope
from lms.org.translit import transliterate


def _latin(value: str | None, name: str, max_length: int) -> str:
    """The English name as given, else the national transliteration of the Ukrainian name."""
    value = (value or "").strip()
    if len(value) > max_length:
        raise ValidationError.on("name_en", _l("At most %(n)d characters.", n=max_length))
    return value or transliterate(name)[:max_length]


def get(model, object_id: int, *options):
    """The record, loaded with ``options`` (what its page shows); NotFound when there is none."""
    query = select(model).where(model.id == object_id).options(*options)
    obj = db.session.scalars(query).unique().one_or_none()
    if obj is None:
        raise NotFound()
    return obj


def _text(value: str | None, field: str, message, max_length: int) -> str:
    value = refuse_control_characters((value or "").strip(), field)
    if not value:
        raise ValidationError.on(field, message)
    if len(value) > max_length:
        raise ValidationError.on(field, _l("At most %(n)d characters.", n=max_length))
    return value


def _save(obj, message):
    """Flush and turn a unique-constraint race into a clear conflict."""
    try:
        with db.session.begin_nested():
            db.session.add(obj)
            db.session.flush()
    except IntegrityError:
        raise Conflict(message) from None
    return obj


def _scope(user) -> set[int] | None:
    """Regions whose geography a person lists: coordinators their own; reference lists for others."""
    return region_scope(user) if user.has_role("admin", "coordinator") else None


def scoped_regions(user) -> Select:
    query = select(Region).order_by(by_name(Region.name, Region.name_en))
    scope = _scope(user)
    return query if scope is None else query.where(Region.id.in_(scope))


def home_region_ids(user) -> set[int]:
    """Where a person works: a coordinator's regions, else the region of her institution."""
    if user.has_role("coordinator") and user.region_ids:
        return set(user.region_ids)
    if user.institution_id is None:
        return set()
    region_id = db.session.scalar(
        select(District.region_id)
        .join(Institution, Institution.district_id == District.id)
        .where(Institution.id == user.institution_id)
    )
    return {region_id} if region_id is not None else set()


def scoped_districts(user, region_id: int | None = None, *, home_first: bool = False) -> Select:
    """Districts a person lists, alphabetically by region; with ``home_first`` the districts of
    her own region come first (a form's list starts where she works)."""
    home = home_region_ids(user) if home_first else set()
    query = (
        select(District)
        .join(Region)
        .options(contains_eager(District.region))
        .order_by(
            *([case((District.region_id.in_(home), 0), else_=1)] if home else []),
            by_name(Region.name, Region.name_en),
            by_name(District.name, District.name_en),
        )
    )
    scope = _scope(user)
    if scope is not None:
        query = query.where(District.region_id.in_(scope))
    if region_id:
        query = query.where(District.region_id == region_id)
    return query


def get_institution(institution_id: int) -> Institution | None:
    """An institution with its district (its region comes from there), in one statement."""
    query = (
        select(Institution).where(Institution.id == institution_id).options(joinedload(Institution.district))
    )
    return db.session.scalars(query.execution_options(populate_existing=True)).one_or_none()


def scoped_institutions(user, *, region_id=None, district_id=None, type=None, q: str = "") -> Select:
    query = (
        select(Institution)
        .join(District)
        .options(contains_eager(Institution.district))
        .order_by(by_name(Institution.name, Institution.name_en), Institution.id)
    )
    scope = _scope(user)
    if scope is not None:
        query = query.where(District.region_id.in_(scope))
    if region_id:
        query = query.where(District.region_id == region_id)
    if district_id:
        query = query.where(Institution.district_id == district_id)
    if type:
        query = query.where(Institution.type == type)
    if q:
        query = query.where(Institution.name.contains(q.strip(), autoescape=True))
    return query


def create_region(*, by, code: str, name: str, name_en: str = "", kind: str = "oblast") -> Region:
    require(by, "region.manage")
    if kind not in REGION_KINDS:
        raise ValidationError.on("kind", _l("Choose oblast, autonomous republic or city."))
    name = _text(name, "name", _l("Enter the name in Ukrainian."), 120)
    region = Region(
        code=_text(code, "code", _l("Enter the region code, e.g. UA-71."), 8).upper(),
        name=name,
        name_en=_latin(name_en, name, 120),
        kind=kind,
    )
    _save(region, _l("A region with this code or name already exists."))
    audit.record(by, "region.create", region)
    return region


def create_district(*, by, region_id: int, name: str, name_en: str = "") -> District:
    region = db.session.get(Region, region_id or 0)
    if region is None:
        raise ValidationError.on("region_id", _l("Choose a region."))
    require(by, "district.manage", region)
    name = _text(name, "name", _l("Enter the name in Ukrainian."), 120)
    district = District(region_id=region.id, name=name, name_en=_latin(name_en, name, 120))
    _save(district, _l("This region already has a district with this name."))
    audit.record(by, "district.create", district)
    return district


def create_community(*, by, district_id: int, name: str, name_en: str = "", kind: str) -> Community:
    district = db.session.get(District, district_id or 0)
    if district is None:
        raise ValidationError.on("district_id", _l("Choose a district."))
    require(by, "community.manage", district)
    if kind not in COMMUNITY_KINDS:
        raise ValidationError.on("kind", _l("Choose urban or rural."))
    name = _text(name, "name", _l("Enter the name in Ukrainian."), 160)
    community = Community(district_id=district.id, name=name, name_en=_latin(name_en, name, 160), kind=kind)
    _save(community, _l("This district already has a community with this name."))
    audit.record(by, "community.create", community)
    return community


def create_institution(*, by, name: str, type: str, district_id: int, name_en: str = "") -> Institution:
    district = db.session.get(District, district_id or 0)
    if district is None:
        raise ValidationError.on("district_id", _l("Choose a district."))
    require(by, "institution.manage", district)
    if type not in INSTITUTION_TYPES:
        raise ValidationError.on("type", _l("Choose an institution type from the list."))
    name = _text(name, "name", _l("Enter the institution's name."), 255)
    institution = Institution(
        name=name, name_en=_latin(name_en, name, 255), type=type, district_id=district.id
    )
    _save(institution, _l("This district already has an institution with this name."))
    audit.record(by, "institution.create", institution)
    return institution


def update_institution(
    institution: Institution, *, by, name: str, type: str, district_id: int, name_en: str = ""
) -> Institution:
    require(by, "institution.manage", institution)
    district = db.session.get(District, district_id or 0)
    if district is None:
        raise ValidationError.on("district_id", _l("Choose a district."))
    require(by, "institution.manage", district)
    if type not in INSTITUTION_TYPES:
        raise ValidationError.on("type", _l("Choose an institution type from the list."))
    institution.name = _text(name, "name", _l("Enter the institution's name."), 255)
    institution.name_en = _latin(name_en, institution.name, 255)
    institution.type = type
    institution.district_id = district.id
    _save(institution, _l("This district already has an institution with this name."))
    audit.record(by, "institution.update", institution)
    return institution


def region_overview(user) -> list[tuple[Region, int, int]]:
    """Regions in the user's scope with their number of districts and institutions."""
    districts = (
        select(District.region_id, func.count(District.id).label("n")).group_by(District.region_id).subquery()
    )
    institutions = (
        select(District.region_id, func.count(Institution.id).label("n"))
        .join(Institution, Institution.district_id == District.id)
        .group_by(District.region_id)
        .subquery()
    )
    query = (
        scoped_regions(user)
        .add_columns(func.coalesce(districts.c.n, 0), func.coalesce(institutions.c.n, 0))
        .outerjoin(districts, districts.c.region_id == Region.id)
        .outerjoin(institutions, institutions.c.region_id == Region.id)
    )
    return [tuple(row) for row in db.session.execute(query)]
