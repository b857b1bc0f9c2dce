"""The results report: every figure a donor or a ministry asks for, for one set of filters.

Every figure is an aggregate over the cohorts in scope (``ReportFilters``), computed in the
database in a fixed number of statements whatever the size: one for every figure that counts
people (the scope's enrolments and certificates read once), one for the scores, one each for
the trainings by course, the districts and the step-down events; nothing loops over enrolments
in Python. Definitions (``lms.reports.tables.DEFINITIONS``):

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

from sqlalchemy import (
    Integer,
    String,
    and_,
    case,
    cast,
    func,
    literal_column,
    null,
    select,
    text,
    true,
    union_all,
)
from sqlalchemy.orm import aliased

from lms.accounts.models import User
from lms.assessments.models import Attempt, CohortTest
from lms.cascade.models import StepDownEvent, TrainerLineage
from lms.certificates.models import Certificate
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


# The people figures come back from one statement as rows (figure, id, text, text, a, b): one
# pass over the year's enrolments and certificates instead of one per figure.
_PARTICIPANTS, _TRAINED, _TRAINERS, _COURSE_ENROLLED, _COURSE_TRAINED = range(5)
_DISTRICT_TRAINED, _GENERATION, _PERSON = range(5, 8)


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


def _people(filters: ReportFilters, *, detail: bool) -> _People:
    """Every figure that counts people, each person once, in one statement: the cohorts in scope
    are read once, their enrolments (an index-only scan of the enrolled) once and their valid
    certificates (an index-only scan) once, and each figure aggregates those rows. ``detail``
    adds the breakdowns (by course, district, generation, institution type and position) to
    the four totals."""
    scoped = (
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
        .cte("scoped")
    )
    enrolled = (
        select(Enrollment.user_id, scoped.c.course_id)
        .join(scoped, scoped.c.cohort_id == Enrollment.cohort_id)
        .where(Enrollment.status == "enrolled")
        .cte("enrolled")
    )
    trained = (
        select(
            Certificate.user_id,
            Certificate.cohort_id,
            scoped.c.course_id,
            scoped.c.district_id,
            scoped.c.lineage_user_id,
            scoped.c.generation,
            # The trainers trained: a trainer certificate of a ToT training.
            case((and_(Certificate.kind == "trainer", scoped.c.is_tot.is_(True)), Certificate.user_id)).label(
                "trainer_id"
            ),
        )
        .join(scoped, scoped.c.cohort_id == Certificate.cohort_id)
        .where(Certificate.status == "valid")
        .cte("trained")
    )
    no_id, no_text = cast(null(), Integer), cast(null(), String)

    def figure(code: int, key=no_id, texts=(no_text, no_text), a=None, b=None):
        return (
            literal_column(str(code)).label("figure"),
            key.label("key"),
            texts[0].label("text"),
            texts[1].label("text_2"),
            a.label("a"),
            (b if b is not None else cast(null(), Integer)).label("b"),
        )

    people = func.count(func.distinct(enrolled.c.user_id))
    holders = func.count(func.distinct(trained.c.user_id))
    parts = [
        select(*figure(_PARTICIPANTS, a=people)).select_from(enrolled),
        select(*figure(_TRAINED, a=holders, b=func.count())).select_from(trained),
        select(*figure(_TRAINERS, a=func.count(func.distinct(trained.c.trainer_id)))).select_from(trained),
    ]
    if detail:
        position = func.trim(User.position)
        parts += [
            select(*figure(_COURSE_ENROLLED, enrolled.c.course_id, a=people)).group_by(enrolled.c.course_id),
            select(*figure(_COURSE_TRAINED, trained.c.course_id, a=holders)).group_by(trained.c.course_id),
            select(*figure(_DISTRICT_TRAINED, trained.c.district_id, a=holders)).group_by(
                trained.c.district_id
            ),
            select(
                *figure(
                    _GENERATION,
                    trained.c.generation,
                    a=holders,
                    b=func.count(func.distinct(trained.c.cohort_id)),
                )
            )
            .where(trained.c.lineage_user_id.is_not(None))
            .group_by(trained.c.generation),
            # Each person has one institution and one position: grouping the people trained by
            # both counts each once in either breakdown.
            select(*figure(_PERSON, texts=(Institution.type, position), a=func.count()))
            .select_from(User)
            .outerjoin(Institution, Institution.id == User.institution_id)
            # From the tables, not from the ``trained`` rows: PostgreSQL then knows how many
            # people that is (the rows of a WITH query have no statistics) and hashes them
            # instead of looking 300,000 people up one by one.
            .where(User.id.in_(filters.trained().with_only_columns(Certificate.user_id)))
            .group_by(Institution.type, position),
        ]
    found = _People()
    for code, key, label, label_2, a, b in db.session.execute(union_all(*parts)):
        a = int(a or 0)
        if code == _PARTICIPANTS:
            found.participants = a
        elif code == _TRAINED:
            found.trained, found.certificates = a, int(b or 0)
        elif code == _TRAINERS:
            found.trainers = a
        elif code == _COURSE_ENROLLED:
            found.enrolled_by_course[key] = a
        elif code == _COURSE_TRAINED:
            found.trained_by_course[key] = a
        elif code == _DISTRICT_TRAINED:
            found.trained_by_district[key] = a
        elif code == _GENERATION:
            found.by_generation[key] = (a, int(b or 0))
        else:
            kind, title = label or None, label_2 or None
            found.by_institution_type[kind] = found.by_institution_type.get(kind, 0) + a
            found.by_position[title] = found.by_position.get(title, 0) + a
    return found


def _largest_first(counts: dict[str | None, int]) -> list[tuple[str | None, int]]:
    """People trained grouped by one of their attributes, largest group first, "not stated" last
    among equals, then in Ukrainian alphabetical order."""
    return sorted(counts.items(), key=lambda item: (-item[1], item[0] is None, sort_key(item[0] or "", "uk")))


def _by_course(filters: ReportFilters, held, people: _People) -> list[CourseRow]:
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
    people = _people(filters, detail=False)
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
    the gain is averaged over. The one definition: the report and the dashboard both show it.

    Each participant's pre and post score are found within her own training: on PostgreSQL the
    trainings in scope are walked one by one (a LATERAL join), each reading its enrolled (an
    index-only scan) and its two tests' scored attempts (index-only scans of a few dozen rows),
    instead of joining every attempt of the year to every enrolment in one hash."""
    pre_test, post_test = aliased(CohortTest), aliased(CohortTest)
    scoped = (
        select(
            Cohort.id.label("cohort_id"),
            pre_test.id.label("pre_test_id"),
            post_test.id.label("post_test_id"),
        )
        .outerjoin(pre_test, and_(pre_test.cohort_id == Cohort.id, pre_test.phase == "pre"))
        .outerjoin(post_test, and_(post_test.cohort_id == Cohort.id, post_test.phase == "post"))
        .where(*filters.cohort_conditions())
        .subquery("scoped")
    )
    pre, post = aliased(Attempt), aliased(Attempt)

    def scored(attempt, test_id):
        return and_(
            attempt.test_id == test_id,
            attempt.enrollment_id == Enrollment.id,
            attempt.submitted_at.is_not(None),
            attempt.score_percent.is_not(None),
        )

    def with_scores(query):
        return query.outerjoin(pre, scored(pre, scoped.c.pre_test_id)).outerjoin(
            post, scored(post, scoped.c.post_test_id)
        )

    columns = (pre.score_percent.label("pre"), post.score_percent.label("post"))
    enrolled = Enrollment.status == "enrolled"
    if db.session.get_bind().dialect.name == "postgresql":
        rows = (
            with_scores(select(*columns).select_from(Enrollment))
            .where(Enrollment.cohort_id == scoped.c.cohort_id, enrolled)
            .lateral("participant")
        )
        source = select().select_from(scoped).join(rows, true())
    else:
        rows = with_scores(
            select(*columns)
            .select_from(scoped)
            .join(Enrollment, and_(Enrollment.cohort_id == scoped.c.cohort_id, enrolled))
        ).subquery("participant")
        source = select().select_from(rows)
    paired = and_(rows.c.pre.is_not(None), rows.c.post.is_not(None), rows.c.pre < 100)
    gain = case((paired, (rows.c.post - rows.c.pre) / (100 - rows.c.pre)))
    row = db.session.execute(
        source.add_columns(func.avg(rows.c.pre), func.avg(rows.c.post), func.avg(gain), func.count(gain))
    ).one()
    mean_pre, mean_post, mean_gain, participants_paired = row
    return (
        None if mean_pre is None else round(float(mean_pre), 2),
        None if mean_post is None else round(float(mean_post), 2),
        None if mean_gain is None else round(float(mean_gain), 3),
        int(participants_paired or 0),
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
    """Every figure of the results report for ``filters`` (five statements whatever the size,
    and the setting of JIT on PostgreSQL)."""
    _without_jit()
    held = _held(filters)
    people = _people(filters, detail=True)
    mean_pre, mean_post, gain, gain_participants = scores(filters)
    return ResultsReport(
        filters=filters,
        by_course=_by_course(filters, held, people),
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
