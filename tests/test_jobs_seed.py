"""The demo's roster import: a finished job whose page a trainer can open; loaded once."""

from sqlalchemy import select

from lms.core.models import Job
from seed import jobs as seed_jobs
from seed.demo import load_demo
from tests.test_roster_pages import signed_in


def test_the_demo_has_a_resumed_roster_import_with_a_truthful_report_and_loads_it_once(app, client, db):
    load_demo()
    people = {}
    assert seed_jobs.load(people) == seed_jobs.load(people)
    (job,) = db.session.scalars(select(Job).where(Job.kind == "roster_import")).all()
    assert (job.status, job.attempts, job.result["enrolled"], job.result["skipped"]) == ("done", 2, 23, 1)
    signed_in(client, job_owner(db, job))
    page = client.get(f"/cohorts/{job.params['cohort_id']}/roster/jobs/{job.id}").get_data(as_text=True)
    assert "The import is done." in page and "The same email as row 2." in page


def job_owner(db, job):
    from lms.accounts.models import User

    return db.session.get(User, job.created_by_id)
