"""Demo data: the finished trainings are closed through the real path, which issues their
certificates (trainer certificates for the ToT, which accredit its graduates); then one
certificate is revoked and one reissued after a name correction, as happens in a programme."""

import random

from sqlalchemy import func, select

from lms.assessments.models import Attempt
from lms.assessments.paper import enter_scores
from lms.certificates import closing, issuance, services
from lms.certificates.models import Certificate
from lms.cohorts.models import Cohort, Enrollment
from lms.core.i18n import local_today
from lms.core.jobs import run_job
from lms.extensions import db
from seed.cohorts import COORDINATOR

REVOKE_REASON = "Учасниця не була присутня на навчанні: відмітку у відомості внесено помилково."
# A double surname taken after marriage, corrected on the certificate after the training.
CORRECTION_SUFFIX = "-Ткач"
DEMO_PARTICIPANT = "uchasnyk@cascade.demo"


def load(people: dict) -> dict:
    coordinator = people[COORDINATOR]
    finished = db.session.scalars(
        select(Cohort)
        .where(Cohort.status == "in_progress", Cohort.end_date < local_today())
        .order_by(Cohort.start_date, Cohort.id)
    ).all()
    for cohort in finished:
        _paper_scores_for_tot(cohort)
        if closing.closing_gaps(cohort):
            continue  # a register the demo left incomplete: the close page shows it
        job = closing.close_cohort(cohort, by=coordinator)
        db.session.flush()
        # The job the worker would run after the commit, run here so that the demo is complete.
        run_job(job.id, issuance.run_issuance_job)
    _revoke_and_reissue(coordinator)
    db.session.flush()
    count = db.session.scalar(select(func.count(Certificate.id)))
    return {"certificates": count or 0}


def _paper_scores_for_tot(cohort: Cohort) -> None:
    """A training of trainers tests on paper: its scores are entered by the lead trainer."""
    if not cohort.course.is_tot:
        return
    scored = db.session.scalar(
        select(func.count(Attempt.id))
        .join(Enrollment, Enrollment.id == Attempt.enrollment_id)
        .where(Enrollment.cohort_id == cohort.id)
    )
    if scored:
        return
    rng = random.Random(f"tot-scores-{cohort.id}")  # nosec B311 - reproducible demo, not security
    for enrollment in db.session.scalars(
        select(Enrollment).where(Enrollment.cohort_id == cohort.id, Enrollment.status == "enrolled")
    ):
        pre = rng.randint(45, 70)
        enter_scores(
            enrollment, {"pre": pre, "post": min(100, pre + rng.randint(20, 35))}, by=cohort.lead_trainer
        )


def _revoke_and_reissue(coordinator) -> None:
    if db.session.scalar(select(Certificate.id).where(Certificate.status != "valid").limit(1)):
        return  # done on an earlier run
    participation = [
        c
        for c in db.session.scalars(
            select(Certificate)
            .where(Certificate.kind == "participation", Certificate.status == "valid")
            .order_by(Certificate.id)
        )
        if c.user.email != DEMO_PARTICIPANT  # hers stays valid for her home page
    ]
    if len(participation) < 2:
        return
    services.revoke(participation[-1], by=coordinator, reason=REVOKE_REASON)
    corrected = participation[0]
    holder = corrected.user
    holder.full_name = holder.full_name + CORRECTION_SUFFIX
    services.reissue(corrected, by=coordinator)
