"""A trainer's cascade in brief, for her home page: in one statement."""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from lms.cascade import metrics
from lms.cascade.models import StepDownEvent, TrainerLineage
from lms.certificates.models import Certificate
from lms.cohorts.models import Cohort
from lms.extensions import db


@dataclass
class Brief:
    user_id: int
    generation: int
    accredited_on: date
    active: bool
    people: int  # trained by name in her trainings
    headcount: int  # at her step-down events
    certified: int  # trainers she certified
    last_delivery: date | None
    dormant: bool
    days: int


def trainer_brief(user_id: int, today: date) -> Brief | None:
    """Her generation, whom she trained and certified, and whether she is dormant (the dashboard's
    definition); None when she is not in the cascade."""
    people = (
        select(func.count(func.distinct(Certificate.user_id)))
        .join(Cohort, Cohort.id == Certificate.cohort_id)
        .where(Cohort.lead_trainer_id == user_id, Certificate.status == "valid")
        .scalar_subquery()
    )
    headcount = (
        select(func.coalesce(func.sum(StepDownEvent.headcount), 0))
        .where(StepDownEvent.trainer_id == user_id)
        .scalar_subquery()
    )
    certified = (
        select(func.count()).select_from(TrainerLineage).where(TrainerLineage.parent_id == user_id)
    ).scalar_subquery()
    last_cohort = (
        select(func.max(Cohort.start_date))
        .where(Cohort.lead_trainer_id == user_id, Cohort.status.in_(metrics.DELIVERED))
        .scalar_subquery()
    )
    last_event = (
        select(func.max(StepDownEvent.date)).where(StepDownEvent.trainer_id == user_id).scalar_subquery()
    )
    row = db.session.execute(
        select(
            TrainerLineage.generation,
            TrainerLineage.accredited_on,
            TrainerLineage.active,
            people,
            headcount,
            certified,
            last_cohort,
            last_event,
        ).where(TrainerLineage.user_id == user_id)
    ).first()
    if row is None:
        return None
    generation, accredited_on, active, people_n, headcount_n, certified_n, cohort_day, event_day = row
    days = metrics.activation_days()
    delivered = [d for d in (cohort_day, event_day) if d is not None]
    last = max(delivered) if delivered else None
    horizon = today - timedelta(days=days)
    dormant = bool(active) and accredited_on <= horizon and (last is None or last < horizon)
    return Brief(
        user_id,
        generation,
        accredited_on,
        bool(active),
        int(people_n or 0),
        int(headcount_n or 0),
        int(certified_n or 0),
        last,
        dormant,
        days,
    )
