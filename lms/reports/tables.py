"""What every report output shares: the definitions behind its figures, and its tables.

A *table* is what a page shows and an export writes: a title, column headers and rows. Features
register the functions that build their tables for a set of filters; the exports write every
registered table (one XLSX sheet, one CSV file, one PDF section each) without knowing who built
it. Rows may be a generator, so that a million of them stream through in constant memory."""

from collections.abc import Callable, Iterable, Sequence, Sized
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from lms.reports.filters import ReportFilters

# The definition behind each figure, shown next to it on the page and written into exports.
DEFINITIONS = {
    "trained": _l(
        "Trained: completed a training under its course's rule (attendance and post-test pass mark) "
        "and holds its valid certificate; a person counts once per figure however many trainings "
        "she completed. Revoked and replaced certificates do not count."
    ),
    "cohort": _l(
        "Training (cohort): one delivery of a course, under way or closed, counted in the period that "
        "holds its last day; drafts, scheduled and cancelled trainings are not counted."
    ),
    "participants": _l("Participants: people enrolled in a training and not withdrawn."),
    "trainers_trained": _l("Trainers trained: people trained in a training-of-trainers course."),
    "certificates": _l("Certificates issued: valid certificates of the trainings in the report."),
    "gain": _l(
        "Normalized gain: (post − pre) ÷ (100 − pre) for each participant with both tests, averaged; "
        "means of the pre- and post-test in percent."
    ),
    "districts": _l(
        "Districts covered: districts where at least one training of the report was held; for each "
        "region in the report, the districts without one are listed."
    ),
    "institution_type": _l(
        "By institution type and position: people trained, by the type of the institution they work "
        "for and their position as recorded in their profile today."
    ),
    "reach": _l(
        "Cascade reach: people trained by name by trainers of each generation (master trainers are "
        "generation 0), plus the headcounts of their step-down events."
    ),
}


@dataclass(frozen=True)
class Chart:
    """How a printed report draws a table as bars: one bar group per row, labelled by the
    ``label`` column, one bar series per column of ``values`` (indexes into the row)."""

    label: int
    values: tuple[int, ...]
    title: str = ""


@dataclass
class Table:
    """One table of a report. ``key`` names it in code and URLs; ``rows`` holds plain values.

    ``count`` (optional) tells how many rows a generator will give without running it, for a
    job's progress; a list's length is known anyway. ``chart`` (optional) asks the PDF for bars."""

    key: str
    title: str
    headers: Sequence[str]
    rows: Iterable[Sequence]
    definition: str = ""
    notes: list[str] = field(default_factory=list)
    count: Callable[[], int] | None = None
    chart: Chart | None = None

    def size(self) -> int | None:
        """How many rows the table has, when that is known without reading them."""
        if self.count is not None:
            return self.count()
        return len(self.rows) if isinstance(self.rows, Sized) else None


TableSource = Callable[[ReportFilters], list[Table]]
_SOURCES: dict[TableSource, int] = {}


def table_source(function: TableSource | None = None, *, order: int = 100):
    """Register a function that builds tables for a report's filters (a decorator, bare or
    with ``order``: lower comes first, so the summary precedes the long lists whichever
    module the app happens to import first)."""

    def register(source: TableSource) -> TableSource:
        _SOURCES.setdefault(source, order)
        return source

    return register(function) if function is not None else register


def report_tables(filters: ReportFilters) -> list[Table]:
    """Every registered table for ``filters``, by ``order``, then in registration order."""
    sources = sorted(_SOURCES, key=_SOURCES.get)  # sorted() is stable: ties keep registration order
    return [table for source in sources for table in source(filters)]
