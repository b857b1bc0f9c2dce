"""Demo data: the cascade three generations deep in Cherkasy oblast, built through the real path.

Generation 0 is the master trainers (accredited by the admin). The closed TOT-MDG training led
by Natalia Bondarenko certified Oksana Melnyk and Viktor Tkachenko (generation 1, by their
trainer certificates). Here Oksana Melnyk delivers the TOT-MDG in turn, in Uman, to four
specialists trained earlier: closed like any training, it certifies generation 2. Oksana and one
of her graduates log step-down events; Viktor has delivered nothing since his ToT, so he shows
as dormant.
"""

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select

from lms.assessments.paper import enter_scores
from lms.cascade import services as cascade
from lms.cascade.models import StepDownEvent, TrainerLineage
from lms.certificates import closing, issuance
from lms.cohorts import attendance
from lms.cohorts import services as cohorts
from lms.cohorts.models import Cohort, Enrollment
from lms.core.i18n import local_today
from lms.core.jobs import run_job
from lms.courses.models import Accreditation, Course
from lms.extensions import db
from lms.org.models import Community, District, Region
from seed.cohorts import COORDINATOR

GENERATION_1 = "o.melnyk@cascade.demo"
TRAINEES = [f"uchasnyk{n:03d}@cascade.demo" for n in (2, 5, 8, 11)]
STARTS = 45  # days ago
VENUE = "Уманський районний центр соціальних служб, вул. Незалежності 2, мала зала"
# (trainer, days ago, district, audience, headcount, women and girls, under 18, materials, note)
EVENTS = [
    (GENERATION_1, 80, "Уманський район", "teachers", 24, 21, 0, 24,
     "Методоб'єднання класних керівників: як розпізнати ознаки торгівлі людьми"),
    (GENERATION_1, 20, "Уманський район", "pupils", 28, 15, 28, 30, "Урок для 10-Б класу ліцею № 2"),
    (TRAINEES[0], 6, "Уманський район", "community", 35, 22, 4, 40,
     "Інформаційна зустріч у сільському клубі громади"),
]  # fmt: skip


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def _second_generation_tot(people: dict) -> Cohort | None:
    """Oksana Melnyk's TOT-MDG, planned, held, scored and closed; None until she is accredited."""
    trainer = people[GENERATION_1]
    tot = db.session.scalar(select(Course).where(Course.code == "TOT-MDG"))
    accredited = db.session.scalar(
        select(Accreditation).where(
            Accreditation.user_id == trainer.id,
            Accreditation.course_id == tot.id,
            Accreditation.revoked_at.is_(None),
        )
    )
    if accredited is None:
        return None  # the first pass of the chain: her own ToT is not closed yet
    existing = db.session.scalar(
        select(Cohort).where(Cohort.course_id == tot.id, Cohort.lead_trainer_id == trainer.id)
    )
    if existing is not None:
        return existing
    start = local_today() - timedelta(days=STARTS)
    while any((start + timedelta(days=n)).weekday() >= 5 for n in range(tot.days)):
        start -= timedelta(days=1)
    district = db.session.scalar(
        select(District).join(Region).where(District.name == "Уманський район", Region.code == "UA-71")
    )
    community = db.session.scalar(select(Community).where(Community.district_id == district.id).limit(1))
    coordinator = people[COORDINATOR]
    cohort = cohorts.create_cohort(
        by=coordinator,
        course_id=tot.id,
        lead_trainer_id=trainer.id,
        district_id=district.id,
        community_id=community.id if community else None,
        venue=VENUE,
        start_date=start,
        capacity=12,
        notes="Друге покоління: тренерка, підготовлена на ToT у Черкасах, готує тренерів для МДГ Уманщини.",
        sessions=cohorts.propose_sessions(tot, start),
    )
    for status in ("scheduled", "in_progress"):
        cohorts.change_status(cohort, status, by=coordinator)
    for email in TRAINEES:
        db.session.add(
            Enrollment(
                cohort_id=cohort.id, user_id=people[email].id, status="enrolled", enrolled_by_id=trainer.id
            )
        )
    db.session.flush()
    rng = random.Random("cascade-generation-2")  # nosec B311 - reproducible demo, not security
    enrollments = db.session.scalars(select(Enrollment).where(Enrollment.cohort_id == cohort.id)).all()
    for session in sorted(cohort.sessions, key=lambda s: s.date):
        attendance.mark_attendance(
            session,
            by=trainer,
            statuses={e.id: "present" for e in enrollments},
            source="paper",
            now=datetime.combine(session.date, session.ends_at, tzinfo=_zone()),
        )
    for enrollment in enrollments:  # the ToT's tests were on paper
        pre = rng.randint(35, 60)
        enter_scores(enrollment, {"pre": pre, "post": min(100, pre + rng.randint(25, 45))}, by=trainer)
    job = closing.close_cohort(cohort, by=coordinator)
    db.session.flush()
    run_job(job.id, issuance.run_issuance_job)
    return cohort


def _events(people: dict) -> None:
    if db.session.scalar(select(StepDownEvent.id).limit(1)) is not None:
        return
    for email, days_ago, district_name, audience, headcount, women, minors, materials, note in EVENTS:
        trainer = people[email]
        if db.session.get(TrainerLineage, trainer.id) is None:
            continue  # not a trainer yet in this pass
        district = db.session.scalar(
            select(District).join(Region).where(District.name == district_name, Region.code == "UA-71")
        )
        cascade.log_event(
            by=trainer,
            date=local_today() - timedelta(days=days_ago),
            district_id=district.id,
            audience=audience,
            headcount=headcount,
            headcount_female=women,
            headcount_under_18=minors,
            materials_distributed=materials,
            note=note,
        )


def load(people: dict) -> dict:
    _second_generation_tot(people)
    _events(people)
    db.session.flush()
    generations = dict(
        db.session.execute(
            select(TrainerLineage.generation, func.count()).group_by(TrainerLineage.generation)
        ).all()
    )
    return {f"trainers_generation_{g}": n for g, n in sorted(generations.items())}
