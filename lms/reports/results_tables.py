"""The results report as tables: what the page shows and every export writes."""

from flask_babel import gettext as _

from lms.org.forms import INSTITUTION_TYPE_LABELS
from lms.reports.figures import ResultsReport, results_report
from lms.reports.filters import ReportFilters
from lms.reports.narrative import narrative
from lms.reports.tables import DEFINITIONS, Chart, Table, table_source


def institution_type_label(value: str | None) -> str:
    return str(INSTITUTION_TYPE_LABELS.get(value, value)) if value else _("Not stated")


def generation_label(value: int | None) -> str:
    return str(value) if value is not None else _("Outside the cascade")


def summary_rows(report: ResultsReport) -> list[tuple[str, str, object]]:
    """(key, label, value) of the report's headline figures, in the order they are shown."""
    return [
        ("cohorts", _("Trainings held"), report.cohorts),
        ("training_days", _("Training days"), report.training_days),
        ("participants", _("Participants"), report.participants),
        ("trained", _("People trained"), report.people_trained),
        ("trainers", _("Trainers trained"), report.trainers_trained),
        ("certificates", _("Certificates issued"), report.certificates_issued),
        ("districts", _("Districts covered"), report.districts_covered),
        ("mean_pre", _("Mean pre-test score (per cent)"), report.mean_pre),
        ("mean_post", _("Mean post-test score (per cent)"), report.mean_post),
        ("gain", _("Normalized gain"), report.normalized_gain),
        ("step_down_headcount", _("People at step-down events"), report.step_down_headcount),
        ("materials", _("Information materials distributed"), report.materials_distributed),
    ]


def tables_for(report: ResultsReport) -> list[Table]:
    words = narrative(report)
    trainings = [
        [
            row.code,
            row.display_title,
            row.days,
            row.cohorts,
            row.training_days,
            row.districts,
            row.enrolled,
            row.trained,
        ]
        for row in report.by_course
    ]
    if report.by_course:
        trainings.append(
            [
                "",
                _("In all (each person once)"),
                "",
                report.cohorts,
                report.training_days,
                report.districts_covered,
                report.participants,
                report.people_trained,
            ]
        )
    return [
        Table(
            key="results_summary",
            title=_("Results"),
            headers=[_("Figure"), _("Value")],
            rows=[[label, value] for _key, label, value in summary_rows(report)],
            definition=str(DEFINITIONS["trained"]),
            notes=[words["uk"], words["en"]],
        ),
        Table(
            key="results_trainings",
            title=_("Trainings held by course"),
            headers=[
                _("Code"),
                _("Course"),
                _("Days"),
                _("Trainings"),
                _("Training days"),
                _("Districts"),
                _("Participants"),
                _("Trained"),
            ],
            rows=trainings,
            definition=str(DEFINITIONS["cohort"]),
        ),
        Table(
            key="results_institution_types",
            title=_("People trained by institution type"),
            headers=[_("Institution type"), _("People trained")],
            rows=[[institution_type_label(t), n] for t, n in report.by_institution_type],
            definition=str(DEFINITIONS["institution_type"]),
            chart=Chart(label=0, values=(1,), title=_("People trained by institution type")),
        ),
        Table(
            key="results_positions",
            title=_("People trained by position"),
            headers=[_("Position"), _("People trained")],
            rows=[[p or _("Not stated"), n] for p, n in report.by_position],
            definition=str(DEFINITIONS["institution_type"]),
        ),
        Table(
            key="results_districts",
            title=_("Districts"),
            headers=[_("Region"), _("District"), _("Trainings"), _("People trained")],
            rows=[
                [region.display_name, district.display_name, district.cohorts, district.trained]
                for region in report.regions
                for district in region.districts
            ],
            definition=str(DEFINITIONS["districts"]),
            chart=Chart(label=1, values=(3,), title=_("People trained by district")),
        ),
        Table(
            key="results_cascade",
            title=_("Cascade reach by generation"),
            headers=[
                _("Generation"),
                _("People trained"),
                _("Trainings"),
                _("Step-down events"),
                _("Headcount"),
                _("Materials distributed"),
            ],
            rows=[
                [generation_label(g.generation), g.people, g.cohorts, g.events, g.headcount, g.materials]
                for g in report.by_generation
            ],
            definition=str(DEFINITIONS["reach"]),
            chart=Chart(
                label=0, values=(1, 4), title=_("Reach by generation: trained by name and headcount")
            ),
        ),
    ]


@table_source(order=10)
def results_tables(filters: ReportFilters) -> list[Table]:
    """The results report's tables for ``filters`` (registered for the exports)."""
    return tables_for(results_report(filters))
