"""API: a cohort's enrolments, withdrawal, and importing a roster file."""

import marshmallow as ma
from flask import jsonify
from flask_login import current_user
from flask_smorest import Blueprint
from flask_smorest.fields import Upload
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import CombinedMultiDict

from lms.accounts import names
from lms.api.common import ErrorSchema, PageArgs, page_of, paginate
from lms.cohorts import enrolment, roster
from lms.cohorts.models import ENROLLMENT_STATUSES
from lms.extensions import db


class MultipartParser(FlaskParser):
    """Reads a multipart request's form fields along with its files, so that one schema (and
    one documented request body) describes the file and the options sent with it."""

    def load_files(self, req, schema):
        return self._makeproxy(CombinedMultiDict([req.files, req.form]), schema)


blp = Blueprint("enrolment_api", __name__, description="Enrolment and rosters")
blp.ARGUMENTS_PARSER = MultipartParser()

NEW_PERSON_FIELDS = ("email", "full_name", "phone", "position", "institution_id")


class CohortEnrollmentSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    cohort_id = ma.fields.Integer(dump_only=True)
    user_id = ma.fields.Integer(dump_only=True)
    status = ma.fields.String(dump_only=True, metadata={"enum": list(ENROLLMENT_STATUSES)})
    full_name = ma.fields.String(attribute="user.full_name", dump_only=True)
    full_name_latin = ma.fields.String(attribute="user.full_name_latin", dump_only=True)
    sort_name = ma.fields.String(
        attribute="user.sort_name", dump_only=True, metadata={"description": "full_name, surname first."}
    )
    warnings = ma.fields.Method(
        "_warnings", dump_only=True, metadata={"description": "What to check, e.g. a one-word name."}
    )
    email = ma.fields.String(attribute="user.email", dump_only=True)
    position = ma.fields.String(attribute="user.position", dump_only=True)
    institution_id = ma.fields.Integer(attribute="user.institution_id", dump_only=True, allow_none=True)
    waitlisted_at = ma.fields.DateTime(dump_only=True, allow_none=True)
    withdrawn_at = ma.fields.DateTime(dump_only=True, allow_none=True)
    created_at = ma.fields.DateTime(dump_only=True)

    def _warnings(self, enrollment) -> list[str]:
        warning = names.one_word_warning(enrollment.user.full_name)
        return [str(warning)] if warning else []


class EnrollmentRequestSchema(ma.Schema):
    """Either ``user_id`` of a registered person, or the fields of a new participant."""

    user_id = ma.fields.Integer()
    email = ma.fields.String()
    full_name = ma.fields.String()
    phone = ma.fields.String(allow_none=True)
    position = ma.fields.String()
    institution_id = ma.fields.Integer(allow_none=True)
    send_invitation = ma.fields.Boolean(load_default=True)


class EnrollmentQuery(PageArgs):
    status = ma.fields.String(validate=ma.validate.OneOf(ENROLLMENT_STATUSES))
    q = ma.fields.String(load_default="")


class RosterUploadSchema(ma.Schema):
    file = Upload(required=True, metadata={"description": "CSV (UTF-8 or Windows-1251) or XLSX"})
    skip_invalid = ma.fields.Boolean(
        load_default=False, metadata={"description": "Import the good rows even if others have problems."}
    )
    send_invitations = ma.fields.Boolean(load_default=True)


class RejectedRowSchema(ma.Schema):
    row = ma.fields.Integer()
    reasons = ma.fields.List(ma.fields.String())
    codes = ma.fields.List(ma.fields.String())


class NotedRowSchema(ma.Schema):
    row = ma.fields.Integer()
    notes = ma.fields.List(ma.fields.String())


class RosterReportSchema(ma.Schema):
    rows = ma.fields.Integer()
    created = ma.fields.Integer()
    matched = ma.fields.Integer()
    enrolled = ma.fields.Integer()
    waitlisted = ma.fields.Integer()
    rejected = ma.fields.List(ma.fields.Nested(RejectedRowSchema))
    rejected_count = ma.fields.Integer()
    notes = ma.fields.List(ma.fields.Nested(NotedRowSchema))


class RosterProblemsSchema(ErrorSchema, RosterReportSchema):
    """422: the error, and the rows that stopped the import (nothing was imported)."""


def _rejected(rows: list[dict]) -> list[dict]:
    return [
        {
            "row": r["row"],
            "reasons": [roster.describe(p) for p in r["problems"]],
            "codes": [p[0] for p in r["problems"]],
        }
        for r in rows
    ]


@blp.route("/cohorts/<int:cohort_id>/enrollments", methods=["GET"])
@blp.arguments(EnrollmentQuery, location="query")
@blp.response(200, page_of(CohortEnrollmentSchema))
def list_enrollments(args, cohort_id: int):
    """A cohort's enrolments (its trainers, its region's coordinator); the waitlist in order."""
    cohort = enrolment.cohort_for(current_user, cohort_id)
    return paginate(enrolment.enrollments_query(cohort, args.get("status"), args["q"]), args)


@blp.route("/cohorts/<int:cohort_id>/enrollments", methods=["POST"])
@blp.arguments(EnrollmentRequestSchema)
@blp.response(201, CohortEnrollmentSchema)
@blp.alt_response(409, schema=ErrorSchema, description="Already in the cohort, or the cohort is closed")
def create_enrollment(data, cohort_id: int):
    """Enrol a person, or a new participant; beyond capacity the status is ``waitlisted``."""
    cohort = enrolment.cohort_for(current_user, cohort_id)
    person = {name: data[name] for name in NEW_PERSON_FIELDS if name in data}
    enrollment = enrolment.enrol(
        cohort,
        by=current_user,
        user_id=data.get("user_id"),
        new_person=person or None,
        send_invitation=data["send_invitation"],
    )
    db.session.commit()
    return enrolment.reloaded(enrollment)


@blp.route("/enrollments/<int:enrollment_id>/withdraw", methods=["POST"])
@blp.alt_response(
    409, schema=ErrorSchema, description="Already withdrawn, or the cohort is closed or cancelled"
)
@blp.response(200, CohortEnrollmentSchema)
def withdraw_enrollment(enrollment_id: int):
    """Withdraw a person; the first on the waitlist moves up and is invited."""
    enrollment = enrolment.enrollment_for(current_user, enrollment_id)
    enrolment.withdraw(enrollment, by=current_user)
    db.session.commit()
    return enrolment.reloaded(enrollment)


@blp.route("/cohorts/<int:cohort_id>/roster", methods=["POST"])
@blp.alt_response(
    409,
    schema=ErrorSchema,
    description="The cohort is closed, or someone changed these people during the import",
)
@blp.arguments(RosterUploadSchema, location="files")
@blp.response(200, RosterReportSchema)
@blp.alt_response(
    422, schema=RosterProblemsSchema, description="Rows with problems, or a file that cannot be read"
)
def import_roster(upload, cohort_id: int):
    """Import a roster file at once and report what happened to each row."""
    cohort = enrolment.cohort_for(current_user, cohort_id)
    file = upload.pop("file")
    try:
        report = roster.import_now(cohort, file.stream, by=current_user, **upload)
    except roster.RosterHasProblems as problems:
        db.session.rollback()
        preview = problems.preview
        body = problems.to_dict() | {
            "rows": preview.rows,
            **dict.fromkeys(("created", "matched", "enrolled", "waitlisted"), 0),
            "rejected": _rejected(preview.problem_rows),
            "rejected_count": preview.problems,
            "notes": [],
        }
        return jsonify(body), 422
    db.session.commit()
    return report | {
        "rejected": _rejected(report["skipped_rows"]),
        "rejected_count": report["skipped"],
        "notes": [
            {"row": r["row"], "notes": [roster.describe(n) for n in r["notes"]]} for r in report["noted_rows"]
        ],
    }
