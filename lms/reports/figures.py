"""The results report: every figure a donor or a ministry asks for, for one set of filters.

Every figure is an aggregate over the cohorts in scope (``ReportFilters``) in a fixed number of
statements whatever the size. The people figures and the pre/post means come from each
cohort's figures kept as they are written (``lms.reports.kept``: its enrolled, trained and
trainers as bitmaps, its score sums), read in one statement with the cohorts in scope: each
person is counted once by the union of the cohorts' sets, per figure and per group (course,
district, generation); institution type and position from everyone's kept groups. Cohorts
whose figures are missing or stale are computed from their rows first (two more statements).
The trainings by course, the districts and the step-down events are one statement each.
Definitions (``lms.reports.tables.DEFINITIONS``):

- a *training* (cohort) counts in the period that holds its last day; its *training days* are
  its distinct session dates (the course's days when no session is planned);
- *participants*: enrolled and not withdrawn (nor waitlisted);
- *trained*: holds a valid certificate of a cohort in scope (``ReportFilters.trained``);
- *trainers trained*: holds a valid trainer certificate of a ToT cohort in scope;
- every people figure counts a person once, however many trainings she completed;
- *districts covered*: districts where at least one training in scope was held;
- pre/post means over participants with a submitted score; *normalized gain*
  (post − pre) ÷ (100 − pre) per participant with both (and pre < 100), averaged
  (as ``lms.assessments.analytics`` and ``lms.cascade.metrics``);
- *cascade*: people trained by the lead trainer's generation, and the step-down events
  (headcounts, materials) of the period in the regions and courses in scope.
"""

import math
from dataclasses import dataclass, field

from pyroaring import BitMap
from sqlalchemy import (
    func,
    select,
    text,
)

from lms.cascade.models import StepDownEvent, TrainerLineage
from lms.cohorts.models import Cohort, TrainingSession
from lms.core.collation import by_name, sort_key
from lms.core.i18n import localized
from lms.courses.models import Course
from lms.extensions import db
from lms.org.models import District, Region
from lms.reports.filters import ReportFilters
from lms.reports.kept import cohorts as kept
from lms.reports.kept import people as kept_people
from lms.reports.kept.cohorts import Figures


@dataclass
class CourseRow:
    """Trainings of one course in the report."""

    course_id: int
    code: str
    title: str
    title_en: str
    days: int  # the course's length, which names the training ("two-day")
    is_tot: bool
    cohorts: int
    training_days: int
    districts: int
    enrolled: int
    trained: int

    @property
    def display_title(self) -> str:
        return localized(self.title, self.title_en)


@dataclass
class DistrictRow:
    district_id: int
    name: str
    name_en: str
    cohorts: int
    trained: int

    @property
    def display_name(self) -> str:
        return localized(self.name, self.name_en)


@dataclass
class RegionCoverage:
    """A region in scope: its districts, those with a training and those without."""

    region_id: int
    name: str
    name_en: str
    districts: list[DistrictRow] = field(default_factory=list)

    @property
    def display_name(self) -> str:
        return localized(self.name, self.name_en)

    @property
    def covered(self) -> list[DistrictRow]:
        return [d for d in self.districts if d.cohorts]

    @property
    def uncovered(self) -> list[DistrictRow]:
        return [d for d in self.districts if not d.cohorts]


@dataclass
class GenerationRow:
    """The cascade by the generation of the trainer who delivered (0: master trainers).
    ``generation`` is None for step-down events of someone outside the cascade."""

    generation: int | None
    people: int = 0
    cohorts: int = 0
    events: int = 0
    headcount: int = 0
    materials: int = 0


@dataclass
class ResultsReport:
    filters: ReportFilters
    by_course: list[CourseRow]
    participants: int
    people_trained: int
    trainers_trained: int
    certificates_issued: int
    by_institution_type: list[tuple[str | None, int]]  # (type or None: not stated, people)
    by_position: list[tuple[str | None, int]]  # (position or None: not stated, people)
    regions: list[RegionCoverage]
    mean_pre: float | None
    mean_post: float | None
    normalized_gain: float | None
    gain_participants: int
    by_generation: list[GenerationRow]

    @property
    def cohorts(self) -> int:
        return sum(row.cohorts for row in self.by_course)

    @property
    def training_days(self) -> int:
        return sum(row.training_days for row in self.by_course)

    @property
    def districts_covered(self) -> int:
        return sum(len(region.covered) for region in self.regions)

    @property
    def step_down_events(self) -> int:
        return sum(row.events for row in self.by_generation)

    @property
    def step_down_headcount(self) -> int:
        return sum(row.headcount for row in self.by_generation)

    @property
    def materials_distributed(self) -> int:
        return sum(row.materials for row in self.by_generation)

    @property
    def is_empty(self) -> bool:
        return not self.by_course


def _held(filters: ReportFilters):
    """(cohort, course, district, training days) of every cohort in scope, as a subquery."""
    session_days = (
        select(func.count(func.distinct(TrainingSession.date)))
        .where(TrainingSession.cohort_id == Cohort.id)
        .correlate(Cohort)
        .scalar_subquery()
    )
    return (
        select(
            Cohort.id.label("cohort_id"),
            Cohort.course_id,
            Cohort.district_id,
            func.coalesce(func.nullif(session_days, 0), Course.days).label("days"),
        )
        .join(Course, Course.id == Cohort.course_id)
        .where(*filters.cohort_conditions())
        .subquery("held")
    )


@dataclass
class _People:
    participants: int = 0
    trained: int = 0
    trainers: int = 0
    certificates: int = 0
    enrolled_by_course: dict[int, int] = field(default_factory=dict)
    trained_by_course: dict[int, int] = field(default_factory=dict)
    trained_by_district: dict[int, int] = field(default_factory=dict)
    by_generation: dict[int, tuple[int, int]] = field(default_factory=dict)  # (people, cohorts)
    by_institution_type: dict[str | None, int] = field(default_factory=dict)
    by_position: dict[str | None, int] = field(default_factory=dict)


@dataclass
class _Cohort:
    """A cohort in scope with what groups it, and its kept figures."""

    course_id: int
    district_id: int
    is_tot: bool
    generation: int | None  # None: its lead trainer is not in the cascade's lineage
    figures: Figures


def _cohorts(filters: ReportFilters) -> list[_Cohort]:
    """Every cohort in scope with its figures (``lms.reports.kept``): one statement when they
    are all kept, three when some must be computed first."""
    scope = (
        select(
            Cohort.id.label("cohort_id"),
            Cohort.course_id,
            Cohort.district_id,
            Course.is_tot,
            TrainerLineage.user_id.label("lineage_user_id"),
            TrainerLineage.generation,
        )
        .join(Course, Course.id == Cohort.course_id)
        .outerjoin(TrainerLineage, TrainerLineage.user_id == Cohort.lead_trainer_id)
        .where(*filters.cohort_conditions())
        .subquery("scoped")
    )
    return [
        _Cohort(course_id, district_id, bool(is_tot), None if lineage is None else generation, figures)
        for _id, course_id, district_id, is_tot, lineage, generation, figures in kept.figures_of(scope)
    ]


def _joined(sets) -> BitMap:
    """The union of bitmaps, each person once."""
    sets = list(sets)
    return BitMap.union(*sets) if sets else BitMap()


def _by(parts: dict[tuple, BitMap], position: int) -> dict:
    """People counted once per value of one element of the parts' keys."""
    grouped: dict = {}
    for key, people in parts.items():
        grouped.setdefault(key[position], []).append(people)
    return {value: len(_joined(sets)) for value, sets in grouped.items()}


def _people(cohorts: list[_Cohort], *, detail: bool) -> _People:
    """Every figure that counts people, each person once: unions of the cohorts' kept sets.
    ``detail`` adds the breakdowns (by course, district, generation, institution type and
    position) to the four totals.

    Each cohort's sets are joined once, into one bitmap per course (the enrolled) and per
    (course, district, generation) (the trained); every figure is then a union of those few
    bitmaps."""
    enrolled_parts: dict[int, list[bytes]] = {}
    trained_parts: dict[tuple, list[bytes]] = {}
    cohorts_by_generation: dict[int, int] = {}
    for cohort in cohorts:
        figures = cohort.figures
        enrolled_parts.setdefault(cohort.course_id, []).append(figures.enrolled)
        if figures.certificates:
            key = (cohort.course_id, cohort.district_id, cohort.generation)
            trained_parts.setdefault(key, []).append(figures.trained)
            if cohort.generation is not None:
                # Cohorts by generation: those with at least one person trained.
                cohorts_by_generation[cohort.generation] = cohorts_by_generation.get(cohort.generation, 0) + 1
    enrolled = {course: kept.union(sets) for course, sets in enrolled_parts.items()}
    trained_by = {key: kept.union(sets) for key, sets in trained_parts.items()}
    trained = _joined(trained_by.values())
    found = _People(
        participants=len(_joined(enrolled.values())),
        trained=len(trained),
        # The trainers trained: a trainer certificate of a ToT training.
        trainers=len(kept.union([c.figures.trainers for c in cohorts if c.is_tot])),
        certificates=sum(c.figures.certificates for c in cohorts),
    )
    if not detail:
        return found
    found.enrolled_by_course = {course: len(people) for course, people in enrolled.items()}
    found.trained_by_course = _by(trained_by, 0)
    found.trained_by_district = _by(trained_by, 1)
    in_lineage = {key: people for key, people in trained_by.items() if key[2] is not None}
    found.by_generation = {
        generation: (people, cohorts_by_generation[generation])
        for generation, people in _by(in_lineage, 2).items()
    }
    # Each person has one institution and one position: the people trained grouped by both
    # counts each once in either breakdown.
    for (kind, title), count in kept_people.by_group(trained).items():
        found.by_institution_type[kind] = found.by_institution_type.get(kind, 0) + count
        found.by_position[title] = found.by_position.get(title, 0) + count
    return found


def _largest_first(counts: dict[str | None, int]) -> list[tuple[str | None, int]]:
    """People trained grouped by one of their attributes, largest group first, "not stated" last
    among equals, then in Ukrainian alphabetical order."""
    return sorted(counts.items(), key=lambda item: (-item[1], item[0] is None, sort_key(item[0] or "", "uk")))


def _by_course(held, people: _People) -> list[CourseRow]:
    per_course = (
        select(
            held.c.course_id,
            func.count(held.c.cohort_id).label("cohorts"),
            func.sum(held.c.days).label("days"),
            func.count(func.distinct(held.c.district_id)).label("districts"),
        )
        .group_by(held.c.course_id)
        .subquery("per_course")
    )
    rows = db.session.execute(
        select(
            Course.id,
            Course.code,
            Course.title,
            Course.title_en,
            Course.days,
            Course.is_tot,
            per_course.c.cohorts,
            per_course.c.days,
            per_course.c.districts,
        )
        .join(per_course, per_course.c.course_id == Course.id)
        .order_by(per_course.c.cohorts.desc(), Course.code)
    ).all()
    return [
        CourseRow(
            course_id=row[0],
            code=row[1],
            title=row[2],
            title_en=row[3] or "",
            days=row[4],
            is_tot=bool(row[5]),
            cohorts=int(row[6]),
            training_days=int(row[7] or 0),
            districts=int(row[8]),
            enrolled=people.enrolled_by_course.get(row[0], 0),
            trained=people.trained_by_course.get(row[0], 0),
        )
        for row in rows
    ]


def totals(filters: ReportFilters) -> tuple[int, int, int, int]:
    """(participants, people trained, trainers trained, certificates issued), each person once.
    The one definition of these figures: the report and the dashboard both show it."""
    people = _people(_cohorts(filters), detail=False)
    return people.participants, people.trained, people.trainers, people.certificates


def _coverage(filters: ReportFilters, held, people: _People) -> list[RegionCoverage]:
    """Every district of the regions in scope with its trainings and people trained. Without a
    region filter (an admin's whole programme) the regions in scope are those with a training."""
    per_district = (
        select(held.c.district_id, func.count(held.c.cohort_id).label("cohorts"))
        .group_by(held.c.district_id)
        .subquery("held_in")
    )
    if filters.region_ids is not None:
        regions = District.region_id.in_(filters.region_ids)
    else:
        regions = District.region_id.in_(
            select(District.region_id).where(District.id.in_(select(held.c.district_id)))
        )
    rows = db.session.execute(
        select(
            Region.id,
            Region.name,
            Region.name_en,
            District.id,
            District.name,
            District.name_en,
            func.coalesce(per_district.c.cohorts, 0),
        )
        .join(Region, Region.id == District.region_id)
        .outerjoin(per_district, per_district.c.district_id == District.id)
        .where(regions)
        .order_by(by_name(Region.name, Region.name_en), by_name(District.name, District.name_en))
    ).all()
    coverage: dict[int, RegionCoverage] = {}
    for region_id, region, region_en, district_id, name, name_en, cohorts in rows:
        entry = coverage.setdefault(region_id, RegionCoverage(region_id, region, region_en or ""))
        trained = people.trained_by_district.get(district_id, 0)
        entry.districts.append(DistrictRow(district_id, name, name_en or "", int(cohorts), trained))
    return list(coverage.values())


def scores(filters: ReportFilters) -> tuple[float | None, float | None, float | None, int]:
    """Mean pre, mean post and mean normalized gain of the participants in scope, and how many
    the gain is averaged over. The one definition: the report and the dashboard both show it."""
    return _scores(_cohorts(filters))


def _scores(cohorts: list[_Cohort]) -> tuple[float | None, float | None, float | None, int]:
    """The means from the cohorts' kept sums and counts (each participant is in one cohort)."""

    def mean(total: float, count: int, digits: int) -> float | None:
        return round(total / count, digits) if count else None

    pre_n = sum(c.figures.pre_n for c in cohorts)
    post_n = sum(c.figures.post_n for c in cohorts)
    gain_n = sum(c.figures.gain_n for c in cohorts)
    return (
        mean(math.fsum(c.figures.pre_sum for c in cohorts), pre_n, 2),
        mean(math.fsum(c.figures.post_sum for c in cohorts), post_n, 2),
        mean(math.fsum(c.figures.gain_sum for c in cohorts), gain_n, 3),
        gain_n,
    )


def _step_down(filters: ReportFilters) -> list:
    """The conditions on ``StepDownEvent`` of the period, the regions and the courses in scope."""
    conditions = []
    if filters.start is not None:
        conditions.append(StepDownEvent.date >= filters.start)
    if filters.end is not None:
        conditions.append(StepDownEvent.date <= filters.end)
    if filters.region_ids is not None:
        conditions.append(
            StepDownEvent.district_id.in_(
                select(District.id).where(District.region_id.in_(filters.region_ids))
            )
        )
    if filters.course_ids is not None:
        conditions.append(StepDownEvent.course_id.in_(filters.course_ids))
    return conditions


def _cascade(filters: ReportFilters, people: _People) -> list[GenerationRow]:
    generations: dict[int | None, GenerationRow] = {
        generation: GenerationRow(generation, people=trained, cohorts=cohorts)
        for generation, (trained, cohorts) in people.by_generation.items()
    }
    for generation, events, headcount, materials in db.session.execute(
        select(
            TrainerLineage.generation,
            func.count(),
            func.sum(StepDownEvent.headcount),
            func.sum(StepDownEvent.materials_distributed),
        )
        .select_from(StepDownEvent)
        .outerjoin(TrainerLineage, TrainerLineage.user_id == StepDownEvent.trainer_id)
        .where(*_step_down(filters))
        .group_by(TrainerLineage.generation)
    ):
        row = generations.setdefault(generation, GenerationRow(generation))
        row.events, row.headcount, row.materials = int(events), int(headcount or 0), int(materials or 0)
    return [generations[g] for g in sorted(generations, key=lambda g: (g is None, g or 0))]


def _without_jit() -> None:
    """PostgreSQL's JIT compiles a statement whose estimated cost is high, as a report's is at
    national size: seconds of compiling for a statement that runs in a fraction of one (measured
    in bench/README.md). Off for the rest of this transaction."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL jit = off"))


def results_report(filters: ReportFilters) -> ResultsReport:
    """Every figure of the results report for ``filters`` (five statements whatever the size
    when the figures are kept, and the setting of JIT on PostgreSQL)."""
    _without_jit()
    held = _held(filters)
    cohorts = _cohorts(filters)
    people = _people(cohorts, detail=True)
    mean_pre, mean_post, gain, gain_participants = _scores(cohorts)
    return ResultsReport(
        filters=filters,
        by_course=_by_course(held, people),
        participants=people.participants,
        people_trained=people.trained,
        trainers_trained=people.trainers,
        certificates_issued=people.certificates,
        by_institution_type=_largest_first(people.by_institution_type),
        by_position=_largest_first(people.by_position),
        regions=_coverage(filters, held, people),
        mean_pre=mean_pre,
        mean_post=mean_post,
        normalized_gain=gain,
        gain_participants=gain_participants,
        by_generation=_cascade(filters, people),
    )
