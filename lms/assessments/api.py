"""API: the question bank, and opening and closing a cohort's pre/post tests."""

import marshmallow as ma
from flask_login import current_user
from flask_smorest import Blueprint

from lms.api.common import ErrorSchema, PageArgs, page_of, paginate
from lms.assessments import bank, delivery
from lms.assessments.lookup import cohort_for as get_cohort
from lms.assessments.models import QUESTION_FORMS, QUESTION_KINDS
from lms.extensions import db

blp = Blueprint("assessments_api", __name__, description="Question bank and pre/post tests")


class ChoiceSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    text = ma.fields.String(required=True)
    text_en = ma.fields.String(load_default="")
    correct = ma.fields.Boolean(load_default=False)


class QuestionSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    course_id = ma.fields.Integer(dump_only=True)
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(QUESTION_KINDS))
    text = ma.fields.String(required=True)
    text_en = ma.fields.String(load_default="")
    choices = ma.fields.List(
        ma.fields.Nested(ChoiceSchema),
        load_default=list,
        metadata={"description": "2–8 options; true_false may omit them and give `answer`."},
    )
    answer = ma.fields.Boolean(load_only=True, metadata={"description": "true_false without choices"})
    topic = ma.fields.String(load_default="")
    module_id = ma.fields.Integer(allow_none=True, load_default=None)
    form = ma.fields.String(load_default="both", validate=ma.validate.OneOf(QUESTION_FORMS))
    version = ma.fields.Integer(dump_only=True)
    position = ma.fields.Integer(dump_only=True)


class QuestionPatchSchema(ma.Schema):
    kind = ma.fields.String(validate=ma.validate.OneOf(QUESTION_KINDS))
    text = ma.fields.String()
    text_en = ma.fields.String()
    choices = ma.fields.List(ma.fields.Nested(ChoiceSchema))
    topic = ma.fields.String()
    module_id = ma.fields.Integer(allow_none=True)
    form = ma.fields.String(validate=ma.validate.OneOf(QUESTION_FORMS))
    active = ma.fields.Boolean(metadata={"description": "false takes the question out of the bank"})


class QuestionQuery(PageArgs):
    form = ma.fields.String(validate=ma.validate.OneOf(("A", "B")))
    topic = ma.fields.String()


def question_dict(question) -> dict:
    current = question.current
    return {
        "id": question.id,
        "course_id": question.course_id,
        "kind": current.kind,
        "text": current.text,
        "text_en": current.text_en,
        "choices": current.choices,
        "topic": question.topic,
        "module_id": question.module_id,
        "form": question.form,
        "version": question.version,
        "position": question.position,
    }


class TestSchema(ma.Schema):
    phase = ma.fields.String(metadata={"enum": ["pre", "post"]})
    status = ma.fields.String(metadata={"enum": ["not_open", "open", "closed"]})
    form = ma.fields.String(allow_none=True)
    opened_at = ma.fields.DateTime(allow_none=True)
    closes_at = ma.fields.DateTime(allow_none=True)
    time_limit_minutes = ma.fields.Integer(allow_none=True)
    room_url = ma.fields.String(allow_none=True)
    started = ma.fields.Integer()
    submitted = ma.fields.Integer()
    enrolled = ma.fields.Integer()
    results_released = ma.fields.Boolean()


class OpenTestSchema(ma.Schema):
    time_limit_minutes = ma.fields.Integer(allow_none=True, load_default=None)
    form = ma.fields.String(validate=ma.validate.OneOf(("A", "B")), load_default=None)


def test_dict(overview) -> dict:
    from lms.assessments.views_common import room_url

    test = overview.test
    return {
        "phase": overview.phase,
        "status": overview.status,
        "form": test.form if test else None,
        "opened_at": test.opened_at if test else None,
        "closes_at": test.closes_at if test else None,
        "time_limit_minutes": test.time_limit_minutes if test else None,
        "room_url": room_url(test) if test and test.status == "open" else None,
        "started": overview.started,
        "submitted": overview.submitted,
        "enrolled": overview.enrolled,
        "results_released": bool(test and test.results_released),
    }


@blp.route("/courses/<int:course_id>/questions", methods=["GET"])
@blp.arguments(QuestionQuery, location="query")
@blp.response(200, page_of(QuestionSchema))
def list_questions(args, course_id: int):
    """The course's question bank with the correct options (trainers and coordinators only)."""
    course = bank.course_for(course_id, by=current_user)
    page = paginate(bank.bank_query(course, form=args.get("form"), topic=args.get("topic")), args)
    page["items"] = [question_dict(q) for q in page["items"]]
    return page


@blp.route("/courses/<int:course_id>/questions", methods=["POST"])
@blp.arguments(QuestionSchema)
@blp.response(201, QuestionSchema)
def create_question(data, course_id: int):
    course = bank.course_for(course_id, by=current_user, action="question.manage")
    question = bank.create_question(course, data, by=current_user)
    db.session.commit()
    return question_dict(bank.question_for(question.id, by=current_user))


@blp.route("/questions/<int:question_id>", methods=["GET"])
@blp.response(200, QuestionSchema)
def get_question(question_id: int):
    return question_dict(bank.question_for(question_id, by=current_user))


@blp.route("/questions/<int:question_id>", methods=["PATCH"])
@blp.arguments(QuestionPatchSchema)
@blp.response(200, QuestionSchema)
def update_question(data, question_id: int):
    """Change a question; once somebody has answered it, the change is a new version."""
    question = bank.question_for(question_id, by=current_user, action="question.manage")
    active = data.pop("active", None)
    if data:
        bank.update_question(question, data, by=current_user)
    if active is False:
        bank.retire_question(question, by=current_user)
    db.session.commit()
    return question_dict(bank.question_for(question_id, by=current_user))


@blp.route("/cohorts/<int:cohort_id>/tests", methods=["GET"])
@blp.response(200, TestSchema(many=True))
def list_tests(cohort_id: int):
    """The cohort's pre and post tests with how many have started and submitted."""
    cohort = get_cohort(cohort_id, by=current_user, action="test.manage")
    return [test_dict(o) for o in delivery.tests_overview(cohort)]


@blp.route("/cohorts/<int:cohort_id>/tests/<phase>/open", methods=["POST"])
@blp.alt_response(409, schema=ErrorSchema, description="The test is already open")
@blp.arguments(OpenTestSchema)
@blp.response(200, TestSchema)
def open_test(data, cohort_id: int, phase: str):
    cohort = get_cohort(cohort_id, by=current_user, action="test.manage")
    delivery.open_test(cohort, delivery.check_phase(phase), by=current_user, **data)
    db.session.commit()
    return next(test_dict(o) for o in delivery.tests_overview(cohort) if o.phase == phase)


@blp.route("/cohorts/<int:cohort_id>/tests/<phase>/close", methods=["POST"])
@blp.alt_response(409, schema=ErrorSchema, description="The test is not open")
@blp.response(200, TestSchema)
def close_test(cohort_id: int, phase: str):
    """Close the test; unsubmitted attempts are scored on what was saved."""
    cohort = get_cohort(cohort_id, by=current_user, action="test.manage")
    delivery.close_test(cohort, delivery.check_phase(phase), by=current_user)
    db.session.commit()
    return next(test_dict(o) for o in delivery.tests_overview(cohort) if o.phase == phase)
