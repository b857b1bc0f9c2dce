"""The roster's check and import as jobs on the pages: checked by the worker, refused early when
hostile, honest when interrupted, and retried by the person who started them."""

import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from lms.cohorts import tasks
from lms.cohorts.roster import checks, importer
from lms.core.db import utcnow
from lms.core.errors import Conflict
from lms.core.models import Job
from tests import factories, hostile_files
from tests.fault_fixtures import HANGS_AFTER
from tests.test_roster_pages import GOOD, enrolled_count, signed_in, upload, uploads


@pytest.fixture
def cohort(db):
    return factories.CohortFactory(capacity=5)


def latest_job(db, kind: str) -> Job:
    return db.session.scalars(select(Job).where(Job.kind == kind).order_by(Job.id.desc())).first()


def test_the_upload_request_only_stores_the_file_and_a_worker_checks_it(app, client, db, cohort, monkeypatch):
    conf = app.extensions["celery"].conf
    monkeypatch.setitem(conf, "task_always_eager", False)  # the memory broker keeps the task
    signed_in(client, cohort.lead_trainer)
    preview_url = upload(client, cohort, GOOD).headers["Location"]
    page = client.get(preview_url)
    assert page.headers["Refresh"] == "2"
    text = page.get_data(as_text=True)
    assert "Waiting to start" in text and "Мороз Алла" not in text
    job = latest_job(db, "roster_check")
    assert (job.status, job.total) == ("queued", 3)  # three lines counted, nothing parsed

    tasks.preview_roster(job.id)  # what the worker does with the message
    text = client.get(preview_url).get_data(as_text=True)
    assert "Мороз Алла" in text and "Import 2 people" in text


def test_a_sheet_declaring_20_million_rows_is_refused_on_the_upload_page_at_once(app, client, db, cohort):
    signed_in(client, cohort.lead_trainer)
    before = uploads(app)
    data = {"file": (__import__("io").BytesIO(hostile_files.declared_rows(20_000_000)), "roster.xlsx")}
    started = time.monotonic()
    response = client.post(
        f"/cohorts/{cohort.id}/roster/upload", data=data, content_type="multipart/form-data"
    )
    assert time.monotonic() - started < HANGS_AFTER  # parsing it took 88 s
    assert response.status_code == 422
    assert "more than 100,000 rows" in response.get_data(as_text=True)
    assert uploads(app) == before and latest_job(db, "roster_check") is None


def import_job(cohort, **values) -> Job:
    job = Job(
        kind="roster_import", task="lms.cohorts.import_roster", total=1000, created_by_id=cohort.lead_trainer_id,
        params={"cohort_id": cohort.id, "filename": "Уманський район.xlsx", "token": "0" * 32}, **values,
    )  # fmt: skip
    factories.CohortFactory._meta.sqlalchemy_session.add(job)
    return job


def test_a_silent_import_says_interrupted_and_resuming_instead_of_a_frozen_bar(app, client, db, cohort):
    silent = import_job(cohort, status="running", progress=500, heartbeat_at=utcnow() - timedelta(seconds=45))
    fresh = import_job(cohort, status="running", progress=500, heartbeat_at=utcnow() - timedelta(seconds=5))
    requeued = import_job(cohort, status="queued", progress=500, attempts=1, heartbeat_at=utcnow())
    db.session.flush()
    signed_in(client, cohort.lead_trainer)
    for job, late in ((silent, True), (fresh, False), (requeued, True)):
        response = client.get(f"/cohorts/{cohort.id}/roster/jobs/{job.id}")
        assert response.headers["Refresh"] == "2"
        text = response.get_data(as_text=True)
        assert ("Interrupted — resuming" in text) is late, job
        assert "500 of 1,000 rows" in text


def test_a_failed_import_shows_its_error_and_only_its_starter_a_retry_button(app, client, db, cohort):
    job = import_job(cohort, status="failed", progress=500, error="Хтось змінив цих людей під час імпорту.")
    co_trainer = factories.UserFactory(roles=["trainer"])
    cohort.co_trainers.append(co_trainer)
    db.session.flush()
    url = f"/cohorts/{cohort.id}/roster/jobs/{job.id}"
    signed_in(client, cohort.lead_trainer)
    text = client.get(url).get_data(as_text=True)
    assert "Хтось змінив цих людей" in text and 'data-testid="job-retry"' in text
    signed_in(client, co_trainer)
    text = client.get(url).get_data(as_text=True)
    assert "Хтось змінив цих людей" in text and 'data-testid="job-retry"' not in text
    assert client.post(url + "/retry").status_code == 403
    db.session.refresh(job)
    assert job.status == "failed"


def test_retrying_needs_the_csrf_token(app, client, db, cohort, csrf_enabled):
    job = import_job(cohort, status="failed", error="Помилка")
    db.session.flush()
    signed_in(client, cohort.lead_trainer)
    assert client.post(f"/cohorts/{cohort.id}/roster/jobs/{job.id}/retry").status_code == 400
    db.session.refresh(job)
    assert job.status == "failed"


def test_a_retried_import_continues_after_its_last_committed_batch(app, client, db, cohort, monkeypatch):
    monkeypatch.setattr(checks, "BATCH_SIZE", 1)
    real_create = importer._create_people
    calls = []

    def fail_on_the_second_batch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise Conflict("Хтось змінив цих людей під час імпорту.")
        return real_create(*args, **kwargs)

    monkeypatch.setattr(importer, "_create_people", fail_on_the_second_batch)
    signed_in(client, cohort.lead_trainer)
    preview_url = upload(client, cohort, GOOD).headers["Location"]
    job_url = client.post(preview_url, data={}).headers["Location"]
    job = latest_job(db, "roster_import")
    assert (job.status, job.progress, enrolled_count(db, cohort)) == ("failed", 1, 1)
    assert Path(job_url).name == str(job.id)

    response = client.post(job_url + "/retry")
    assert response.headers["Location"].endswith(job_url)
    db.session.refresh(job)
    assert (job.status, job.attempts, job.error) == ("done", 1, None)
    result = job.result
    assert (result["rows"], result["enrolled"], result["created"], result["skipped"]) == (2, 2, 2, 0)
    assert enrolled_count(db, cohort) == 2


def test_an_import_page_runs_as_many_queries_for_30_reported_rows_as_for_1(app, client, db, cohort):
    from tests.queries import count_queries

    def report(rows: int) -> dict:
        skipped = [{"row": n + 2, "name": f"Особа {n}", "problems": [["bad_email", {}]]} for n in range(rows)]
        return {"rows": rows, "created": 0, "matched": 0, "enrolled": 0, "waitlisted": 0, "skipped": rows,
                "notes": 0, "skipped_rows": skipped, "noted_rows": []}  # fmt: skip

    one, thirty = (import_job(cohort, status="done", result=report(n)) for n in (1, 30))
    db.session.flush()
    signed_in(client, cohort.lead_trainer)
    client.get(f"/cohorts/{cohort.id}/roster/jobs/{one.id}")  # the first request also loads the session
    counts = []
    for job in (one, thirty):
        with count_queries() as statements:
            assert client.get(f"/cohorts/{cohort.id}/roster/jobs/{job.id}").status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1]
