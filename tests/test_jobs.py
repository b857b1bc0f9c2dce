"""The job lease: one worker at a time, stalled jobs requeued, failing jobs stopped."""

import threading
from datetime import timedelta

import pytest
import time_machine
from flask_migrate import upgrade
from sqlalchemy import select

from lms import create_app
from lms.accounts.models import User
from lms.core import jobs
from lms.core.db import utcnow
from lms.core.models import Job, OutboxMessage
from lms.extensions import db as _db
from tests import factories
from tests.conftest import app_config, drop_postgres_database, make_database_url


def a_job(status="queued", *, silent_for=0, attempts=0, owner=None, by=None, **values) -> Job:
    job = Job(
        kind="roster_import",
        task="lms.cohorts.import_roster",
        status=status,
        attempts=attempts,
        lease_owner=owner,
        heartbeat_at=utcnow() - timedelta(seconds=silent_for),
        created_by_id=getattr(by, "id", None),
        **({"params": {}} | values),
    )
    _db.session.add(job)
    _db.session.flush()
    return job


def outbox_job_ids(db) -> list[int]:
    return [m.kwargs["job_id"] for m in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]


def test_a_queued_job_is_taken_once(db):
    job = a_job()
    owner = jobs.take_lease(job.id)
    assert owner is not None and jobs.take_lease(job.id) is None
    db.session.refresh(job)
    assert (job.status, job.attempts, job.lease_owner) == ("running", 1, owner)


def test_a_running_job_with_a_fresh_heartbeat_is_not_taken_over(db, app):
    job = a_job(
        "running", silent_for=app.config["JOB_LEASE_SECONDS"] - 5, attempts=1, owner="elsewhere/1:7:x"
    )
    assert jobs.take_lease(job.id) is None


def test_a_running_job_silent_longer_than_the_lease_is_taken_over(db, app):
    job = a_job(
        "running", silent_for=app.config["JOB_LEASE_SECONDS"] + 1, attempts=1, owner="elsewhere/1:7:x"
    )
    assert jobs.take_lease(job.id) is not None
    db.session.refresh(job)
    assert job.attempts == 2


def test_a_job_whose_owner_process_on_this_machine_died_is_taken_at_once(db):
    machine, _pid = jobs._process_marks()
    dead = f"{machine}:{2**22 + 12345}:x"  # above pid_max's default: no such process
    job = a_job("running", attempts=1, owner=dead)
    assert jobs.owner_is_dead(dead) and not jobs.owner_is_dead(jobs.new_owner())
    assert jobs.take_lease(job.id) is not None


def test_finished_jobs_are_never_taken(db):
    assert jobs.take_lease(a_job("done").id) is None
    assert jobs.take_lease(a_job("failed").id) is None


def test_the_sweep_requeues_silent_jobs_through_the_outbox_and_leaves_live_ones(db, app):
    lease = app.config["JOB_LEASE_SECONDS"]
    stalled = a_job("running", silent_for=lease + 1, attempts=1, owner="elsewhere/1:7:x")
    lost_message = a_job("queued", silent_for=lease + 1)
    live = a_job("running", silent_for=lease - 5, attempts=1, owner="elsewhere/1:8:x")
    done = a_job("done", silent_for=lease * 10, attempts=1)
    outcome = jobs.recover_stalled()
    assert outcome == {"requeued": [stalled.id, lost_message.id], "failed": []}
    assert outbox_job_ids(db) == [stalled.id, lost_message.id]
    for job in (stalled, live, done):
        db.session.refresh(job)
    assert (stalled.status, stalled.lease_owner, stalled.attempts) == ("queued", None, 1)
    assert jobs.is_late(stalled)  # the page says "interrupted — resuming"
    assert (live.status, done.status) == ("running", "done")
    assert jobs.recover_stalled() == {"requeued": [], "failed": []}  # not twice within a lease


def test_a_job_interrupted_too_often_is_failed_with_its_error(db, app):
    tries = app.config["JOB_MAX_ATTEMPTS"]
    job = a_job(
        "running", silent_for=app.config["JOB_LEASE_SECONDS"] + 1, attempts=tries, error="MemoryError: "
    )
    one_below = a_job("running", silent_for=app.config["JOB_LEASE_SECONDS"] + 1, attempts=tries - 1)
    assert jobs.recover_stalled() == {"requeued": [one_below.id], "failed": [job.id]}
    db.session.refresh(job)
    assert job.status == "failed" and job.finished_at is not None
    assert str(tries) in job.error and "MemoryError" in job.error


def test_a_worker_that_lost_its_lease_cannot_commit_its_batch(db):
    trainer = factories.UserFactory(roles=["trainer"])
    job = a_job(by=trainer)
    created = []

    def work(job, report_progress):
        factories.UserFactory(email="batch-one@example.org")
        report_progress(1, {"last": 1})
        # This worker stalls; the sweep and another worker take the job over meanwhile.
        _db.session.execute(
            Job.__table__.update().where(Job.id == job.id).values(lease_owner="elsewhere/1:9:y")
        )
        _db.session.commit()
        created.append(factories.UserFactory(email="batch-two@example.org").id)
        report_progress(2, {"last": 2})
        return {"never": "stored"}

    result = jobs.run_job(job.id, work)
    assert (result.status, result.progress, result.checkpoint, result.lease_owner) == (
        "running", 1, {"last": 1}, "elsewhere/1:9:y",
    )  # fmt: skip
    emails = set(db.session.scalars(select(User.email).where(User.email.like("batch-%"))))
    assert emails == {"batch-one@example.org"}


def test_a_refused_job_fails_at_once_and_its_starter_may_retry_it_from_its_checkpoint(db):
    from lms.core.errors import NotFound

    job = a_job()

    def work(job, report_progress):
        report_progress(500, {"last_row": 501})
        raise NotFound("Файлу вже немає.")

    assert jobs.run_job(job.id, work).status == "failed"
    db.session.refresh(job)
    assert (job.error, job.checkpoint, job.progress) == ("Файлу вже немає.", {"last_row": 501}, 500)
    jobs.retry_job(job)
    db.session.commit()
    assert (job.status, job.attempts, job.error) == ("queued", 0, None)
    assert outbox_job_ids(db)[-1] == job.id


@pytest.fixture
def own_database(backend, tmp_path):
    """A database of the test's own: threads need real commits on their own connections."""
    url = make_database_url(backend, tmp_path, "lease")
    application = create_app(app_config(url, tmp_path))
    with application.app_context():
        upgrade()
    yield application
    with application.app_context():
        _db.session.remove()
        _db.engine.dispose()
    if backend == "postgresql":
        drop_postgres_database(url)


def test_eight_workers_taking_the_same_stalled_job_at_once_give_it_to_one(own_database):
    application = own_database
    with application.app_context():
        job_id = a_job("running", silent_for=3600, attempts=1, owner="elsewhere/1:7:x").id
        _db.session.commit()
    start = threading.Barrier(8)
    owners = []

    def worker():
        with application.app_context():
            start.wait()
            owners.append(jobs.take_lease(job_id))
            _db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    winners = [owner for owner in owners if owner]
    assert len(owners) == 8 and len(winners) == 1
    with application.app_context():
        job = _db.session.get(Job, job_id)
        assert (job.attempts, job.lease_owner) == (2, winners[0])


def test_lms_jobs_lists_running_stalled_and_failed_jobs_but_not_finished_ones(app, db):
    lease = app.config["JOB_LEASE_SECONDS"]
    running = a_job("running", silent_for=2, attempts=1, progress=500, total=1000)
    stalled = a_job("running", silent_for=lease + 60, attempts=2)
    failed = a_job("failed", error="Файлу вже немає.")
    done = a_job("done")
    output = app.test_cli_runner().invoke(args=["jobs"]).output
    lines = {int(line.split()[0]): line for line in output.splitlines() if line.strip()[:1].isdigit()}
    assert set(lines) == {running.id, stalled.id, failed.id} and done.id not in lines
    assert " running " in lines[running.id] and "500/1000" in lines[running.id]
    assert " stalled " in lines[stalled.id]
    assert " failed " in lines[failed.id] and "Файлу вже немає." in lines[failed.id]


def test_lms_jobs_resume_puts_a_stalled_job_back_in_the_queue(app, db, monkeypatch):
    monkeypatch.setitem(app.extensions["celery"].conf, "task_always_eager", False)  # memory broker keeps it
    stalled = a_job(
        "running", silent_for=app.config["JOB_LEASE_SECONDS"] + 60, attempts=1, owner="elsewhere/1:7:x"
    )
    runner = app.test_cli_runner()
    result = runner.invoke(args=["jobs", "resume", str(stalled.id)])
    assert result.exit_code == 0 and "queued again" in result.output
    db.session.refresh(stalled)
    assert (stalled.status, stalled.lease_owner) == ("queued", None)
    assert outbox_job_ids(db) == [stalled.id]
    for args in (["jobs", "resume", "999999"], ["jobs", "resume", str(a_job("done").id)]):
        result = runner.invoke(args=args)
        assert result.exit_code == 1 and result.output.startswith("Error: ")


def test_the_api_tells_an_interrupted_job_and_its_attempts(app, db, client):
    from tests.conftest import api_headers

    owner = factories.UserFactory(roles=["trainer"])
    silent = a_job("running", silent_for=app.config["JOB_LATE_SECONDS"] + 5, attempts=1, by=owner)
    fresh = a_job("running", silent_for=1, attempts=1, by=owner)
    headers = api_headers(owner)
    body = client.get(f"/api/v1/jobs/{silent.id}", headers=headers).json
    assert (body["interrupted"], body["attempts"], body["status"]) == (True, 1, "running")
    assert client.get(f"/api/v1/jobs/{fresh.id}", headers=headers).json["interrupted"] is False


def test_a_job_of_unknown_size_ends_showing_what_it_did(db):
    job = a_job()

    def work(job, report_progress):
        report_progress(500)
        report_progress(731)
        return {"rows": 731}

    done = jobs.run_job(job.id, work)
    assert (done.status, done.progress, done.total, done.result) == ("done", 731, 0, {"rows": 731})


def test_the_lease_migration_keeps_the_jobs_there_and_names_their_task(backend, tmp_path):
    import sqlalchemy as sa
    from flask_migrate import downgrade

    url = make_database_url(backend, tmp_path, "leasemig")
    application = create_app(app_config(url, tmp_path))
    try:
        with application.app_context():
            upgrade(revision="0002")
            _db.session.execute(
                sa.text(
                    "INSERT INTO jobs (kind, status, progress, total, params, created_at) "
                    "VALUES ('roster_import', 'running', 500, 1000, '{}', CURRENT_TIMESTAMP)"
                )
            )
            _db.session.commit()
            upgrade()
            row = _db.session.execute(
                sa.text("SELECT task, attempts, progress, heartbeat_at FROM jobs")
            ).one()
            assert tuple(row) == ("lms.cohorts.import_roster", 0, 500, None)
            _db.session.commit()
            downgrade(revision="0002")
            upgrade()
            assert _db.session.execute(sa.text("SELECT count(*) FROM jobs")).scalar() == 1
            _db.session.remove()
            _db.engine.dispose()
    finally:
        if backend == "postgresql":
            drop_postgres_database(url)


def test_a_job_is_found_only_by_its_kind_and_the_params_it_was_started_with(db):
    from lms.core.errors import NotFound

    job = a_job(params={"cohort_id": 7})
    assert jobs.job_for("roster_import", job.id, cohort_id=7) == job
    assert jobs.job_for("roster_import", job.id) == job
    for kind, job_id, params in (
        ("certificates.issue", job.id, {"cohort_id": 7}),
        ("roster_import", job.id, {"cohort_id": 8}),
        ("roster_import", job.id, {"cohort_id": 7, "token": "x"}),
        ("roster_import", job.id + 1000, {"cohort_id": 7}),
    ):
        with pytest.raises(NotFound):
            jobs.job_for(kind, job_id, **params)


def test_a_second_click_finds_the_latest_job_started_for_the_same_thing_unless_it_failed(db):
    first = a_job(params={"cohort_id": 7, "token": "a"})
    latest = a_job("done", params={"cohort_id": 7, "token": "a"})
    a_job(params={"cohort_id": 8, "token": "a"})
    a_job("failed", params={"cohort_id": 9, "token": "a"})
    assert first.id < latest.id
    assert jobs.started_job("roster_import", cohort_id=7, token="a") == latest
    assert jobs.started_job("roster_import", cohort_id=9, token="a") is None
    assert jobs.started_job("roster_import", cohort_id=7, token="b") is None
    assert jobs.started_job("certificates.issue", cohort_id=7, token="a") is None


def test_starting_a_job_queues_its_task_after_commit_and_names_who_started_it(db):
    trainer = factories.UserFactory(roles=["trainer"])
    before = utcnow()
    job = jobs.start_job("roster_import", "lms.cohorts.import_roster", by=trainer, total=40, cohort_id=7)
    db.session.refresh(job)
    assert (job.kind, job.task, job.status, job.total, job.params, job.created_by_id) == (
        "roster_import", "lms.cohorts.import_roster", "queued", 40, {"cohort_id": 7}, trainer.id,
    )  # fmt: skip
    assert job.heartbeat_at >= before and job.attempts == 0
    [message] = db.session.scalars(select(OutboxMessage)).all()
    assert (message.task, message.kwargs) == ("lms.cohorts.import_roster", {"job_id": job.id})
    assert jobs.start_job("roster_import", "lms.cohorts.import_roster", by=None).total == 0


def test_a_job_reads_as_interrupted_only_after_the_late_limit_or_once_put_back(db, app):
    late = app.config["JOB_LATE_SECONDS"]
    now = utcnow()
    running = a_job("running", attempts=1)
    running.heartbeat_at = now - timedelta(seconds=late)
    assert not jobs.is_late(running, now)
    running.heartbeat_at = now - timedelta(seconds=late + 1)
    assert jobs.is_late(running, now)
    running.heartbeat_at = None
    assert not jobs.is_late(running, now)
    assert not jobs.is_late(a_job("queued", attempts=0), now)
    assert jobs.is_late(a_job("queued", attempts=1), now)
    assert not jobs.is_late(a_job("done", silent_for=late * 10, attempts=1), now)
    assert not jobs.is_late(a_job("failed", silent_for=late * 10, attempts=1), now)


def test_retrying_starts_only_a_failed_job_again_from_nothing_but_its_checkpoint(db):
    failed = a_job("failed", attempts=3, owner="elsewhere/1:7:x", error="Файлу вже немає.")
    failed.finished_at, failed.checkpoint = utcnow(), {"last_row": 501}
    done = a_job("done", attempts=1)
    before = utcnow()
    assert jobs.retry_job(done) is done and done.status == "done"
    assert outbox_job_ids(db) == []
    jobs.retry_job(failed)
    db.session.commit()
    assert (failed.status, failed.error, failed.attempts, failed.lease_owner, failed.finished_at) == (
        "queued", None, 0, None, None,
    )  # fmt: skip
    assert failed.heartbeat_at >= before and failed.checkpoint == {"last_row": 501}
    assert outbox_job_ids(db) == [failed.id]


def test_resuming_puts_back_a_queued_running_or_failed_job_but_never_a_finished_one(db):
    running = a_job("running", attempts=1, owner="elsewhere/1:7:x")
    failed = a_job("failed", attempts=3, error="boom")
    done = a_job("done", attempts=1)
    for job in (running, failed, done):
        jobs.resume_job(job)
    db.session.commit()
    assert (running.status, running.lease_owner) == ("queued", None)
    assert (failed.status, failed.attempts) == ("queued", 0)
    assert done.status == "done"
    assert outbox_job_ids(db) == [running.id, failed.id]


def test_an_owner_is_dead_only_when_it_is_a_gone_process_of_this_machine(db):
    machine, pid = jobs._process_marks()
    owner = jobs.new_owner()
    assert owner.startswith(f"{machine}:{pid}:") and len(owner.rsplit(":", 1)[1]) == 8
    gone = 2**22 + 12345
    assert jobs.owner_is_dead(f"{machine}:{gone}:x")
    for alive in (None, "", f"{machine}:{gone}", f"elsewhere/1:{gone}:x", f"{machine}:12a:x", owner):
        assert not jobs.owner_is_dead(alive), alive
    assert not jobs.owner_is_dead(f"{machine}:1:x")  # alive (init), maybe under another user


def test_a_job_that_crashes_is_queued_again_with_its_error_until_its_attempts_are_used_up(db, app):
    job = a_job()

    def crash(job, report_progress):
        raise RuntimeError("the database went away")

    before = utcnow()
    with pytest.raises(RuntimeError):
        jobs.run_job(job.id, crash)
    db.session.refresh(job)
    assert (job.status, job.lease_owner, job.attempts, job.error) == (
        "queued", None, 1, "RuntimeError: the database went away",
    )  # fmt: skip
    assert job.heartbeat_at >= before and job.finished_at is None
    job.attempts = app.config["JOB_MAX_ATTEMPTS"] - 1
    db.session.commit()
    with pytest.raises(RuntimeError):
        jobs.run_job(job.id, crash)
    db.session.refresh(job)
    assert (job.status, job.lease_owner, job.error) == (
        "failed",
        None,
        "RuntimeError: the database went away",
    )
    assert job.finished_at is not None


def test_a_finished_or_refused_job_records_when_and_lets_go_of_its_lease(db):
    from lms.core.errors import NotFound

    done, refused = a_job(), a_job()
    assert jobs.run_job(done.id, lambda job, report_progress: {"rows": 1}).status == "done"
    db.session.refresh(done)
    assert (done.lease_owner, done.result) == (None, {"rows": 1})
    assert done.finished_at is not None and done.started_at is not None
    assert jobs.run_job(done.id, lambda job, report_progress: {"rows": 2}) == done  # not run twice
    assert done.result == {"rows": 1}

    def refuse(job, report_progress):
        raise NotFound("Файлу вже немає.")

    jobs.run_job(refused.id, refuse)
    db.session.refresh(refused)
    assert (refused.status, refused.lease_owner) == ("failed", None) and refused.finished_at is not None


def test_a_refusal_after_another_worker_took_the_job_over_leaves_it_to_that_worker(db):
    from lms.core.errors import NotFound

    job = a_job()

    def taken_over_then_refuse(job, report_progress):
        _db.session.execute(
            Job.__table__.update().where(Job.id == job.id).values(lease_owner="elsewhere/1:9:y")
        )
        _db.session.commit()
        raise NotFound("Файлу вже немає.")

    jobs.run_job(job.id, taken_over_then_refuse)
    db.session.refresh(job)
    assert (job.status, job.lease_owner, job.error) == ("running", "elsewhere/1:9:y", None)


def test_taking_a_lease_takes_that_job_only_and_keeps_when_it_first_started(db, app):
    lease = app.config["JOB_LEASE_SECONDS"]
    first_start = utcnow() - timedelta(hours=3)
    stalled = a_job(
        "running", silent_for=lease + 1, attempts=1, owner="elsewhere/1:7:x", started_at=first_start
    )
    other = a_job()
    no_heartbeat = a_job("running", attempts=1, owner="elsewhere/1:8:x")
    no_heartbeat.heartbeat_at = None
    db.session.commit()
    assert jobs.take_lease(stalled.id) is not None
    assert jobs.take_lease(no_heartbeat.id) is not None
    for job in (stalled, other):
        db.session.refresh(job)
    assert stalled.started_at == first_start and other.status == "queued"


def test_a_lease_silent_for_exactly_its_length_is_still_held(db, app):
    lease = app.config["JOB_LEASE_SECONDS"]
    now = utcnow()
    with time_machine.travel(now, tick=False):
        job = a_job("running", silent_for=lease, attempts=1, owner="elsewhere/1:7:x")
        assert jobs.take_lease(job.id) is None
        assert jobs.recover_stalled(now) == {"requeued": [], "failed": []}
    assert jobs.stalled_before(now) == now - timedelta(seconds=lease)


def test_the_sweep_requeues_each_of_two_jobs_silent_since_the_same_moment(db, app):
    lease = app.config["JOB_LEASE_SECONDS"]
    one, two = a_job("running", silent_for=lease + 5, attempts=1), a_job("running", attempts=1)
    two.heartbeat_at = one.heartbeat_at
    never_said = a_job("running", silent_for=lease + 5, attempts=3)
    assert app.config["JOB_MAX_ATTEMPTS"] == 3
    db.session.commit()
    assert jobs.recover_stalled() == {"requeued": [one.id, two.id], "failed": [never_said.id]}
    assert outbox_job_ids(db) == [one.id, two.id]
    db.session.refresh(never_said)
    # The message alone, in Ukrainian: no trailing space where an earlier error would go.
    assert never_said.error == "Завдання переривалося 3 рази, тож його зупинено."


def test_a_crashed_job_put_back_in_the_queue_keeps_the_first_2000_characters_of_its_error(db):
    job = a_job()

    def crash(job, report_progress):
        raise RuntimeError("ж" * 2500)

    with pytest.raises(RuntimeError):
        jobs.run_job(job.id, crash)
    db.session.refresh(job)
    assert (job.status, job.error) == ("queued", ("RuntimeError: " + "ж" * 2500)[:2000])


def test_errors_are_kept_to_2000_characters_wherever_a_job_stops(db, app):
    from lms.core.errors import NotFound

    long = "ж" * 2500
    refused, crashed = a_job(), a_job(attempts=app.config["JOB_MAX_ATTEMPTS"] - 1)
    silent = a_job("running", silent_for=app.config["JOB_LEASE_SECONDS"] + 5, attempts=3, error=long)

    def refuse(job, report_progress):
        raise NotFound(long)

    def crash(job, report_progress):
        raise RuntimeError(long)

    jobs.run_job(refused.id, refuse)
    with pytest.raises(RuntimeError):
        jobs.run_job(crashed.id, crash)
    jobs.recover_stalled()
    for job in (refused, crashed, silent):
        db.session.refresh(job)
        assert (job.status, len(job.error)) == ("failed", 2000)


def test_a_crash_after_another_worker_took_the_job_over_leaves_it_to_that_worker(db):
    job = a_job()

    def taken_over_then_crash(job, report_progress):
        _db.session.execute(
            Job.__table__.update().where(Job.id == job.id).values(lease_owner="elsewhere/1:9:y")
        )
        _db.session.commit()
        raise RuntimeError("the disk is full")

    with pytest.raises(RuntimeError):
        jobs.run_job(job.id, taken_over_then_crash)
    db.session.refresh(job)
    assert (job.status, job.lease_owner, job.error) == ("running", "elsewhere/1:9:y", None)


def test_a_taken_job_beats_at_once_and_a_finished_one_shows_all_its_work_done(db, app):
    stalled = a_job(
        "running", silent_for=app.config["JOB_LEASE_SECONDS"] + 60, attempts=1, owner="elsewhere/1:7:x"
    )
    before = utcnow()
    assert jobs.take_lease(stalled.id) is not None
    db.session.refresh(stalled)
    assert stalled.heartbeat_at >= before
    sized = a_job(total=40)
    assert jobs.run_job(sized.id, lambda job, report_progress: report_progress(10) or {}).progress == 40


def test_resuming_a_queued_job_whose_message_was_lost_sends_it_again(db):
    queued = a_job("queued", attempts=1)
    jobs.resume_job(queued)
    db.session.commit()
    assert outbox_job_ids(db) == [queued.id]


def test_an_owner_names_this_machine_by_host_and_pid_namespace_and_its_process(db, monkeypatch):
    import os
    import socket

    machine, pid = jobs._process_marks()
    assert (machine, pid) == (
        f"{socket.gethostname()}/{os.stat('/proc/self/ns/pid').st_ino}",
        str(os.getpid()),
    )

    def unreadable(path, *args, **kwargs):
        raise OSError("no /proc here")

    monkeypatch.setattr(jobs.os, "stat", unreadable)
    unknown_machine, _pid = jobs._process_marks()
    assert unknown_machine == f"{socket.gethostname()}/?"
    # Without the namespace, a process id may belong to another container: never presumed dead.
    assert not jobs.owner_is_dead(f"{unknown_machine}:{2**22 + 12345}:x")


def test_a_worker_that_lost_its_lease_says_so_in_the_log(app, db, caplog):
    job = a_job()

    def taken_over(job, report_progress):
        _db.session.execute(
            Job.__table__.update().where(Job.id == job.id).values(lease_owner="elsewhere/1:9:y")
        )
        _db.session.commit()
        report_progress(1)

    # The app's logger does not propagate to the root: listen on it directly.
    app.logger.addHandler(caplog.handler)
    try:
        jobs.run_job(job.id, taken_over)
    finally:
        app.logger.removeHandler(caplog.handler)
    assert f"job {job.id}: lease lost, leaving it to its new owner" in caplog.messages
