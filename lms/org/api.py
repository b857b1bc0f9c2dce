"""API: regions, districts, communities and institutions."""

import marshmallow as ma
from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy import select

from lms.api.common import ErrorSchema, PageArgs, page_of, paginate
from lms.core.collation import by_name
from lms.core.permissions import require
from lms.extensions import db
from lms.org import services
from lms.org.models import COMMUNITY_KINDS, INSTITUTION_TYPES, REGION_KINDS, Community

blp = Blueprint("org_api", __name__, description="Geography and employers")


class RegionSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    name_en = ma.fields.String(
        load_default="", metadata={"description": "Defaults to the Latin transliteration of name."}
    )
    kind = ma.fields.String(load_default="oblast", validate=ma.validate.OneOf(REGION_KINDS))


class DistrictSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    region_id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    name_en = ma.fields.String(
        load_default="", metadata={"description": "Defaults to the Latin transliteration of name."}
    )


class CommunitySchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    district_id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    name_en = ma.fields.String(
        load_default="", metadata={"description": "Defaults to the Latin transliteration of name."}
    )
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(COMMUNITY_KINDS))


class InstitutionSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    name = ma.fields.String(required=True)
    name_en = ma.fields.String(
        load_default="", metadata={"description": "Defaults to the Latin transliteration of name."}
    )
    type = ma.fields.String(required=True, validate=ma.validate.OneOf(INSTITUTION_TYPES))
    district_id = ma.fields.Integer(required=True)
    region_id = ma.fields.Integer(dump_only=True)


class DistrictQuery(PageArgs):
    region_id = ma.fields.Integer()


class CommunityQuery(PageArgs):
    district_id = ma.fields.Integer()


class InstitutionQuery(PageArgs):
    region_id = ma.fields.Integer()
    district_id = ma.fields.Integer()
    type = ma.fields.String(validate=ma.validate.OneOf(INSTITUTION_TYPES))
    q = ma.fields.String(load_default="")


@blp.route("/regions", methods=["GET"])
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_of(RegionSchema))
def list_regions(args):
    """Regions; a coordinator sees her regions, trainers and participants the whole list."""
    require(current_user, "geography.view")
    return paginate(services.scoped_regions(current_user), args)


@blp.route("/regions", methods=["POST"])
@blp.alt_response(409, schema=ErrorSchema, description="A region with this name or code already exists")
@blp.arguments(RegionSchema)
@blp.response(201, RegionSchema)
def create_region(data):
    region = services.create_region(by=current_user, **data)
    db.session.commit()
    return region


@blp.route("/districts", methods=["GET"])
@blp.arguments(DistrictQuery, location="query")
@blp.response(200, page_of(DistrictSchema))
def list_districts(args):
    require(current_user, "geography.view")
    return paginate(services.scoped_districts(current_user, args.get("region_id")), args)


@blp.route("/districts", methods=["POST"])
@blp.alt_response(409, schema=ErrorSchema, description="The region already has a district with this name")
@blp.arguments(DistrictSchema)
@blp.response(201, DistrictSchema)
def create_district(data):
    district = services.create_district(by=current_user, **data)
    db.session.commit()
    return district


@blp.route("/communities", methods=["GET"])
@blp.arguments(CommunityQuery, location="query")
@blp.response(200, page_of(CommunitySchema))
def list_communities(args):
    require(current_user, "geography.view")
    query = select(Community).order_by(by_name(Community.name, Community.name_en), Community.id)
    if args.get("district_id"):
        query = query.where(Community.district_id == args["district_id"])
    return paginate(query, args)


@blp.route("/communities", methods=["POST"])
@blp.alt_response(409, schema=ErrorSchema, description="The district already has a community with this name")
@blp.arguments(CommunitySchema)
@blp.response(201, CommunitySchema)
def create_community(data):
    community = services.create_community(by=current_user, **data)
    db.session.commit()
    return community


@blp.route("/institutions", methods=["GET"])
@blp.arguments(InstitutionQuery, location="query")
@blp.response(200, page_of(InstitutionSchema))
def list_institutions(args):
    """Institutions: a coordinator sees those in her regions."""
    require(current_user, "geography.view")
    filters = {k: args.get(k) for k in ("region_id", "district_id", "type")}
    return paginate(services.scoped_institutions(current_user, q=args["q"], **filters), args)


@blp.route("/institutions", methods=["POST"])
@blp.alt_response(
    409, schema=ErrorSchema, description="The district already has an institution with this name"
)
@blp.arguments(InstitutionSchema)
@blp.response(201, InstitutionSchema)
def create_institution(data):
    institution = services.create_institution(by=current_user, **data)
    db.session.commit()
    return services.get_institution(institution.id)
