"""The results report: every figure a donor or a ministry asks for, for one set of filters.

Each figure is one aggregate statement over the cohorts in scope (``ReportFilters``), so the
report runs the same number of statements for ten participants or a million; nothing loops over
enrolments in Python. Definitions (``lms.reports.tables.DEFINITIONS``):

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

from dataclasses import dataclass, field

from sqlalchemy import Select, and_, case, func, select

from lms.accounts.models import User
from lms.assessments.models import Attempt, CohortTest
from lms.cascade.models import StepDownEvent, TrainerLineage
from lms.cohorts.models import Cohort, Enrollment, TrainingSession
from lms.core.collation import by_name, sort_key
from lms.core.i18n import localized
from lms.courses.models import Course
from lms.extensions import db
from lms.org.models import District, Institution, Region
from lms.reports.filters import ReportFilters


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


def _scoped_cohorts(filters: ReportFilters):
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
        .where(Cohort.id.in_(filters.cohort_ids()))
        .subquery("scoped")
    )


def _enrolled(filters: ReportFilters) -> Select:
    return select(Enrollment.user_id, Enrollment.cohort_id).where(
        Enrollment.status == "enrolled", Enrollment.cohort_id.in_(filters.cohort_ids())
    )


def _tot_cohorts() -> Select:
    return select(Cohort.id).join(Course, Course.id == Cohort.course_id).where(Course.is_tot.is_(True))


def _by_course(filters: ReportFilters, scoped) -> list[CourseRow]:
    held = (
        select(
            scoped.c.course_id,
            func.count(scoped.c.cohort_id).label("cohorts"),
            func.sum(scoped.c.days).label("days"),
            func.count(func.distinct(scoped.c.district_id)).label("districts"),
        )
        .group_by(scoped.c.course_id)
        .subquery("held")
    )
    enrolled_rows = _enrolled(filters).subquery()
    enrolled = (
        select(Cohort.course_id, func.count(func.distinct(enrolled_rows.c.user_id)).label("people"))
        .join(Cohort, Cohort.id == enrolled_rows.c.cohort_id)
        .group_by(Cohort.course_id)
        .subquery("enrolled")
    )
    trained_rows = filters.trained().subquery()
    trained = (
        select(Cohort.course_id, func.count(func.distinct(trained_rows.c.user_id)).label("people"))
        .join(Cohort, Cohort.id == trained_rows.c.cohort_id)
        .group_by(Cohort.course_id)
        .subquery("trained")
    )
    rows = db.session.execute(
        select(
            Course.id,
            Course.code,
            Course.title,
            Course.title_en,
            Course.days,
            Course.is_tot,
            held.c.cohorts,
            held.c.days,
            held.c.districts,
            func.coalesce(enrolled.c.people, 0),
            func.coalesce(trained.c.people, 0),
        )
        .join(held, held.c.course_id == Course.id)
        .outerjoin(enrolled, enrolled.c.course_id == Course.id)
        .outerjoin(trained, trained.c.course_id == Course.id)
        .order_by(held.c.cohorts.desc(), Course.code)
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
            enrolled=int(row[9]),
            trained=int(row[10]),
        )
        for row in rows
    ]


def totals(filters: ReportFilters) -> tuple[int, int, int, int]:
    """(participants, people trained, trainers trained, certificates issued), each person once.
    The one definition of these figures: the report and the dashboard both show it."""
    enrolled = _enrolled(filters).subquery()
    trained = filters.trained().subquery()
    row = db.session.execute(
        select(
            select(func.count(func.distinct(enrolled.c.user_id))).scalar_subquery(),
            select(func.count(func.distinct(trained.c.user_id))).scalar_subquery(),
            select(func.count(func.distinct(trained.c.user_id)))
            .where(trained.c.kind == "trainer", trained.c.cohort_id.in_(_tot_cohorts()))
            .scalar_subquery(),
            select(func.count(trained.c.certificate_id)).scalar_subquery(),
        )
    ).one()
    return tuple(int(value or 0) for value in row)


def _by_person_attribute(filters: ReportFilters, column) -> list[tuple[str | None, int]]:
    """People trained grouped by one of their attributes, largest group first."""
    trained = filters.trained().subquery()
    key = column.label("key")
    rows = db.session.execute(
        select(key, func.count(func.distinct(trained.c.user_id)))
        .select_from(trained)
        .join(User, User.id == trained.c.user_id)
        .outerjoin(Institution, Institution.id == User.institution_id)
        .group_by(key)
    ).all()
    counted = [((value or None), int(people)) for value, people in rows]
    return sorted(counted, key=lambda item: (-item[1], item[0] is None, sort_key(item[0] or "", "uk")))


def _coverage(filters: ReportFilters, scoped) -> list[RegionCoverage]:
    """Every district of the regions in scope with its trainings and people trained. Without a
    region filter (an admin's whole programme) the regions in scope are those with a training."""
    held = (
        select(scoped.c.district_id, func.count(scoped.c.cohort_id).label("cohorts"))
        .group_by(scoped.c.district_id)
        .subquery("held_in")
    )
    trained_rows = filters.trained().subquery()
    trained = (
        select(Cohort.district_id, func.count(func.distinct(trained_rows.c.user_id)).label("people"))
        .join(Cohort, Cohort.id == trained_rows.c.cohort_id)
        .group_by(Cohort.district_id)
        .subquery("trained_in")
    )
    if filters.region_ids is not None:
        regions = District.region_id.in_(filters.region_ids)
    else:
        regions = District.region_id.in_(
            select(District.region_id).where(District.id.in_(select(scoped.c.district_id)))
        )
    rows = db.session.execute(
        select(
            Region.id,
            Region.name,
            Region.name_en,
            District.id,
            District.name,
            District.name_en,
            func.coalesce(held.c.cohorts, 0),
            func.coalesce(trained.c.people, 0),
        )
        .join(Region, Region.id == District.region_id)
        .outerjoin(held, held.c.district_id == District.id)
        .outerjoin(trained, trained.c.district_id == District.id)
        .where(regions)
        .order_by(by_name(Region.name, Region.name_en), by_name(District.name, District.name_en))
    ).all()
    coverage: dict[int, RegionCoverage] = {}
    for region_id, region, region_en, district_id, name, name_en, cohorts, people in rows:
        entry = coverage.setdefault(region_id, RegionCoverage(region_id, region, region_en or ""))
        entry.districts.append(DistrictRow(district_id, name, name_en or "", int(cohorts), int(people)))
    return list(coverage.values())


def scores(filters: ReportFilters) -> tuple[float | None, float | None, float | None, int]:
    """Mean pre, mean post and mean normalized gain of the participants in scope, and how many
    the gain is averaged over. The one definition: the report and the dashboard both show it."""

    def phase(name: str):
        return (
            select(Attempt.enrollment_id, Attempt.score_percent.label("score"))
            .join(CohortTest, CohortTest.id == Attempt.test_id)
            .where(
                CohortTest.phase == name,
                # Only the trainings in scope: the planner then reads their attempts by index
                # instead of every attempt of the programme.
                CohortTest.cohort_id.in_(filters.cohort_ids()),
                Attempt.submitted_at.is_not(None),
                Attempt.score_percent.is_not(None),
            )
            .subquery(name)
        )

    pre, post = phase("pre"), phase("post")
    paired = and_(pre.c.score.is_not(None), post.c.score.is_not(None), pre.c.score < 100)
    gain = case((paired, (post.c.score - pre.c.score) / (100 - pre.c.score)))
    row = db.session.execute(
        select(func.avg(pre.c.score), func.avg(post.c.score), func.avg(gain), func.count(gain))
        .select_from(Enrollment)
        .outerjoin(pre, pre.c.enrollment_id == Enrollment.id)
        .outerjoin(post, post.c.enrollment_id == Enrollment.id)
        .where(Enrollment.status == "enrolled", Enrollment.cohort_id.in_(filters.cohort_ids()))
    ).one()
    mean_pre, mean_post, mean_gain, participants = row
    return (
        None if mean_pre is None else round(float(mean_pre), 2),
        None if mean_post is None else round(float(mean_post), 2),
        None if mean_gain is None else round(float(mean_gain), 3),
        int(participants or 0),
    )


def _step_down(filters: ReportFilters) -> Select:
    """Step-down events of the period, in the regions and of the courses in scope."""
    query = select(StepDownEvent.id)
    if filters.start is not None:
        query = query.where(StepDownEvent.date >= filters.start)
    if filters.end is not None:
        query = query.where(StepDownEvent.date <= filters.end)
    if filters.region_ids is not None:
        query = query.where(
            StepDownEvent.district_id.in_(
                select(District.id).where(District.region_id.in_(filters.region_ids))
            )
        )
    if filters.course_ids is not None:
        query = query.where(StepDownEvent.course_id.in_(filters.course_ids))
    return query


def _cascade(filters: ReportFilters) -> list[GenerationRow]:
    trained = filters.trained().subquery()
    generations: dict[int | None, GenerationRow] = {}
    for generation, people, cohorts in db.session.execute(
        select(
            TrainerLineage.generation,
            func.count(func.distinct(trained.c.user_id)),
            func.count(func.distinct(trained.c.cohort_id)),
        )
        .select_from(trained)
        .join(Cohort, Cohort.id == trained.c.cohort_id)
        .join(TrainerLineage, TrainerLineage.user_id == Cohort.lead_trainer_id)
        .group_by(TrainerLineage.generation)
    ):
        generations[generation] = GenerationRow(generation, people=int(people), cohorts=int(cohorts))
    for generation, events, headcount, materials in db.session.execute(
        select(
            TrainerLineage.generation,
            func.count(StepDownEvent.id),
            func.sum(StepDownEvent.headcount),
            func.sum(StepDownEvent.materials_distributed),
        )
        .outerjoin(TrainerLineage, TrainerLineage.user_id == StepDownEvent.trainer_id)
        .where(StepDownEvent.id.in_(_step_down(filters)))
        .group_by(TrainerLineage.generation)
    ):
        row = generations.setdefault(generation, GenerationRow(generation))
        row.events, row.headcount, row.materials = int(events), int(headcount or 0), int(materials or 0)
    return [generations[g] for g in sorted(generations, key=lambda g: (g is None, g or 0))]


def results_report(filters: ReportFilters) -> ResultsReport:
    """Every figure of the results report for ``filters`` (eight statements whatever the size)."""
    scoped = _scoped_cohorts(filters)
    participants, people_trained, trainers_trained, certificates = totals(filters)
    mean_pre, mean_post, gain, gain_participants = scores(filters)
    return ResultsReport(
        filters=filters,
        by_course=_by_course(filters, scoped),
        participants=participants,
        people_trained=people_trained,
        trainers_trained=trainers_trained,
        certificates_issued=certificates,
        by_institution_type=_by_person_attribute(filters, Institution.type),
        by_position=_by_person_attribute(filters, func.trim(User.position)),
        regions=_coverage(filters, scoped),
        mean_pre=mean_pre,
        mean_post=mean_post,
        normalized_gain=gain,
        gain_participants=gain_participants,
        by_generation=_cascade(filters),
    )
