"""The dashboard's and the coverage page's figures, over a report's filters.

Every figure is one set-based statement (grouped in SQL), so a page runs the same statements
for one training as for ten thousand. The definitions are ``lms.reports.tables.DEFINITIONS``:
a training counts in the month of its last day; *trained* means a valid certificate of a
training in scope, each person once per figure; pre/post means are over participants (not
withdrawn) with both tests; the cascade's reach and activation come from
``lms.cascade.metrics``.
"""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, case, extract, func, select
from sqlalchemy.orm import aliased

from lms.assessments.models import Attempt, CohortTest
from lms.cascade import metrics
from lms.cohorts.models import Cohort, Enrollment
from lms.core.collation import sort_key
from lms.core.i18n import localized
from lms.courses.models import Course
from lms.extensions import db
from lms.org.models import District, Region
from lms.reports import figures as report_figures
from lms.reports.filters import ReportFilters


@dataclass
class CourseScores:
    course_id: int
    code: str
    title: str
    participants: int  # with both tests
    pre: float | None
    post: float | None
    gain: float | None
    gain_participants: int  # with both tests and a pre-test below 100 %


@dataclass
class Headline:
    trainings: int = 0
    people_trained: int = 0
    trainers_trained: int = 0
    certificates: int = 0
    pre: float | None = None
    post: float | None = None
    gain: float | None = None
    trainers_accredited: int = 0
    active_trainers: int = 0
    eligible_trainers: int = 0
    activation_rate: float | None = None
    dormant_trainers: int = 0
    activation_days: int = 90


@dataclass
class Area:
    """A region or a district with the people trained there."""

    id: int
    name: str
    people: int


@dataclass
class Dashboard:
    filters: ReportFilters
    headline: Headline
    months: list[tuple[date, int]]  # first day of the month, trainings that ended in it
    area_kind: str  # "region" or "district"
    areas: list[Area]
    courses: list[CourseScores]
    generations: list[metrics.Generation]
    activation: list[dict] = field(default_factory=list)


def _scope(filters: ReportFilters) -> metrics.Scope:
    return metrics.Scope(
        start=filters.start, end=filters.end, region_ids=filters.region_ids, course_ids=filters.course_ids
    )


def trainings_by_month(filters: ReportFilters) -> list[tuple[date, int]]:
    """Trainings by the month of their last day, every month of the period (or, without a
    start, from the first month with one) including empty ones, oldest first."""
    year, month = extract("year", Cohort.end_date), extract("month", Cohort.end_date)
    counted = {
        (int(y), int(m)): n
        for y, m, n in db.session.execute(
            select(year, month, func.count(Cohort.id))
            .where(Cohort.id.in_(filters.cohort_ids()))
            .group_by(year, month)
        )
    }
    first = (filters.start.year, filters.start.month) if filters.start else min(counted, default=None)
    last = (filters.end.year, filters.end.month) if filters.end else max(counted, default=None)
    if first is None or last is None:
        return []
    if counted:
        first, last = min(first, min(counted)), max(last, max(counted))
    months = []
    y, m = first
    while (y, m) <= last and len(months) < 240:
        months.append((date(y, m, 1), counted.get((y, m), 0)))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months


def scores_by_course(filters: ReportFilters) -> list[CourseScores]:
    """Mean pre- and post-test and normalized gain per course, over enrolled (not withdrawn)
    participants with both tests submitted, in alphabetical order of the course's code."""
    pre_test, post_test = aliased(CohortTest), aliased(CohortTest)
    pre, post = aliased(Attempt), aliased(Attempt)
    gain = case(
        (pre.score_percent < 100, (post.score_percent - pre.score_percent) / (100 - pre.score_percent))
    )
    rows = db.session.execute(
        select(
            Course.id,
            Course.code,
            Course.title,
            Course.title_en,
            func.count(pre.id),
            func.avg(pre.score_percent),
            func.avg(post.score_percent),
            func.avg(gain),
            func.count(gain),
        )
        .select_from(Cohort)
        .join(Course, Course.id == Cohort.course_id)
        .join(pre_test, and_(pre_test.cohort_id == Cohort.id, pre_test.phase == "pre"))
        .join(post_test, and_(post_test.cohort_id == Cohort.id, post_test.phase == "post"))
        .join(pre, and_(pre.test_id == pre_test.id, pre.submitted_at.is_not(None)))
        .join(
            post,
            and_(
                post.test_id == post_test.id,
                post.enrollment_id == pre.enrollment_id,
                post.submitted_at.is_not(None),
            ),
        )
        .join(Enrollment, and_(Enrollment.id == pre.enrollment_id, Enrollment.status == "enrolled"))
        .where(
            Cohort.id.in_(filters.cohort_ids()),
            pre.score_percent.is_not(None),
            post.score_percent.is_not(None),
        )
        .group_by(Course.id, Course.code, Course.title, Course.title_en)
    ).all()
    scores = [
        CourseScores(
            course_id,
            code,
            localized(title, title_en),
            count,
            _round(pre_mean),
            _round(post_mean),
            None if gain_mean is None else round(float(gain_mean), 3),
            gain_count,
        )
        for course_id, code, title, title_en, count, pre_mean, post_mean, gain_mean, gain_count in rows
    ]
    return sorted(scores, key=lambda row: sort_key(row.code))


def _round(value) -> float | None:
    return None if value is None else round(float(value), 1)


def people_by_area(filters: ReportFilters, kind: str) -> list[Area]:
    """People trained (each once per area) by region or by district, alphabetical. Districts
    come with zeros (every district of the regions in scope); regions only where someone was
    trained."""
    trained = filters.trained().subquery()
    located = (
        select(trained.c.user_id, District.id.label("district_id"), District.region_id)
        .join(Cohort, Cohort.id == trained.c.cohort_id)
        .join(District, District.id == Cohort.district_id)
        .subquery()
    )
    if kind == "district":
        query = (
            select(District.id, District.name, District.name_en, func.count(func.distinct(located.c.user_id)))
            .outerjoin(located, located.c.district_id == District.id)
            .group_by(District.id, District.name, District.name_en)
        )
        if filters.region_ids is not None:
            query = query.where(District.region_id.in_(filters.region_ids))
    else:
        query = (
            select(Region.id, Region.name, Region.name_en, func.count(func.distinct(located.c.user_id)))
            .join(located, located.c.region_id == Region.id)
            .group_by(Region.id, Region.name, Region.name_en)
        )
    areas = [
        Area(i, localized(name, name_en), people) for i, name, name_en, people in db.session.execute(query)
    ]
    return sorted(areas, key=lambda area: sort_key(area.name))


def area_kind(filters: ReportFilters, viewer) -> str:
    """Districts for a coordinator or for one region chosen; regions for the whole country."""
    if not viewer.has_role("admin") or (filters.region_ids is not None and len(filters.region_ids) == 1):
        return "district"
    return "region"


def dashboard(filters: ReportFilters, viewer, today: date) -> Dashboard:
    """Everything the dashboard shows, in a fixed number of statements."""
    months = trainings_by_month(filters)
    _participants, people, trainers, certificates = report_figures.totals(filters)
    pre, post, gain, _gain_participants = report_figures.scores(filters)
    courses = scores_by_course(filters)
    scope = _scope(filters)
    activation = metrics.activation(scope, today)
    headline = Headline(
        trainings=sum(n for _month, n in months),
        people_trained=people,
        trainers_trained=trainers,
        certificates=certificates,
        pre=pre,
        post=post,
        gain=gain,
        trainers_accredited=activation["trainers_accredited"],
        active_trainers=activation["active_trainers"],
        eligible_trainers=activation["eligible"],
        activation_rate=activation["activation_rate"],
        dormant_trainers=len(activation["dormant_ids"]),
        activation_days=activation["activation_days"],
    )
    kind = area_kind(filters, viewer)
    return Dashboard(
        filters=filters,
        headline=headline,
        months=months,
        area_kind=kind,
        areas=people_by_area(filters, kind),
        courses=courses,
        generations=metrics.reach_by_generation(scope),
        activation=activation["by_generation"],
    )


# Coverage ---------------------------------------------------------------------------------


@dataclass
class DistrictCoverage:
    id: int
    name: str
    trainings: int = 0
    people: int = 0

    @property
    def covered(self) -> bool:
        return self.trainings > 0


@dataclass
class RegionCoverage:
    id: int
    name: str
    districts: list[DistrictCoverage] = field(default_factory=list)
    people: int = 0  # each person once in the region, not the sum of its districts

    @property
    def trainings(self) -> int:
        return sum(d.trainings for d in self.districts)

    @property
    def covered(self) -> int:
        return sum(1 for d in self.districts if d.covered)

    @property
    def uncovered(self) -> list[DistrictCoverage]:
        return [d for d in self.districts if not d.covered]


@dataclass
class Coverage:
    regions: list[RegionCoverage]
    people: int  # each person once in all

    @property
    def districts(self) -> int:
        return sum(len(r.districts) for r in self.regions)

    @property
    def covered(self) -> int:
        return sum(r.covered for r in self.regions)

    @property
    def trainings(self) -> int:
        return sum(r.trainings for r in self.regions)


def coverage(filters: ReportFilters) -> Coverage:
    """Every district of the regions in scope with the trainings held and the people trained
    there, grouped by region, both in Ukrainian alphabetical order; four statements."""
    region_filter = [] if filters.region_ids is None else [Region.id.in_(filters.region_ids)]
    regions: dict[int, RegionCoverage] = {}
    districts: dict[int, DistrictCoverage] = {}
    for region_id, region_name, region_name_en, district_id, name, name_en in db.session.execute(
        select(Region.id, Region.name, Region.name_en, District.id, District.name, District.name_en)
        .outerjoin(District, District.region_id == Region.id)
        .where(*region_filter)
    ):
        region = regions.setdefault(
            region_id, RegionCoverage(region_id, localized(region_name, region_name_en))
        )
        if district_id is not None:
            district = DistrictCoverage(district_id, localized(name, name_en))
            districts[district_id] = district
            region.districts.append(district)
    for district_id, count in db.session.execute(
        select(Cohort.district_id, func.count(Cohort.id))
        .where(Cohort.id.in_(filters.cohort_ids()))
        .group_by(Cohort.district_id)
    ):
        if district_id in districts:
            districts[district_id].trainings = count
    trained = filters.trained().subquery()
    located = (
        select(trained.c.user_id, Cohort.district_id, District.region_id)
        .join(Cohort, Cohort.id == trained.c.cohort_id)
        .join(District, District.id == Cohort.district_id)
        .subquery()
    )
    for district_id, count in db.session.execute(
        select(located.c.district_id, func.count(func.distinct(located.c.user_id))).group_by(
            located.c.district_id
        )
    ):
        if district_id in districts:
            districts[district_id].people = count
    for region_id, count in db.session.execute(
        select(located.c.region_id, func.count(func.distinct(located.c.user_id))).group_by(
            located.c.region_id
        )
    ):
        if region_id in regions:
            regions[region_id].people = count
    total = db.session.scalar(select(func.count(func.distinct(located.c.user_id)))) or 0
    for region in regions.values():
        region.districts.sort(key=lambda d: sort_key(d.name))
    return Coverage(sorted(regions.values(), key=lambda r: sort_key(r.name)), total)
