"""API: the signed-in person's own trainings, as her home page shows them."""

import marshmallow as ma
from flask_login import current_user
from flask_smorest import Blueprint

from lms.api.common import PageArgs
from lms.me import services

blp = Blueprint("me_api", __name__, description="The signed-in person's own trainings")


class MyCertificateSchema(ma.Schema):
    serial = ma.fields.String()
    status = ma.fields.String(metadata={"enum": ["valid", "revoked"]})
    verification_url = ma.fields.String()


class MyTrainingSchema(ma.Schema):
    enrollment_id = ma.fields.Function(lambda t: t.enrollment.id)
    cohort_id = ma.fields.Function(lambda t: t.cohort.id)
    course_id = ma.fields.Function(lambda t: t.cohort.course_id)
    course_code = ma.fields.Function(lambda t: t.cohort.course.code)
    course_title = ma.fields.Function(lambda t: t.cohort.course.display_title)
    start_date = ma.fields.Function(lambda t: t.cohort.start_date.isoformat())
    end_date = ma.fields.Function(lambda t: t.cohort.end_date.isoformat())
    district = ma.fields.Function(lambda t: t.cohort.district.display_name)
    region = ma.fields.Function(lambda t: t.cohort.district.region.display_name)
    enrollment_status = ma.fields.Function(
        lambda t: t.enrollment.status, metadata={"enum": ["enrolled", "waitlisted", "withdrawn"]}
    )
    status = ma.fields.String(
        metadata={
            "enum": list(services.TRAINING_STATUSES),
            "description": "Withdrawn or waitlisted as her enrolment says; else the training's state.",
        }
    )
    attendance_percent = ma.fields.Float(
        allow_none=True, metadata={"description": "Share of session time attended; null on the waitlist."}
    )
    results_released = ma.fields.Boolean(
        metadata={"description": "At least one of her test results is released by the trainer."}
    )
    pre = ma.fields.Float(
        allow_none=True,
        metadata={"description": "Her pre-test percent; null until its results are released."},
    )
    post = ma.fields.Float(
        allow_none=True,
        metadata={"description": "Her post-test percent; null until its results are released."},
    )
    tests_to_take = ma.fields.Function(
        lambda t: [test.phase for test in t.tests_to_take],
        metadata={"description": "Phases (pre, post) open for her now and not yet submitted."},
    )
    certificate = ma.fields.Nested(MyCertificateSchema, allow_none=True)


class MyTrainingPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(MyTrainingSchema))
    total = ma.fields.Integer()
    page = ma.fields.Integer()
    per_page = ma.fields.Integer()


@blp.route("/me/trainings", methods=["GET"])
@blp.arguments(PageArgs, location="query")
@blp.response(200, MyTrainingPageSchema)
def my_trainings(args):
    """Your own enrolments, newest training first: status, attendance, released results, certificate."""
    trainings = services.my_trainings(current_user, page=args["page"], per_page=args["per_page"])
    return {
        "items": trainings.items,
        "total": trainings.pagination.total,
        "page": trainings.pagination.page,
        "per_page": trainings.pagination.per_page,
    }
