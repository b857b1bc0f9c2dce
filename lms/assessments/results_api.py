"""API: cohort results and item analysis, paper scores and answers, extra time."""

import marshmallow as ma
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from lms.api.common import ErrorSchema
from lms.assessments import analytics, delivery, paper, room
from lms.assessments.lookup import cohort_for as get_cohort
from lms.assessments.models import Attempt, CohortTest
from lms.core.errors import NotFound, ValidationError
from lms.extensions import db

blp = Blueprint("assessment_results_api", __name__, description="Test results, item analysis, paper entry")


class ParticipantResultSchema(ma.Schema):
    enrollment_id = ma.fields.Integer()
    user_id = ma.fields.Integer()
    full_name = ma.fields.String()
    pre = ma.fields.Float(allow_none=True)
    post = ma.fields.Float(allow_none=True)
    gain = ma.fields.Float(allow_none=True, metadata={"description": "post − pre, percentage points"})
    normalized_gain = ma.fields.Float(
        allow_none=True, metadata={"description": "(post − pre) / (100 − pre); null when pre is 100"}
    )
    passed = ma.fields.Boolean(allow_none=True)


class FiguresSchema(ma.Schema):
    participants = ma.fields.Integer()
    paired = ma.fields.Integer(metadata={"description": "participants with both pre and post"})
    mean_pre = ma.fields.Float(allow_none=True)
    mean_post = ma.fields.Float(allow_none=True)
    mean_gain = ma.fields.Float(allow_none=True, metadata={"description": "mean paired gain"})
    mean_normalized_gain = ma.fields.Float(
        allow_none=True, metadata={"description": "mean of per-participant normalized gains"}
    )
    class_normalized_gain = ma.fields.Float(
        allow_none=True, metadata={"description": "(mean post − mean pre) / (100 − mean pre), paired"}
    )
    pass_rate = ma.fields.Float(allow_none=True)
    unpaired = ma.fields.Integer()


class ResultsSchema(ma.Schema):
    cohort_id = ma.fields.Integer()
    pass_mark_percent = ma.fields.Integer()
    summary = ma.fields.Nested(FiguresSchema)
    items = ma.fields.List(ma.fields.Nested(ParticipantResultSchema))
    unpaired_enrollment_ids = ma.fields.List(ma.fields.Integer())


class ChoiceCountSchema(ma.Schema):
    choice_id = ma.fields.Integer()
    text = ma.fields.String()
    correct = ma.fields.Boolean()
    count = ma.fields.Integer()


class ItemSchema(ma.Schema):
    question_id = ma.fields.Integer()
    phase = ma.fields.String()
    text = ma.fields.String()
    topic = ma.fields.String()
    answered = ma.fields.Integer()
    difficulty = ma.fields.Float(allow_none=True, metadata={"description": "share correct (mean credit)"})
    discrimination = ma.fields.Float(
        allow_none=True, metadata={"description": "point-biserial with rest score"}
    )
    upper_lower_index = ma.fields.Float(allow_none=True, metadata={"description": "top 27 % − bottom 27 %"})
    choice_counts = ma.fields.List(ma.fields.Nested(ChoiceCountSchema))
    flag = ma.fields.String(allow_none=True, metadata={"description": "first flag, or null"})
    flags = ma.fields.List(ma.fields.String())


class ItemAnalysisSchema(ma.Schema):
    cohort_id = ma.fields.Integer()
    thresholds = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())
    items = ma.fields.List(ma.fields.Nested(ItemSchema))


class ScoresSchema(ma.Schema):
    pre = ma.fields.Float(allow_none=True)
    post = ma.fields.Float(allow_none=True)


class ResponsesSchema(ma.Schema):
    form = ma.fields.String(required=True, validate=ma.validate.OneOf(("A", "B")))
    answers = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.List(ma.fields.Integer()), required=True
    )


class AttemptSchema(ma.Schema):
    id = ma.fields.Integer()
    enrollment_id = ma.fields.Integer()
    phase = ma.fields.String()
    source = ma.fields.String()
    form = ma.fields.String()
    started_at = ma.fields.DateTime()
    deadline = ma.fields.DateTime(allow_none=True)
    submitted_at = ma.fields.DateTime(allow_none=True)
    score_percent = ma.fields.Float(allow_none=True)


class ExtendSchema(ma.Schema):
    minutes = ma.fields.Integer(required=True)


def results_dict(cohort) -> dict:
    figures = analytics.results_for([cohort])
    return {
        "cohort_id": cohort.id,
        "pass_mark_percent": cohort.course.pass_mark_percent,
        "summary": figures.summary(),
        "items": [
            {
                "enrollment_id": p.enrollment.id,
                "user_id": p.enrollment.user_id,
                "full_name": p.enrollment.user.full_name,
                "pre": p.pre,
                "post": p.post,
                "gain": p.gain,
                "normalized_gain": p.normalized_gain,
                "passed": p.passed,
            }
            for p in figures.participants
        ],
        "unpaired_enrollment_ids": [p.enrollment.id for p in figures.unpaired],
    }


def item_dict(item: analytics.ItemStats) -> dict:
    return {
        "question_id": item.question_id,
        "phase": item.phase,
        "text": item.text,
        "topic": item.topic,
        "answered": item.answered,
        "difficulty": item.difficulty,
        "discrimination": item.point_biserial,
        "upper_lower_index": item.upper_lower,
        "choice_counts": [
            {
                "choice_id": choice_id,
                "text": label,
                "correct": choice_id in item.correct_choice_ids,
                "count": item.choice_counts.get(choice_id, 0),
            }
            for choice_id, label in item.choice_labels.items()
        ],
        "flag": item.flags[0] if item.flags else None,
        "flags": item.flags,
    }


@blp.route("/cohorts/<int:cohort_id>/results", methods=["GET"])
@blp.response(200, ResultsSchema)
def cohort_results(cohort_id: int):
    """Per enrolment pre, post, gain, normalized gain, passed; the cohort's means (labelled)."""
    cohort = get_cohort(cohort_id, by=current_user, action="results.view")
    return results_dict(cohort)


@blp.route("/cohorts/<int:cohort_id>/item-analysis", methods=["GET"])
@blp.response(200, ItemAnalysisSchema)
def item_analysis(cohort_id: int):
    """Per item and phase: difficulty, discrimination, choice counts and flags (thresholds given)."""
    cohort = get_cohort(cohort_id, by=current_user, action="results.view")
    return {
        "cohort_id": cohort.id,
        "thresholds": analytics.THRESHOLDS,
        "items": [item_dict(i) for i in analytics.item_analysis([cohort])],
    }


def _attempt_dict(attempt: Attempt, phase: str | None = None) -> dict:
    return {
        "id": attempt.id,
        "enrollment_id": attempt.enrollment_id,
        "phase": phase or attempt.test.phase,
        "source": attempt.source,
        "form": attempt.form,
        "started_at": attempt.started_at,
        "deadline": attempt.deadline,
        "submitted_at": attempt.submitted_at,
        "score_percent": attempt.score_percent,
    }


@blp.route("/enrollments/<int:enrollment_id>/scores", methods=["PUT"])
@blp.arguments(ScoresSchema)
@blp.response(200, AttemptSchema(many=True))
def put_scores(data, enrollment_id: int):
    """Paper results in percent (either may be absent); a value outside 0–100 saves nothing."""
    enrollment = paper.enrollment_for(enrollment_id, by=current_user)
    scores = {k: v for k, v in data.items() if v is not None}
    attempts = paper.enter_scores(enrollment, scores, by=current_user)
    # Before the commit expires them; in the order of the scores given.
    saved = [_attempt_dict(a, phase) for a, phase in zip(attempts, scores, strict=True)]
    db.session.commit()
    return saved


@blp.route("/enrollments/<int:enrollment_id>/responses/<phase>", methods=["PUT"])
@blp.alt_response(409, schema=ErrorSchema, description="She took this test online; her online answers stand")
@blp.arguments(ResponsesSchema)
@blp.response(200, AttemptSchema)
def put_responses(data, enrollment_id: int, phase: str):
    """Paper answers per item, scored like an online attempt; an unknown question or choice
    saves nothing."""
    enrollment = paper.enrollment_for(enrollment_id, by=current_user)
    if not all(key.isdecimal() for key in data["answers"]):
        raise ValidationError.on("answers", _l("Keys of answers are question ids."))
    answers = {int(key): value for key, value in data["answers"].items()}
    attempt = paper.enter_responses(
        enrollment, delivery.check_phase(phase), data["form"], answers, by=current_user
    )
    saved = _attempt_dict(attempt, phase)  # before the commit expires it
    db.session.commit()
    return saved


@blp.route("/attempts/<int:attempt_id>/extend", methods=["POST"])
@blp.alt_response(
    409, schema=ErrorSchema, description="The attempt is already submitted, or the test is not open"
)
@blp.arguments(ExtendSchema)
@blp.response(200, AttemptSchema)
def extend(data, attempt_id: int):
    """Give one person extra minutes."""
    attempt = db.session.scalar(
        select(Attempt)
        .where(Attempt.id == attempt_id)
        .options(joinedload(Attempt.test).joinedload(CohortTest.cohort))
    )
    if attempt is None:
        raise NotFound()
    get_cohort(attempt.test.cohort_id, by=current_user, action="test.manage")
    room.extend_time(attempt, data["minutes"], by=current_user)
    saved = _attempt_dict(attempt)  # before the commit expires it
    db.session.commit()
    return saved
