"""API: a session's attendance register and a cohort's attendance percentages."""

import marshmallow as ma
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_smorest import Blueprint

from lms.api.common import MAX_PER_PAGE, PageArgs, page_of
from lms.cohorts import attendance
from lms.core.errors import ValidationError
from lms.extensions import db

blp = Blueprint("attendance_api", __name__, description="Attendance")


class AttendanceSchema(ma.Schema):
    enrollment_id = ma.fields.Integer()
    user_id = ma.fields.Integer()
    full_name = ma.fields.String()
    number = ma.fields.Integer(metadata={"description": "Row number on the printed sign-in sheet."})
    status = ma.fields.String(
        allow_none=True, metadata={"description": "present, late, absent; null: not marked"}
    )
    note = ma.fields.String()
    source = ma.fields.String(allow_none=True, metadata={"description": "trainer, self_checkin, paper, api"})
    marked_at = ma.fields.DateTime(allow_none=True)


class AttendanceUpdateSchema(ma.Schema):
    present = ma.fields.List(ma.fields.Integer(), required=True)
    late = ma.fields.List(ma.fields.Integer(), load_default=list)
    notes = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.String(validate=ma.validate.Length(max=255)),
        load_default=dict,
        metadata={"description": "{enrollment_id: note}"},
    )


class EnrollmentAttendanceSchema(ma.Schema):
    enrollment_id = ma.fields.Integer()
    user_id = ma.fields.Integer()
    full_name = ma.fields.String()
    attendance_percent = ma.fields.Float()
    meets_rule = ma.fields.Boolean()
    sessions_attended = ma.fields.Integer()
    sessions_total = ma.fields.Integer()


AttendancePageSchema = page_of(AttendanceSchema)


def _page(items: list, args: dict) -> dict:
    """A list built in memory, cut into the API's page shape."""
    start = (args["page"] - 1) * args["per_page"]
    return {
        "items": items[start : start + args["per_page"]],
        "total": len(items),
        "page": args["page"],
        "per_page": args["per_page"],
    }


def _register_items(session) -> list[dict]:
    return [
        {
            "enrollment_id": line.enrollment.id,
            "user_id": line.enrollment.user_id,
            "full_name": line.enrollment.user.full_name,
            "number": line.number,
            "status": line.status,
            "note": line.attendance.note if line.attendance else "",
            "source": line.attendance.source if line.attendance else None,
            "marked_at": line.attendance.marked_at if line.attendance else None,
        }
        for line in attendance.session_register(session)
    ]


def _note_keys(notes: dict[str, str]) -> dict[int, str]:
    if not all(key.isdecimal() for key in notes):
        raise ValidationError.on("notes", _l("Keys of notes are enrollment ids."))
    return {int(key): value for key, value in notes.items()}


@blp.route("/sessions/<int:session_id>/attendance", methods=["GET"])
@blp.arguments(PageArgs, location="query")
@blp.response(200, AttendancePageSchema)
def session_attendance(args, session_id: int):
    """Everyone enrolled in the session's cohort with their mark (status null: not marked)."""
    session = attendance.session_for(session_id, by=current_user)
    return _page(_register_items(session), args)


@blp.route("/sessions/<int:session_id>/attendance", methods=["PUT"])
@blp.arguments(AttendanceUpdateSchema)
@blp.response(200, AttendancePageSchema)
def set_session_attendance(data, session_id: int):
    """The whole register: ``present`` (and ``late``) as listed, every other enrolled person
    absent. Ids that are unknown or not enrolled are refused with 422, naming them."""
    session = attendance.session_for(session_id, by=current_user)
    attendance.set_session_attendance(
        session,
        by=current_user,
        present=data["present"],
        late=data["late"],
        notes=_note_keys(data["notes"]),
        source="api",
    )
    db.session.commit()
    return _page(_register_items(session), {"page": 1, "per_page": MAX_PER_PAGE})


@blp.route("/cohorts/<int:cohort_id>/attendance", methods=["GET"])
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_of(EnrollmentAttendanceSchema))
def cohort_attendance(args, cohort_id: int):
    """Each enrolled person's share of session time attended and whether it meets the course's
    minimum."""
    cohort = attendance.cohort_for(cohort_id, by=current_user, action="attendance.mark")
    summary = attendance.cohort_attendance_summary(cohort)
    items = [
        {
            "enrollment_id": person.enrollment.id,
            "user_id": person.enrollment.user_id,
            "full_name": person.enrollment.user.full_name,
            "attendance_percent": round(person.percent, 1),
            "meets_rule": person.meets_rule,
            "sessions_attended": sum(1 for s in person.statuses if s in attendance.ATTENDED),
            "sessions_total": len(summary.sessions),
        }
        for person in summary.participants
    ]
    return _page(items, args)
