"""API: start a report export (a job) and download its file."""

import marshmallow as ma
from flask import request
from flask_login import current_user
from flask_smorest import Blueprint
from werkzeug.datastructures import MultiDict

from lms.api.common import JobSchema
from lms.extensions import db
from lms.reports.exports import services

blp = Blueprint("reports_exports_api", __name__, description="Report exports: XLSX, CSV and PDF files")


class ExportRequestSchema(ma.Schema):
    """The format and the summary's filters, in the JSON body or the query string (the body
    wins). ``region_id`` and ``course_id``: a number, a list, or comma-separated."""

    class Meta:
        unknown = ma.EXCLUDE

    format = ma.fields.String(metadata={"enum": list(services.FORMATS)})
    from_ = ma.fields.String(data_key="from", metadata={"description": "YYYY-MM-DD"})
    to = ma.fields.String(metadata={"description": "YYYY-MM-DD"})
    region_id = ma.fields.Raw(metadata={"description": "Region ids: a number, a list, or comma-separated"})
    course_id = ma.fields.Raw(metadata={"description": "Course ids: a number, a list, or comma-separated"})


class ExportStartedSchema(ma.Schema):
    job = ma.fields.Nested(JobSchema)


def _arguments(body: dict) -> MultiDict:
    """Query-string arguments, overridden by the JSON body's, as the filters parser reads them."""
    args = MultiDict(request.args)
    names = {"from_": "from"}
    for field, value in body.items():
        name = names.get(field, field)
        values = value if isinstance(value, list) else [value]
        args.setlist(name, ["" if v is None else str(v) for v in values])
    return args


@blp.route("/reports/exports", methods=["POST"])
@blp.arguments(ExportRequestSchema, location="json", required=False)
@blp.response(202, ExportStartedSchema)
def start_export(body):
    """Start writing the report (``format``: xlsx, csv or pdf) for the summary's filters
    (``region_id``, ``from``, ``to``, ``course_id``); 403 outside one's regions. Follow the job
    at ``/jobs/{id}``; when it is done its ``result.download_url`` gives the file."""
    job = services.start_export(_arguments(body or {}), by=current_user)
    db.session.commit()
    return {"job": job}


@blp.route("/reports/exports/<int:job_id>/file", methods=["GET"])
@blp.response(200, description="The file (XLSX, a ZIP of CSV files, or PDF)")
@blp.doc(
    responses={
        "200": {
            "description": "The file (XLSX, a ZIP of CSV files, or PDF)",
            "content": {
                media: {"schema": {"type": "string", "format": "binary"}}
                for media in (
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    "application/zip",
                    "application/pdf",
                )
            },
        }
    }
)
def download(job_id: int):
    """The export's file, for the person who started it (and admins); 404 for anyone else,
    before the job is done, and after the file expired."""
    return services.file_response(job_id, by=current_user)
