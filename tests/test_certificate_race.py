"""Two issuers for the same training at the same moment (a duplicated task, two workers):
exactly one certificate per enrolment and unique serials, on PostgreSQL with real concurrent
transactions in a database of its own."""

import threading

import pytest
from sqlalchemy import func, select

from lms.certificates import closing, issuance
from lms.certificates.models import Certificate
from lms.core.models import Job
from lms.extensions import db
from tests import factories
from tests.certificate_fixtures import finished_cohort
from tests.conftest import app_on_its_own_database


@pytest.mark.postgres_only
def test_two_jobs_issuing_for_one_training_at_once_issue_each_certificate_once(backend, tmp_path):
    with app_on_its_own_database(backend, tmp_path, "certrace") as application:
        with application.app_context():
            cohort, _people = finished_cohort(scores=[90] * 12)
            other, _others = finished_cohort(scores=[90] * 12)  # another training, same year: shared counter
            admin = factories.UserFactory(roles=["admin"])
            jobs = [closing.close_cohort(cohort, by=admin), closing.close_cohort(other, by=admin)]
            twin = closing.start_issuance(cohort, by=admin)  # the same work delivered twice
            db.session.commit()
            job_ids = [jobs[0].id, twin.id, jobs[1].id]
            db.session.remove()

        barrier = threading.Barrier(len(job_ids))
        errors: list[BaseException] = []

        def worker(job_id: int) -> None:
            with application.app_context():
                try:
                    job = db.session.get(Job, job_id)
                    barrier.wait()
                    issuance.run_issuance_job(job, lambda done: None)
                    db.session.commit()
                except BaseException as error:  # reported below
                    errors.append(error)
                finally:
                    db.session.remove()

        threads = [threading.Thread(target=worker, args=(job_id,)) for job_id in job_ids]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        assert errors == []
        with application.app_context():
            per_enrollment = db.session.execute(
                select(Certificate.enrollment_id, func.count()).group_by(Certificate.enrollment_id)
            ).all()
            assert len(per_enrollment) == 24 and {count for _e, count in per_enrollment} == {1}
            numbers = sorted(db.session.scalars(select(Certificate.number)))
            assert numbers == list(range(1, 25))  # unique and without gaps
            db.session.remove()
