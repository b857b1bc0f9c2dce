"""Demo data: the roster import of the needs-assessment training, as its job page shows it.

The list came from the Cherkasy district administration as an Excel file; one person was on it
twice. The import was interrupted once (the worker restarted) and resumed after its last batch,
so its report counts everyone it enrolled, before and after the interruption, as enrolled.
"""

from datetime import timedelta

from sqlalchemy import select

from lms.cohorts.models import Enrollment
from lms.cohorts.roster.uploads import JOB_KIND
from lms.core.models import Job
from lms.extensions import db
from seed.enrolment import _cohort

FILENAME = "Список учасників — Черкаський район.xlsx"


def load(people: dict) -> dict:
    cohort = _cohort("PTL-NEEDS", "closed", 0)
    if cohort is None:
        return {}
    existing = db.session.scalars(
        select(Job).where(Job.kind == JOB_KIND, Job.created_by_id == cohort.lead_trainer_id)
    )
    if not any(job.params.get("cohort_id") == cohort.id for job in existing):
        db.session.add(_import_job(cohort))
        db.session.flush()
    return {"jobs": db.session.query(Job).count()}


def _import_job(cohort) -> Job:
    enrolled = db.session.scalars(
        select(Enrollment).where(Enrollment.cohort_id == cohort.id).order_by(Enrollment.id)
    ).all()
    names = {e.user_id: e.user.full_name for e in enrolled}
    first = enrolled[0] if enrolled else None
    started = (first.created_at if first else cohort.created_at) - timedelta(minutes=3)
    rows = len(enrolled) + 1
    skipped = []
    if first is not None:
        skipped.append(
            {"row": rows + 1, "name": names[first.user_id], "email": first.user.email, "phone": "",
             "institution": "", "matched_by": None, "person": "", "notes": [],
             "problems": [["duplicate_email", {"row": 2}]]}
        )  # fmt: skip
    return Job(
        kind=JOB_KIND,
        task="lms.cohorts.import_roster",
        status="done",
        progress=rows,
        total=rows,
        attempts=2,
        params={
            "cohort_id": cohort.id,
            "filename": FILENAME,
            "token": "0" * 32,
            "skip_invalid": True,
            "send_invitations": False,
        },  # fmt: skip
        checkpoint=None,
        result={
            "rows": rows,
            "created": 0,
            "matched": len(enrolled),
            "enrolled": len(enrolled),
            "waitlisted": 0,
            "skipped": len(skipped),
            "notes": 0,
            "skipped_rows": skipped,
            "noted_rows": [],
        },  # fmt: skip
        created_by_id=cohort.lead_trainer_id,
        created_at=started,
        started_at=started,
        heartbeat_at=started + timedelta(seconds=95),
        finished_at=started + timedelta(seconds=96),
    )
