"""Cascade figures for a trainer, a region or the whole programme, over a period.

Definitions (shown on the pages too):
- *trained*: holds a valid certificate of the training (completed under the course's rule);
  a person counts once per figure, however many trainings she completed.
- *reach*: the people a trainer's cohorts trained by name, plus the headcounts of her step-down
  events; *total* reach adds every trainer she certified, and theirs, down the generations.
- *active*: delivered a training or logged an event within N days of being accredited
  (``CASCADE_ACTIVATION_DAYS``, 90 by default); the *activation rate* is over trainers accredited
  at least N days ago. *Dormant*: accredited at least N days ago and nothing delivered in the
  last N days.
- *normalized gain*: (post − pre) / (100 − pre) per participant with both tests, averaged.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.orm import aliased

from lms.assessments.models import Attempt, CohortTest
from lms.cascade.models import StepDownEvent, TrainerLineage
from lms.certificates.models import Certificate
from lms.cohorts.models import Cohort
from lms.courses.models import Accreditation
from lms.extensions import db
from lms.org.models import District

DELIVERED = ("in_progress", "closed")


@dataclass
class Scope:
    """Which part of the cascade a figure covers: a subtree, a region, a period."""

    trainer_id: int | None = None
    region_id: int | None = None
    start: date | None = None
    end: date | None = None
    # Several regions (a report's filters; ``None``: no limit), and the courses delivered.
    region_ids: tuple[int, ...] | None = None
    course_ids: tuple[int, ...] | None = None

    def regions(self) -> tuple[int, ...] | None:
        """The regions in scope: ``region_id`` and ``region_ids`` together (``None``: all)."""
        if self.region_id is None and self.region_ids is None:
            return None
        return tuple({*(self.region_ids or ()), *(() if self.region_id is None else (self.region_id,))})

    def trainers(self) -> Select:
        """Ids of the trainers in scope (her subtree, or the region's trainers, or all)."""
        if self.trainer_id is not None:
            return subtree(self.trainer_id)
        query = select(TrainerLineage.user_id)
        if self.region_id is not None and self.region_ids is None:
            query = query.where(TrainerLineage.region_id == self.region_id)
        elif self.regions() is not None:
            query = query.where(TrainerLineage.region_id.in_(self.regions()))
        return query


def activation_days() -> int:
    return int(current_app.config.get("CASCADE_ACTIVATION_DAYS", 90))


def subtree(trainer_id: int) -> Select:
    """The trainer and every trainer below her, as a recursive query over the parent index."""
    tree = select(TrainerLineage.user_id).where(TrainerLineage.user_id == trainer_id).cte(recursive=True)
    child = aliased(TrainerLineage)
    tree = tree.union_all(select(child.user_id).where(child.parent_id == tree.c.user_id))
    return select(tree.c.user_id)


def _where_scope(
    query: Select, scope: Scope, trainer_column, district_column, date_column, course_column=None
) -> Select:
    """A subtree is whatever its trainers delivered; a region, whatever was delivered there,
    whoever delivered it. With courses named, only what was delivered of those courses."""
    if scope.trainer_id is not None:
        query = query.where(trainer_column.in_(scope.trainers()))
    elif scope.region_id is not None and scope.region_ids is None:
        query = query.where(
            district_column.in_(select(District.id).where(District.region_id == scope.region_id))
        )
    elif scope.regions() is not None:
        query = query.where(
            district_column.in_(select(District.id).where(District.region_id.in_(scope.regions())))
        )
    if scope.course_ids is not None and course_column is not None:
        query = query.where(course_column.in_(scope.course_ids))
    return query.where(*_period(scope, date_column))


def _trained(scope: Scope) -> Select:
    """(person, lead trainer's generation, cohort) for every valid certificate in scope."""
    query = (
        select(Certificate.user_id, TrainerLineage.generation, Cohort.id.label("cohort_id"))
        .join(Cohort, Cohort.id == Certificate.cohort_id)
        .join(TrainerLineage, TrainerLineage.user_id == Cohort.lead_trainer_id)
        .where(Certificate.status == "valid")
    )
    return _where_scope(
        query, scope, Cohort.lead_trainer_id, Cohort.district_id, Cohort.end_date, Cohort.course_id
    )


def _events(scope: Scope) -> Select:
    query = select(TrainerLineage.generation, StepDownEvent.headcount).join(
        TrainerLineage, TrainerLineage.user_id == StepDownEvent.trainer_id
    )
    return _where_scope(
        query,
        scope,
        StepDownEvent.trainer_id,
        StepDownEvent.district_id,
        StepDownEvent.date,
        StepDownEvent.course_id,
    )


@dataclass
class Generation:
    generation: int
    trainers: int = 0
    people: int = 0
    headcount: int = 0
    cohorts: int = 0
    normalized_gain: float | None = None
    gain_participants: int = 0


@dataclass
class Figures:
    reach_named: int
    reach_headcount: int
    by_generation: list[Generation] = field(default_factory=list)

    @property
    def reach_total(self) -> int:
        return self.reach_named + self.reach_headcount


def reach(scope: Scope) -> Figures:
    """People trained by name (each once) and headcounts, in all and by generation."""
    trained = _trained(scope).subquery()
    named = db.session.scalar(select(func.count(func.distinct(trained.c.user_id)))) or 0
    generations: dict[int, Generation] = {}
    for generation, people, cohorts in db.session.execute(
        select(
            trained.c.generation,
            func.count(func.distinct(trained.c.user_id)),
            func.count(func.distinct(trained.c.cohort_id)),
        ).group_by(trained.c.generation)
    ):
        generations[generation] = Generation(generation, people=people, cohorts=cohorts)
    events = _events(scope).subquery()
    headcount = 0
    for generation, total in db.session.execute(
        select(events.c.generation, func.sum(events.c.headcount)).group_by(events.c.generation)
    ):
        generations.setdefault(generation, Generation(generation)).headcount = int(total or 0)
        headcount += int(total or 0)
    trainers = select(TrainerLineage.generation, func.count()).where(
        TrainerLineage.user_id.in_(scope.trainers())
    )
    for generation, count in db.session.execute(trainers.group_by(TrainerLineage.generation)):
        generations.setdefault(generation, Generation(generation)).trainers = count
    for generation, gain, participants in gain_by_generation(scope):
        row = generations.setdefault(generation, Generation(generation))
        row.normalized_gain, row.gain_participants = gain, participants
    return Figures(named, headcount, [generations[g] for g in sorted(generations)])


def reach_by_generation(scope: Scope) -> list[Generation]:
    """People trained by name and headcounts by generation only (two statements): what a
    dashboard draws, without the trainers and gains that ``reach`` adds."""
    trained = _trained(scope).subquery()
    generations: dict[int, Generation] = {}
    for generation, people, cohorts in db.session.execute(
        select(
            trained.c.generation,
            func.count(func.distinct(trained.c.user_id)),
            func.count(func.distinct(trained.c.cohort_id)),
        ).group_by(trained.c.generation)
    ):
        generations[generation] = Generation(generation, people=people, cohorts=cohorts)
    events = _events(scope).subquery()
    for generation, total in db.session.execute(
        select(events.c.generation, func.sum(events.c.headcount)).group_by(events.c.generation)
    ):
        generations.setdefault(generation, Generation(generation)).headcount = int(total or 0)
    return [generations[g] for g in sorted(generations)]


def gain_by_generation(scope: Scope) -> list[tuple[int, float, int]]:
    """Mean normalized gain of participants with both tests, by the lead trainer's generation."""
    pre_test, post_test = aliased(CohortTest), aliased(CohortTest)
    pre, post = aliased(Attempt), aliased(Attempt)
    # Averaged by the database: nationally that is millions of pairs, which Python need not see.
    gain = (post.score_percent - pre.score_percent) / (100.0 - pre.score_percent)
    query = (
        select(TrainerLineage.generation, func.avg(gain), func.count())
        .select_from(Cohort)
        .join(TrainerLineage, TrainerLineage.user_id == Cohort.lead_trainer_id)
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
        .where(Cohort.status.in_(DELIVERED), pre.score_percent < 100)
    )
    rows = db.session.execute(
        _where_scope(
            query, scope, Cohort.lead_trainer_id, Cohort.district_id, Cohort.end_date, Cohort.course_id
        ).group_by(TrainerLineage.generation)
    ).all()
    return [(g, round(float(mean), 3), count) for g, mean, count in sorted(rows)]


def _period(scope: Scope, column) -> list:
    conditions = []
    if scope.start is not None:
        conditions.append(column >= scope.start)
    if scope.end is not None:
        conditions.append(column <= scope.end)
    return conditions


def activation(scope: Scope, today: date) -> dict:
    """Master trainers, trainers, activation rate and the dormant trainers (ids) in scope.

    One statement: each trainer in scope with her first delivery on or after her accreditation
    and her last delivery (a training led, or an event), grouped by the database; nationally
    that is 100,000 trainers, whose ids no longer travel to the database and back in a list."""
    days = activation_days()
    deliveries = (
        select(Cohort.lead_trainer_id.label("trainer_id"), Cohort.start_date.label("day"))
        .where(Cohort.status.in_(DELIVERED))
        .union_all(select(StepDownEvent.trainer_id, StepDownEvent.date))
        .subquery()
    )
    query = (
        select(
            TrainerLineage.user_id,
            TrainerLineage.generation,
            TrainerLineage.accredited_on,
            func.min(case((deliveries.c.day >= TrainerLineage.accredited_on, deliveries.c.day))),
            func.max(deliveries.c.day),
        )
        .outerjoin(deliveries, deliveries.c.trainer_id == TrainerLineage.user_id)
        .where(TrainerLineage.user_id.in_(scope.trainers()), TrainerLineage.active.is_(True))
        .group_by(TrainerLineage.user_id, TrainerLineage.generation, TrainerLineage.accredited_on)
    )
    if scope.end is not None:
        query = query.where(TrainerLineage.accredited_on <= scope.end)
    rows = db.session.execute(query).all()
    horizon = today - timedelta(days=days)
    window = timedelta(days=days)
    active_ids: set[int] = set()
    dormant_ids: list[int] = []
    by_generation: dict[int, list[int]] = {}
    eligible = 0
    for user_id, generation, accredited_on, first, last in rows:
        if accredited_on > horizon:
            continue
        eligible += 1
        counts = by_generation.setdefault(generation, [0, 0])
        counts[0] += 1
        if first is not None and first <= accredited_on + window:
            active_ids.add(user_id)
            counts[1] += 1
        if last is None or last < horizon:
            dormant_ids.append(user_id)
    return {
        "by_generation": [
            {"generation": g, "eligible": n, "active": a, "rate": round(a / n, 3)}
            for g, (n, a) in sorted(by_generation.items())
        ],
        "master_trainers": sum(1 for row in rows if row[1] == 0),
        "trainers_accredited": len(rows),
        "eligible": eligible,
        "active_trainers": len(active_ids),
        "activation_rate": round(len(active_ids) / eligible, 3) if eligible else None,
        "dormant_ids": sorted(dormant_ids),
        "activation_days": days,
    }


def trainer_figures(trainer_id: int, today: date) -> dict:
    """What the API and the trainer's cascade page show for one trainer."""
    row = db.session.get(TrainerLineage, trainer_id)
    own = Scope(trainer_id=trainer_id)
    total = reach(own)
    direct_people = (
        db.session.scalar(
            select(func.count(func.distinct(Certificate.user_id)))
            .join(Cohort, Cohort.id == Certificate.cohort_id)
            .where(Certificate.status == "valid", Cohort.lead_trainer_id == trainer_id)
        )
        or 0
    )
    direct_headcount = (
        db.session.scalar(
            select(func.coalesce(func.sum(StepDownEvent.headcount), 0)).where(
                StepDownEvent.trainer_id == trainer_id
            )
        )
        or 0
    )
    courses = db.session.scalars(
        select(Accreditation.course_id).where(
            Accreditation.user_id == trainer_id, Accreditation.revoked_at.is_(None)
        )
    ).all()
    cohorts = (
        db.session.scalar(
            select(func.count(Cohort.id)).where(
                Cohort.lead_trainer_id == trainer_id, Cohort.status.in_(DELIVERED)
            )
        )
        or 0
    )
    certified = (
        db.session.scalar(
            select(func.count()).select_from(TrainerLineage).where(TrainerLineage.parent_id == trainer_id)
        )
        or 0
    )
    base = row.generation if row else 0
    return {
        "user_id": trainer_id,
        "generation": row.generation if row else None,
        "parent_id": row.parent_id if row else None,
        "root_id": row.root_id if row else None,
        "active": bool(row and row.active),
        "accredited_course_ids": sorted(courses),
        "cohorts_delivered": cohorts,
        "trainers_certified": certified,
        "direct_reach": direct_people + int(direct_headcount),
        "total_reach": total.reach_total,
        "reach_by_generation": [
            {
                "generation": g.generation,
                "relative": g.generation - base,
                "people": g.people,
                "headcount": g.headcount,
            }
            for g in total.by_generation
        ],
        "dormant": row is not None and is_dormant(row, today),
    }


def is_dormant(row: TrainerLineage, today: date) -> bool:
    """Whether she herself is dormant, as ``activation`` decides it for everyone in a scope
    (in force, accredited at least N days ago, nothing delivered in the last N days), in one
    statement rather than over her whole subtree."""
    horizon = today - timedelta(days=activation_days())
    if not row.active or row.accredited_on > horizon:
        return False
    delivered = select(Cohort.id).where(
        Cohort.lead_trainer_id == row.user_id, Cohort.status.in_(DELIVERED), Cohort.start_date >= horizon
    )
    logged = select(StepDownEvent.id).where(
        StepDownEvent.trainer_id == row.user_id, StepDownEvent.date >= horizon
    )
    return not db.session.scalar(select(delivered.exists() | logged.exists()))


def children(trainer_id: int) -> list[TrainerLineage]:
    return list(db.session.scalars(select(TrainerLineage).where(TrainerLineage.parent_id == trainer_id)))


@dataclass
class Child:
    lineage: TrainerLineage
    people: int = 0
    headcount: int = 0
    cohorts: int = 0
    certified: int = 0


def children_figures(trainer_id: int) -> list[Child]:
    """The trainers she certified, each with what she delivered herself, in a fixed number of
    queries however many there are (their own subtrees open on their pages)."""
    from sqlalchemy.orm import joinedload

    rows = db.session.scalars(
        select(TrainerLineage)
        .where(TrainerLineage.parent_id == trainer_id)
        .options(joinedload(TrainerLineage.user))
    ).all()
    ids = [row.user_id for row in rows]
    if not ids:
        return []
    people = dict(
        db.session.execute(
            select(Cohort.lead_trainer_id, func.count(func.distinct(Certificate.user_id)))
            .join(Certificate, Certificate.cohort_id == Cohort.id)
            .where(Cohort.lead_trainer_id.in_(ids), Certificate.status == "valid")
            .group_by(Cohort.lead_trainer_id)
        ).all()
    )
    cohorts = dict(
        db.session.execute(
            select(Cohort.lead_trainer_id, func.count(Cohort.id))
            .where(Cohort.lead_trainer_id.in_(ids), Cohort.status.in_(DELIVERED))
            .group_by(Cohort.lead_trainer_id)
        ).all()
    )
    headcounts = dict(
        db.session.execute(
            select(StepDownEvent.trainer_id, func.sum(StepDownEvent.headcount))
            .where(StepDownEvent.trainer_id.in_(ids))
            .group_by(StepDownEvent.trainer_id)
        ).all()
    )
    certified = dict(
        db.session.execute(
            select(TrainerLineage.parent_id, func.count())
            .where(TrainerLineage.parent_id.in_(ids))
            .group_by(TrainerLineage.parent_id)
        ).all()
    )
    return [
        Child(
            row,
            people.get(row.user_id, 0),
            int(headcounts.get(row.user_id) or 0),
            cohorts.get(row.user_id, 0),
            certified.get(row.user_id, 0),
        )
        for row in rows
    ]
