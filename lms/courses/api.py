"""API: courses with their modules, and trainer accreditation."""

import marshmallow as ma
from flask_login import current_user
from flask_smorest import Blueprint

from lms.api.common import ErrorSchema, PageArgs, page_of, paginate
from lms.core.permissions import require
from lms.courses import services
from lms.extensions import db

blp = Blueprint("courses_api", __name__, description="Courses and accreditation")


class ModuleSchema(ma.Schema):
    id = ma.fields.Integer(allow_none=True, metadata={"description": "Keep this existing module."})
    position = ma.fields.Integer(dump_only=True)
    title = ma.fields.String(required=True)
    title_en = ma.fields.String(load_default="")
    hours = ma.fields.Float(required=True)


class CourseSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    code = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    title_en = ma.fields.String()
    description = ma.fields.String()
    description_en = ma.fields.String()
    audience = ma.fields.String()
    audience_en = ma.fields.String()
    days = ma.fields.Integer(required=True)
    is_tot = ma.fields.Boolean()
    accredits_course_ids = ma.fields.List(
        ma.fields.Integer(), metadata={"description": "ToT courses: the courses its graduates may deliver."}
    )
    modules = ma.fields.List(
        ma.fields.Nested(ModuleSchema),
        required=True,
        metadata={"description": "In order. On PATCH the list replaces the course's modules."},
    )
    min_attendance_percent = ma.fields.Integer()
    pass_mark_percent = ma.fields.Integer()
    certificate_text = ma.fields.String()
    certificate_text_en = ma.fields.String()
    active = ma.fields.Boolean()
    total_hours = ma.fields.Float(dump_only=True)

    @ma.post_dump(pass_original=True)
    def _accredited_ids(self, data, original, **kwargs):
        data["accredits_course_ids"] = [course.id for course in original.accredits]
        return data


class CoursePatchSchema(CourseSchema):
    """Any of the course's fields; ``modules``, when given, replaces the list."""


class CourseQuery(PageArgs):
    is_tot = ma.fields.Boolean()
    active = ma.fields.Boolean()
    q = ma.fields.String(load_default="")


class AccreditationSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    user_id = ma.fields.Integer(required=True)
    course_id = ma.fields.Integer(required=True)
    source = ma.fields.String(
        dump_only=True, metadata={"description": "`admin`, or the trainer certificate that granted it."}
    )
    certificate_id = ma.fields.Integer(dump_only=True, allow_none=True)
    source_cohort_id = ma.fields.Integer(dump_only=True, allow_none=True)
    granted_on = ma.fields.Date(load_default=None)
    granted_by_id = ma.fields.Integer(dump_only=True, allow_none=True)
    note = ma.fields.String(load_default="")
    active = ma.fields.Boolean(dump_only=True, attribute="is_active")
    revoked_at = ma.fields.DateTime(dump_only=True, allow_none=True)
    revoked_reason = ma.fields.String(dump_only=True, allow_none=True)


class AccreditationQuery(PageArgs):
    user_id = ma.fields.Integer()
    course_id = ma.fields.Integer()
    active = ma.fields.Boolean()
    q = ma.fields.String(load_default="")


class RevokeSchema(ma.Schema):
    reason = ma.fields.String(required=True)


@blp.route("/courses", methods=["GET"])
@blp.arguments(CourseQuery, location="query")
@blp.response(200, page_of(CourseSchema))
def list_courses(args):
    """The course catalogue (everyone signed in)."""
    require(current_user, "course.view")
    query = services.list_courses(q=args["q"], is_tot=args.get("is_tot"), active=args.get("active"))
    return paginate(query, args)


@blp.route("/courses", methods=["POST"])
@blp.alt_response(409, schema=ErrorSchema, description="Another course already uses this code")
@blp.arguments(CourseSchema)
@blp.response(201, CourseSchema)
def create_course(data):
    """Add a course with its modules (admins)."""
    course = services.create_course(by=current_user, **data)
    db.session.commit()
    return services.get_course(course.id)


@blp.route("/courses/<int:course_id>", methods=["GET"])
@blp.response(200, CourseSchema)
def get_course(course_id: int):
    course = services.get_course(course_id)
    require(current_user, "course.view", course)
    return course


@blp.route("/courses/<int:course_id>", methods=["PATCH"])
@blp.alt_response(
    409,
    schema=ErrorSchema,
    description="Another course uses this code, or sessions use a module being removed",
)
@blp.arguments(CoursePatchSchema(partial=True))
@blp.response(200, CourseSchema)
def update_course(data, course_id: int):
    """Change a course (admins). Modules still used by training sessions cannot be removed (409)."""
    course = services.get_course(course_id)
    services.update_course(course, by=current_user, **data)
    db.session.commit()
    return services.get_course(course.id)


@blp.route("/cascade/accreditations", methods=["GET"])
@blp.arguments(AccreditationQuery, location="query")
@blp.response(200, page_of(AccreditationSchema))
def list_accreditations(args):
    """Who may deliver which course: admins and coordinators see all, a trainer her own."""
    query = services.list_accreditations(
        current_user,
        course_id=args.get("course_id"),
        user_id=args.get("user_id"),
        q=args["q"],
        active=args.get("active"),
    )
    return paginate(query, args)


@blp.route("/cascade/accreditations", methods=["POST"])
@blp.alt_response(409, schema=ErrorSchema, description="The person is already accredited for the course")
@blp.arguments(AccreditationSchema)
@blp.response(201, AccreditationSchema)
def grant_accreditation(data):
    """Accredit a master trainer (admins; generation 0). Adds the trainer role if missing."""
    accreditation = services.grant_accreditation(by=current_user, **data)
    db.session.commit()
    return services.get_accreditation(accreditation.id)


@blp.route("/cascade/accreditations/<int:accreditation_id>", methods=["GET"])
@blp.response(200, AccreditationSchema)
def get_accreditation(accreditation_id: int):
    return services.get_accreditation(accreditation_id, by=current_user)


@blp.route("/cascade/accreditations/<int:accreditation_id>/revoke", methods=["POST"])
@blp.alt_response(409, schema=ErrorSchema, description="The accreditation is already revoked")
@blp.arguments(RevokeSchema)
@blp.response(200, AccreditationSchema)
def revoke_accreditation(data, accreditation_id: int):
    """Revoke an accreditation with a reason (admins)."""
    accreditation = services.get_accreditation(accreditation_id, by=current_user)
    services.revoke_accreditation(accreditation, by=current_user, reason=data["reason"])
    db.session.commit()
    return services.get_accreditation(accreditation.id)
