"""API: the cascade of one trainer, the programme's summary, and step-down events."""

import marshmallow as ma
from flask_login import current_user
from flask_smorest import Blueprint

from lms.api.common import PageArgs, page_of, paginate
from lms.cascade import metrics, services
from lms.cascade.models import AUDIENCES
from lms.cascade.nudges import services as nudges
from lms.core.i18n import local_today
from lms.core.permissions import require
from lms.extensions import db

blp = Blueprint(
    "cascade_api", __name__, description="The cascade: lineage, reach, activation, step-down events"
)
ID = ma.validate.Range(min=1, max=2**31 - 1)


class GenerationReachSchema(ma.Schema):
    generation = ma.fields.Integer()
    relative = ma.fields.Integer(metadata={"description": "Generations below this trainer (0: herself)."})
    people = ma.fields.Integer()
    headcount = ma.fields.Integer()


class TrainerCascadeSchema(ma.Schema):
    user_id = ma.fields.Integer()
    generation = ma.fields.Integer(allow_none=True)
    parent_id = ma.fields.Integer(allow_none=True)
    root_id = ma.fields.Integer(allow_none=True)
    active = ma.fields.Boolean()
    dormant = ma.fields.Boolean()
    accredited_course_ids = ma.fields.List(ma.fields.Integer())
    cohorts_delivered = ma.fields.Integer()
    trainers_certified = ma.fields.Integer()
    direct_reach = ma.fields.Integer()
    total_reach = ma.fields.Integer()
    reach_by_generation = ma.fields.List(ma.fields.Nested(GenerationReachSchema))


class SummaryArgs(ma.Schema):
    region_id = ma.fields.Integer(load_default=None, validate=ID)
    from_ = ma.fields.Date(data_key="from", load_default=None)
    to = ma.fields.Date(load_default=None)


class GenerationSchema(ma.Schema):
    generation = ma.fields.Integer()
    trainers = ma.fields.Integer()
    people = ma.fields.Integer()
    headcount = ma.fields.Integer()
    cohorts = ma.fields.Integer()
    normalized_gain = ma.fields.Float(allow_none=True)
    gain_participants = ma.fields.Integer()


class SummarySchema(ma.Schema):
    master_trainers = ma.fields.Integer()
    trainers_accredited = ma.fields.Integer()
    active_trainers = ma.fields.Integer()
    activation_rate = ma.fields.Float(allow_none=True)
    activation_days = ma.fields.Integer()
    dormant_trainers = ma.fields.Integer()
    reach_named = ma.fields.Integer()
    reach_headcount = ma.fields.Integer()
    reach_total = ma.fields.Integer()
    by_generation = ma.fields.List(ma.fields.Nested(GenerationSchema))


class StepDownEventSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    trainer_id = ma.fields.Integer(load_default=None, validate=ID)
    course_id = ma.fields.Integer(load_default=None, allow_none=True, validate=ID)
    date = ma.fields.Date(required=True)
    district_id = ma.fields.Integer(required=True, validate=ID)
    community_id = ma.fields.Integer(load_default=None, allow_none=True, validate=ID)
    audience = ma.fields.String(required=True, validate=ma.validate.OneOf(AUDIENCES))
    headcount = ma.fields.Integer(required=True)
    headcount_female = ma.fields.Integer(load_default=0)
    headcount_under_18 = ma.fields.Integer(load_default=0)
    materials_distributed = ma.fields.Integer(load_default=0)
    note = ma.fields.String(load_default="")


@blp.route("/cascade/trainers/<int:user_id>", methods=["GET"])
@blp.response(200, TrainerCascadeSchema)
def trainer(user_id: int):
    """A trainer's generation, what she delivered, whom she certified and her reach."""
    services.trainer_for(user_id, by=current_user)
    return metrics.trainer_figures(user_id, local_today())


@blp.route("/cascade/summary", methods=["GET"])
@blp.arguments(SummaryArgs, location="query")
@blp.response(200, SummarySchema)
def summary(args):
    """The programme's (or a region's) cascade figures for a period."""
    region_id = services.summary_region(current_user, args["region_id"])
    scope = metrics.Scope(region_id=region_id, start=args["from_"], end=args["to"])
    figures = metrics.reach(scope)
    active = metrics.activation(scope, local_today())
    return {
        "master_trainers": active["master_trainers"],
        "trainers_accredited": active["trainers_accredited"],
        "active_trainers": active["active_trainers"],
        "activation_rate": active["activation_rate"],
        "activation_days": active["activation_days"],
        "dormant_trainers": len(active["dormant_ids"]),
        "reach_named": figures.reach_named,
        "reach_headcount": figures.reach_headcount,
        "reach_total": figures.reach_total,
        "by_generation": figures.by_generation,
    }


@blp.route("/step-down-events", methods=["GET"])
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_of(StepDownEventSchema))
def list_events(args):
    return paginate(services.events_query(current_user), args)


@blp.route("/step-down-events", methods=["POST"])
@blp.arguments(StepDownEventSchema)
@blp.response(201, StepDownEventSchema)
def log_event(data):
    """Log a step-down event (by default the caller's own)."""
    if data.get("trainer_id") is None:
        data.pop("trainer_id", None)
    event = services.log_event(by=current_user, **data)
    db.session.commit()
    return event


class NudgeArgs(PageArgs):
    kind = ma.fields.String(validate=ma.validate.OneOf(list(nudges.KIND_LABELS)))
    status = ma.fields.String(validate=ma.validate.OneOf(list(nudges.STATUS_LABELS)))


class NudgeSchema(ma.Schema):
    id = ma.fields.Integer()
    user_id = ma.fields.Integer()
    person = ma.fields.Function(lambda nudge: nudge.user.sort_name or nudge.user.full_name)
    email = ma.fields.Function(lambda nudge: nudge.user.email)
    kind = ma.fields.String(metadata={"enum": list(nudges.KIND_LABELS)})
    period_start = ma.fields.Date()
    status = ma.fields.String(metadata={"enum": list(nudges.STATUS_LABELS)})
    trainers = ma.fields.Function(
        lambda nudge: nudge.details.get("count"),
        allow_none=True,
        metadata={"description": "Dormant trainers named in a coordinator's weekly list."},
    )
    error = ma.fields.String(allow_none=True)
    created_at = ma.fields.DateTime()
    sent_at = ma.fields.DateTime(allow_none=True)


@blp.route("/cascade/nudges", methods=["GET"])
@blp.arguments(NudgeArgs, location="query")
@blp.response(200, page_of(NudgeSchema))
def list_nudges(args):
    """Reminders to dormant trainers and their coordinators, newest first (admins: the page
    /cascade/nudges/ shows the same)."""
    require(current_user, "cascade.nudges")
    return paginate(nudges.nudges_query(args.pop("kind", None), args.pop("status", None)), args)
