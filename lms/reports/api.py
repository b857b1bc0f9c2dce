"""API: the results report's figures and narrative for a period, regions and courses."""

import marshmallow as ma
from flask import request
from flask_login import current_user
from flask_smorest import Blueprint

from lms.reports.figures import ResultsReport, results_report
from lms.reports.filters import filters_from_args
from lms.reports.narrative import narrative

blp = Blueprint("reports_api", __name__, description="Results reports for donors and ministries")

IDS = (
    "Repeat the parameter or separate ids with commas. A coordinator's report covers her regions; "
    "naming another region is refused (403)."
)


class ReportSummaryArgs(ma.Schema):
    """Documented here; read by ``lms.reports.filters.filters_from_args`` (repeatable ids)."""

    class Meta:
        unknown = ma.EXCLUDE

    region_id = ma.fields.List(ma.fields.String(), metadata={"description": IDS})
    from_ = ma.fields.String(
        data_key="from",
        metadata={"description": "First day of the period (YYYY-MM-DD), by a training's last day"},
    )
    to = ma.fields.String(metadata={"description": "Last day of the period (YYYY-MM-DD)"})
    course_id = ma.fields.List(ma.fields.String(), metadata={"description": "Courses (repeatable or commas)"})


class ReportCourseFiguresSchema(ma.Schema):
    course_id = ma.fields.Integer()
    code = ma.fields.String()
    title = ma.fields.String()
    title_en = ma.fields.String()
    days = ma.fields.Integer(metadata={"description": "The course's length in days"})
    is_tot = ma.fields.Boolean()
    cohorts = ma.fields.Integer()
    training_days = ma.fields.Integer(metadata={"description": "Distinct session dates of its cohorts"})
    districts = ma.fields.Integer(metadata={"description": "Districts its cohorts were held in"})
    enrolled = ma.fields.Integer(metadata={"description": "People enrolled, not withdrawn (each once)"})
    trained = ma.fields.Integer(metadata={"description": "People with a valid certificate (each once)"})


class ReportInstitutionTypeSchema(ma.Schema):
    institution_type = ma.fields.String(allow_none=True, metadata={"description": "null: no institution"})
    people = ma.fields.Integer()


class ReportPositionSchema(ma.Schema):
    position = ma.fields.String(allow_none=True, metadata={"description": "null: not stated"})
    people = ma.fields.Integer()


class ReportDistrictSchema(ma.Schema):
    district_id = ma.fields.Integer()
    name = ma.fields.String()
    name_en = ma.fields.String()
    cohorts = ma.fields.Integer()
    trained = ma.fields.Integer()


class ReportRegionCoverageSchema(ma.Schema):
    region_id = ma.fields.Integer()
    name = ma.fields.String()
    name_en = ma.fields.String()
    districts_covered = ma.fields.Integer()
    districts_total = ma.fields.Integer()
    uncovered_district_ids = ma.fields.List(ma.fields.Integer(), metadata={"description": "Had no training"})
    districts = ma.fields.List(
        ma.fields.Nested(ReportDistrictSchema), metadata={"description": "Every district"}
    )


class ReportGenerationSchema(ma.Schema):
    generation = ma.fields.Integer(allow_none=True, metadata={"description": "null: outside the cascade"})
    people = ma.fields.Integer(metadata={"description": "People trained by trainers of this generation"})
    cohorts = ma.fields.Integer()
    events = ma.fields.Integer(metadata={"description": "Step-down events"})
    headcount = ma.fields.Integer()
    materials = ma.fields.Integer(metadata={"description": "Information materials distributed"})


class ReportNarrativeSchema(ma.Schema):
    uk = ma.fields.String()
    en = ma.fields.String()


class ReportFiltersSchema(ma.Schema):
    start = ma.fields.Date(data_key="from", allow_none=True)
    end = ma.fields.Date(data_key="to", allow_none=True)
    region_ids = ma.fields.List(
        ma.fields.Integer(), allow_none=True, metadata={"description": "null: every region"}
    )
    course_ids = ma.fields.List(
        ma.fields.Integer(), allow_none=True, metadata={"description": "null: every course"}
    )


class ReportSummarySchema(ma.Schema):
    cohorts = ma.fields.Integer(metadata={"description": "Trainings that ended in the period"})
    cohorts_by_course = ma.fields.List(ma.fields.Nested(ReportCourseFiguresSchema))
    people_trained = ma.fields.Integer(metadata={"description": "Valid certificate holders, each once"})
    people_by_institution_type = ma.fields.List(
        ma.fields.Nested(ReportInstitutionTypeSchema), metadata={"description": "Largest first"}
    )
    districts_covered = ma.fields.Integer(metadata={"description": "Districts with a training"})
    trainers_trained = ma.fields.Integer(
        metadata={"description": "Valid trainer certificates of ToTs, each once"}
    )
    certificates_issued = ma.fields.Integer(metadata={"description": "Valid certificates"})
    mean_pre = ma.fields.Float(allow_none=True)
    mean_post = ma.fields.Float(allow_none=True)
    normalized_gain = ma.fields.Float(allow_none=True)
    narrative = ma.fields.Nested(ReportNarrativeSchema)
    # Beyond the contract's fields:
    filters = ma.fields.Nested(ReportFiltersSchema, metadata={"description": "What the figures cover"})
    training_days = ma.fields.Integer()
    participants = ma.fields.Integer(metadata={"description": "People enrolled, not withdrawn (each once)"})
    gain_participants = ma.fields.Integer(metadata={"description": "Participants with both tests"})
    people_by_position = ma.fields.List(
        ma.fields.Nested(ReportPositionSchema), metadata={"description": "Largest first"}
    )
    districts = ma.fields.List(
        ma.fields.Nested(ReportRegionCoverageSchema),
        metadata={"description": "Each region in scope, its districts"},
    )
    cascade_by_generation = ma.fields.List(ma.fields.Nested(ReportGenerationSchema))
    step_down_events = ma.fields.Integer()
    step_down_headcount = ma.fields.Integer()
    materials_distributed = ma.fields.Integer()


def summary_of(report: ResultsReport) -> dict:
    """The report as the API's answer (``ReportSummarySchema``)."""
    plain = {
        name: getattr(report, name)
        for name in (
            "cohorts",
            "people_trained",
            "districts_covered",
            "trainers_trained",
            "certificates_issued",
            "mean_pre",
            "mean_post",
            "normalized_gain",
            "filters",
            "training_days",
            "participants",
            "gain_participants",
            "step_down_events",
            "step_down_headcount",
            "materials_distributed",
        )
    }
    return plain | {
        "cohorts_by_course": report.by_course,
        "people_by_institution_type": [
            {"institution_type": t, "people": n} for t, n in report.by_institution_type
        ],
        "people_by_position": [{"position": p, "people": n} for p, n in report.by_position],
        "districts": [
            {
                "region_id": region.region_id,
                "name": region.name,
                "name_en": region.name_en,
                "districts_covered": len(region.covered),
                "districts_total": len(region.districts),
                "uncovered_district_ids": [d.district_id for d in region.uncovered],
                "districts": region.districts,
            }
            for region in report.regions
        ],
        "cascade_by_generation": report.by_generation,
        "narrative": narrative(report),
    }


@blp.route("/reports/summary", methods=["GET"])
@blp.arguments(ReportSummaryArgs, location="query")
@blp.response(200, ReportSummarySchema)
def summary(_args):
    """The results report: trainings, people trained (each once), districts, trainers,
    certificates, learning gain, the cascade, and the summary in Ukrainian and English."""
    return summary_of(results_report(filters_from_args(request.args, current_user)))
