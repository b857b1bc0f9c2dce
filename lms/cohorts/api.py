"""API: cohorts and their sessions.

A cohort another trainer leads answers 404 (the caller cannot see it); one the caller can see
but not change (a participant's own training, a co-trainer changing the status) answers 403.
Double bookings answer 409 with a message naming the other booking.
"""

import marshmallow as ma
from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.accounts.services import person
from lms.api.common import ErrorSchema, PageArgs, page_of, paginate
from lms.cohorts import lookup, services
from lms.cohorts.models import COHORT_STATUSES, TrainingSession
from lms.core.page_cache import cached_page
from lms.core.permissions import can, require
from lms.extensions import db

# The detail page shows the notes for the team under "cohort.manage" only (its trainers, the
# region's coordinator); places taken it shows to everyone who sees the training.
TEAM_ONLY_FIELDS = ("notes",)

blp = Blueprint("cohorts_api", __name__, description="Cohorts and sessions")


class SessionSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    cohort_id = ma.fields.Integer(dump_only=True)
    date = ma.fields.Date(required=True)
    starts_at = ma.fields.Time(required=True, format="%H:%M", metadata={"example": "09:00"})
    ends_at = ma.fields.Time(required=True, format="%H:%M", metadata={"example": "17:00"})
    module_ids = ma.fields.List(ma.fields.Integer(), load_default=list)
    venue = ma.fields.String(load_default="", metadata={"description": "Empty: the cohort's venue."})

    @ma.post_dump(pass_original=True)
    def _module_ids(self, data, original, **kwargs):
        if isinstance(original, TrainingSession):
            data["module_ids"] = [module.id for module in original.modules]
        return data


class CohortSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    course_id = ma.fields.Integer(required=True)
    lead_trainer_id = ma.fields.Integer(required=True)
    co_trainer_ids = ma.fields.List(ma.fields.Integer(), load_default=list)
    district_id = ma.fields.Integer(required=True)
    community_id = ma.fields.Integer(allow_none=True, load_default=None)
    venue = ma.fields.String(required=True)
    start_date = ma.fields.Date(required=True)
    end_date = ma.fields.Date(
        allow_none=True, load_default=None, metadata={"description": "Empty: as many days as the course has."}
    )
    capacity = ma.fields.Integer(load_default=25)
    status = ma.fields.String(load_default="draft", validate=ma.validate.OneOf(COHORT_STATUSES))
    notes = ma.fields.String(load_default="")
    cancelled_reason = ma.fields.String(
        allow_none=True, metadata={"description": "Required when PATCHing the status to cancelled."}
    )
    region_id = ma.fields.Integer(dump_only=True)
    # Counted by the database in the statement that loads the cohort (``lookup.API``).
    enrolled_count = ma.fields.Integer(dump_only=True)
    session_count = ma.fields.Integer(dump_only=True)

    @ma.post_dump(pass_original=True)
    def _co_trainers(self, data, original, **kwargs):
        data["co_trainer_ids"] = sorted(user.id for user in original.co_trainers)
        return data

    @ma.post_dump(pass_original=True)
    def _team_only(self, data, original, **kwargs):
        """What the page shows only to the team the API shows only to it too."""
        if not can(current_user, "cohort.manage", original):
            for name in TEAM_ONLY_FIELDS:
                data.pop(name, None)
        return data


class CohortCreateSchema(CohortSchema):
    sessions = ma.fields.List(
        ma.fields.Nested(SessionSchema),
        load_default=list,
        load_only=True,
        metadata={"description": "Sessions to plan with the cohort (optional)."},
    )


class CohortPatchSchema(CohortSchema):
    """A cohort's fields, all optional: only those given change."""


class SessionPatchSchema(SessionSchema):
    """A session's fields, all optional: only those given change."""


class CohortQuery(PageArgs):
    status = ma.fields.String(validate=ma.validate.OneOf(COHORT_STATUSES))
    course_id = ma.fields.Integer()
    district_id = ma.fields.Integer()
    region_id = ma.fields.Integer()
    date_from = ma.fields.Date(
        data_key="from", metadata={"description": "Cohorts running on or after this day."}
    )
    date_to = ma.fields.Date(
        data_key="to", metadata={"description": "Cohorts running on or before this day."}
    )
    q = ma.fields.String(load_default="", metadata={"description": "Course, venue, district or trainer."})


@blp.route("/cohorts", methods=["GET"])
@blp.arguments(CohortQuery, location="query")
@blp.response(200, page_of(CohortSchema))
@cached_page
def list_cohorts(args):
    """Cohorts the caller may see: all (admin), her regions (coordinator), her own (trainer, participant)."""
    require(current_user, "cohort.list")
    filters = {
        key: args.get(key)
        for key in ("status", "course_id", "district_id", "region_id", "date_from", "date_to")
    }
    return paginate(services.cohort_query(current_user, q=args["q"], **filters), args)


@blp.route("/cohorts", methods=["POST"])
@blp.alt_response(
    409, schema=ErrorSchema, description="A trainer or the venue is booked elsewhere at that time"
)
@blp.arguments(CohortCreateSchema)
@blp.response(201, CohortSchema)
def create_cohort(data):
    """Plan a cohort (a draft, or `scheduled` when sessions are given). 409 on a double booking."""
    cohort = services.create_cohort(by=current_user, **data)
    db.session.commit()
    person(current_user.id)  # her roles again, in one statement: the answer shows what she may see
    return lookup.get_cohort(cohort.id, load=lookup.API)


@blp.route("/cohorts/<int:cohort_id>", methods=["GET"])
@blp.response(200, CohortSchema)
@cached_page
def get_cohort(cohort_id: int):
    cohort = lookup.get_cohort(cohort_id, by=current_user, load=lookup.API)
    require(current_user, "cohort.view", cohort)
    return cohort


@blp.route("/cohorts/<int:cohort_id>", methods=["PATCH"])
@blp.alt_response(
    409,
    schema=ErrorSchema,
    description="A double booking, a status change out of order, or a closed or cancelled cohort",
)
@blp.arguments(CohortPatchSchema(partial=True))
@blp.response(200, CohortSchema)
def update_cohort(data, cohort_id: int):
    """Change the given fields; `status` follows draft → scheduled → in_progress → closed, or
    cancelled with `cancelled_reason`."""
    cohort = lookup.get_cohort(cohort_id, by=current_user)
    services.update_cohort(cohort, by=current_user, **data)
    db.session.commit()
    person(current_user.id)  # her roles again, in one statement: the answer shows what she may see
    return lookup.get_cohort(cohort.id, load=lookup.API)


@blp.route("/cohorts/<int:cohort_id>/sessions", methods=["GET"])
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_of(SessionSchema))
def list_sessions(args, cohort_id: int):
    cohort = lookup.get_cohort(cohort_id, by=current_user)
    require(current_user, "cohort.view", cohort)
    query = (
        select(TrainingSession)
        .where(TrainingSession.cohort_id == cohort.id)
        .options(selectinload(TrainingSession.modules))
        .order_by(TrainingSession.date, TrainingSession.starts_at)
    )
    return paginate(query, args)


@blp.route("/cohorts/<int:cohort_id>/sessions", methods=["POST"])
@blp.alt_response(
    409,
    schema=ErrorSchema,
    description="A trainer or the venue is booked elsewhere, or the cohort is closed or cancelled",
)
@blp.arguments(SessionSchema)
@blp.response(201, SessionSchema)
def create_session(data, cohort_id: int):
    """Add a session; 409 when a trainer or the venue is booked elsewhere at that time."""
    cohort = lookup.get_cohort(cohort_id, by=current_user)
    session = services.add_session(cohort, by=current_user, **data)
    db.session.commit()
    return lookup.get_session(session.id)


@blp.route("/sessions/<int:session_id>", methods=["PATCH"])
@blp.alt_response(
    409,
    schema=ErrorSchema,
    description="A trainer or the venue is booked elsewhere, or the cohort is closed or cancelled",
)
@blp.arguments(SessionPatchSchema(partial=True))
@blp.response(200, SessionSchema)
def update_session(data, session_id: int):
    session = lookup.get_session(session_id, by=current_user)
    services.update_session(session, by=current_user, **data)
    db.session.commit()
    session = lookup.get_session(session.id)
    return session


@blp.route("/sessions/<int:session_id>", methods=["DELETE"])
@blp.alt_response(
    409,
    schema=ErrorSchema,
    description="Attendance is marked for it, it is a scheduled cohort's last session, or the cohort is closed",
)
@blp.response(204)
def delete_session(session_id: int):
    session = lookup.get_session(session_id, by=current_user)
    services.delete_session(session, by=current_user)
    db.session.commit()
