"""Reach counts each person once, checked by Hypothesis against a model worked out in Python:
random cascade forests, trainings whose people hold valid, revoked or no certificates (the same
person trained in several of them, by several trainers and generations), step-down events, and
a scope (a trainer's subtree, a region, everything) with or without a period."""

from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lms.cascade import metrics
from lms.cascade.metrics import Generation
from lms.courses.models import Course
from lms.extensions import db as _db
from lms.org.models import District, Region
from tests.cascade_fixtures import _add, _cohort, _enrol, _event, _lineage, _person, day

REGION_OF_DISTRICT = (0, 0, 1)  # districts 0 and 1 lie in region 0, district 2 in region 1


@dataclass(frozen=True)
class Training:
    lead: int  # a trainer's index; the index after the last one is a trainer outside the cascade
    district: int
    ended_days_ago: int
    certificates: dict  # person index -> "valid", "revoked" or None (enrolled, no certificate)


@dataclass(frozen=True)
class Cascade:
    parents: tuple  # each trainer's parent index (None: a master trainer); parents come first
    regions: tuple
    people: int
    trainings: tuple
    events: tuple  # (trainer, district, days ago, headcount)
    scope: tuple  # ("trainer", index) | ("region", index) | ("all", None)
    period: tuple | None  # (from days ago, to days ago)

    def generation(self, trainer: int) -> int:
        parent = self.parents[trainer]
        return 0 if parent is None else self.generation(parent) + 1

    def root(self, trainer: int) -> int:
        parent = self.parents[trainer]
        return trainer if parent is None else self.root(parent)

    def subtree(self, trainer: int) -> set[int]:
        below = {trainer}
        for index in range(trainer + 1, len(self.parents)):
            if self.parents[index] in below:
                below.add(index)
        return below

    def in_scope(self, trainer: int, district: int, days_ago: int) -> bool:
        kind, which = self.scope
        if kind == "trainer" and trainer not in self.subtree(which):
            return False
        if kind == "region" and REGION_OF_DISTRICT[district] != which:
            return False
        return self.period is None or self.period[0] >= days_ago >= self.period[1]


@st.composite
def cascades(draw) -> Cascade:
    trainers = draw(st.integers(1, 6))
    parents = (None, *(draw(st.none() | st.integers(0, index - 1)) for index in range(1, trainers)))
    people = draw(st.integers(1, 4))  # few people: the same ones trained again and again
    days = st.integers(0, 60)
    trainings = draw(
        st.lists(
            st.builds(
                Training,
                lead=st.integers(0, trainers),
                district=st.integers(0, 2),
                ended_days_ago=days,
                certificates=st.dictionaries(
                    st.integers(0, people - 1), st.sampled_from(("valid", "revoked", None)), min_size=1
                ),
            ),
            min_size=1,
            max_size=6,
        )
    )
    events = draw(
        st.lists(
            st.tuples(st.integers(0, trainers - 1), st.integers(0, 2), days, st.integers(1, 40)), max_size=4
        )
    )
    scope = draw(
        st.tuples(st.just("trainer"), st.integers(0, trainers - 1))
        | st.tuples(st.just("region"), st.integers(0, 1))
        | st.just(("all", None))
    )
    period = draw(st.none() | st.tuples(days, days).map(lambda pair: tuple(sorted(pair, reverse=True))))
    regions = tuple(draw(st.integers(0, 1)) for _ in range(trainers))
    return Cascade(parents, regions, people, tuple(trainings), tuple(events), scope, period)


def build(cascade: Cascade) -> metrics.Scope:
    """The cascade's rows, written directly, and the scope it asks about."""
    regions = [_add(Region(code=f"H{n}", name=f"Область {n}", name_en=f"Oblast {n}")) for n in (1, 2)]
    districts = [
        _add(District(region=regions[region], name=f"Район {n}", name_en=f"Raion {n}"))
        for n, region in enumerate(REGION_OF_DISTRICT)
    ]
    course = _add(Course(code="PROP-C", title="Курс", days=2))
    trainers = [_person(f"Тренер {n}", "trainer") for n in range(len(cascade.parents) + 1)]
    people = [_person(f"Учасниця {n}") for n in range(cascade.people)]
    _db.session.flush()
    for index, parent in enumerate(cascade.parents):  # the last trainer stays outside the cascade
        _lineage(
            trainers[index],
            cascade.generation(index),
            None if parent is None else trainers[parent],
            trainers[cascade.root(index)],
            regions[cascade.regions[index]],
            day(400),
        )
    for training in cascade.trainings:
        cohort = _cohort(
            trainers[training.lead],
            course,
            districts[training.district],
            "closed",
            training.ended_days_ago + 1,
        )
        for person, certificate in training.certificates.items():
            _enrol(cohort, people[person], certificate=certificate)
    for trainer, district, days_ago, headcount in cascade.events:
        _event(trainers[trainer], districts[district], days_ago, headcount, course)
    _db.session.flush()
    kind, which = cascade.scope
    scope = metrics.Scope(
        trainer_id=trainers[which].id if kind == "trainer" else None,
        region_id=regions[which].id if kind == "region" else None,
        start=None if cascade.period is None else day(cascade.period[0]),
        end=None if cascade.period is None else day(cascade.period[1]),
    )
    return scope


def expected(cascade: Cascade) -> tuple[int, int, list[Generation]]:
    """Reach by name (each person once), headcount, and the figures by generation, by hand."""
    named: set[int] = set()
    by_generation: dict[int, Generation] = {}
    people_of: dict[int, set[int]] = {}
    outside = len(cascade.parents)
    for training in cascade.trainings:
        trained = {person for person, certificate in training.certificates.items() if certificate == "valid"}
        if (
            training.lead == outside
            or not trained
            or not cascade.in_scope(training.lead, training.district, training.ended_days_ago)
        ):
            continue
        generation = cascade.generation(training.lead)
        named |= trained
        people_of.setdefault(generation, set()).update(trained)
        by_generation.setdefault(generation, Generation(generation)).cohorts += 1
    for generation, people in people_of.items():
        by_generation[generation].people = len(people)
    headcount = 0
    for trainer, district, days_ago, count in cascade.events:
        if cascade.in_scope(trainer, district, days_ago):
            by_generation.setdefault(cascade.generation(trainer), Generation(cascade.generation(trainer)))
            by_generation[cascade.generation(trainer)].headcount += count
            headcount += count
    kind, which = cascade.scope
    for trainer in range(len(cascade.parents)):
        if (kind == "trainer" and trainer not in cascade.subtree(which)) or (
            kind == "region" and cascade.regions[trainer] != which
        ):
            continue
        generation = cascade.generation(trainer)
        by_generation.setdefault(generation, Generation(generation)).trainers += 1
    return len(named), headcount, [by_generation[g] for g in sorted(by_generation)]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cascade=cascades())
def test_reach_counts_each_person_once_in_a_subtree_a_region_or_everything_in_any_period(db, cascade):
    try:
        scope = build(cascade)
        named, headcount, generations = expected(cascade)
        figures = metrics.reach(scope)
        assert (figures.reach_named, figures.reach_headcount) == (named, headcount)
        assert figures.reach_total == named + headcount
        assert figures.by_generation == generations
        drawn = metrics.reach_by_generation(scope)  # the dashboard's cheaper reading agrees
        assert [(g.generation, g.people, g.cohorts, g.headcount) for g in drawn] == [
            (g.generation, g.people, g.cohorts, g.headcount) for g in generations if g.people or g.headcount
        ]
    finally:
        db.session.rollback()  # the next example starts from an empty programme
