"""The issuing job, the reconciliation and the ZIP job, run in process (no worker): who gets a
certificate, batches, failures, documents made again, emails, the summary and serial numbers."""

import contextlib
import logging
import zipfile
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from flask_babel import force_locale
from sqlalchemy import func, select

from lms.assessments.completion import completion_status
from lms.certificates import closing, issuance, render, services
from lms.certificates.models import Certificate, CertificateFlag
from lms.certificates.snapshot import snapshot_of
from lms.core.jobs import run_job
from lms.core.models import AuditEvent, Job, OutboxMessage
from lms.extensions import db as _db
from tests import factories
from tests.certificate_fixtures import finished_cohort

EMAILS = "lms.certificates.email_certificates"


def _issuance_job(cohort, by=None) -> Job:
    """The queued issuance job of ``cohort``, as closing it leaves it for the worker."""
    job = closing.start_issuance(cohort, by=by)
    _db.session.flush()
    return job


def _certificates(cohort, *, live=True) -> list[Certificate]:
    query = select(Certificate).where(Certificate.cohort_id == cohort.id).order_by(Certificate.number)
    if live:
        query = query.where(Certificate.status != "superseded")
    return list(_db.session.scalars(query))


def _email_batches() -> list[list[int]]:
    """The certificate ids of each email message queued, in the order queued."""
    return [
        message.kwargs["certificate_ids"]
        for message in _db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.task == EMAILS).order_by(OutboxMessage.id)
        )
    ]


def _reasons(enrollment) -> list[str]:
    return [message for _code, message in completion_status(enrollment).reasons]


class Progress:
    """A ``report_progress`` that commits as the real one does and notes, at each report, how
    many certificates of the training exist and how many have their document."""

    def __init__(self, cohort, *, crash_at: int | None = None):
        self.cohort, self.crash_at = cohort, crash_at
        self.reported: list[int] = []
        self.seen: list[tuple[int, int, int]] = []

    def __call__(self, done: int, checkpoint=None) -> None:
        certificates = _certificates(self.cohort)
        self.reported.append(done)
        self.seen.append((done, len(certificates), sum(1 for c in certificates if c.sha256)))
        _db.session.commit()
        if done == self.crash_at:
            raise RuntimeError("the worker died")


@pytest.fixture(autouse=True)
def quick_documents(monkeypatch):
    """A stand-in for the PDF renderer (some 40 ms a page; what the page says is
    tests/test_certificates.py's matter): one document per certificate, distinct and always the
    same, so hashes, stored files and the ZIP still tell them apart."""

    def render_pdf(certificate) -> bytes:
        return f"%PDF-stand-in {certificate.serial} {certificate.holder_name}".encode()

    monkeypatch.setattr(services, "render_pdf", render_pdf)
    monkeypatch.setattr(render, "render_pdf", render_pdf)
    return render_pdf


@pytest.fixture
def errors_logged(app):
    """The messages of the errors the app logs during the test (its logger does not propagate
    in production, so it is listened to directly)."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler(level=logging.ERROR)
    handler.emit = records.append
    app.logger.addHandler(handler)
    yield records
    app.logger.removeHandler(handler)


def _messages(records) -> list[str]:
    return [record.getMessage() for record in records]


def _closed_training(scores, **kwargs):
    """A training closed on paper (status only) whose certificates were never issued."""
    cohort, people = finished_cohort(scores=scores, **kwargs)
    cohort.status = "closed"
    _db.session.flush()
    return cohort, people


def _ended(cohort, days_ago: int) -> None:
    cohort.end_date = date.today() - timedelta(days=days_ago)
    cohort.start_date = cohort.end_date - timedelta(days=1)
    _db.session.flush()


# The issuing job


def test_the_job_issues_to_those_who_qualify_and_lists_the_others_with_their_reasons(db):
    cohort, (good, low, no_test, half, gone, also_good) = finished_cohort(
        scores=(90, 69, None, 95, 90, 70), attended=(2, 2, 2, 1, 2, 2)
    )
    gone.status = "withdrawn"
    admin = factories.UserFactory(roles=["admin"])
    job = closing.close_cohort(cohort, by=admin)
    _db.session.flush()
    with force_locale("en"):
        run_job(job.id, issuance.run_issuance_job)
        expected_reasons = {person.id: _reasons(person) for person in (low, no_test, half)}
    job = _db.session.get(Job, job.id)
    issued = _certificates(cohort)
    assert [c.enrollment_id for c in issued] == [good.id, also_good.id]
    assert [c.number for c in issued] == [1, 2]
    assert all(c.issued_by_id == admin.id and c.status == "valid" and c.sha256 for c in issued)
    assert job.status == "done" and job.total == 5 and job.progress == 5
    assert job.result == {
        "cohort_id": cohort.id,
        "issued": [{"serial": c.serial, "name": c.user.full_name} for c in issued],
        "issued_count": 2,
        "not_eligible": [
            {
                "enrollment_id": person.id,
                "name": person.user.full_name,
                "reasons": expected_reasons[person.id],
            }
            for person in (low, no_test, half)
        ],
        "failed": [],
        "documents_pending": [],
    }
    assert "69" in expected_reasons[low.id][0] and len(expected_reasons[half.id]) == 1
    assert [sorted(batch) for batch in _email_batches()] == [[c.id for c in issued]]  # one message
    issue_events = _db.session.scalars(select(AuditEvent).where(AuditEvent.action == "certificate.issue"))
    assert sorted((e.object_id, e.actor_id) for e in issue_events) == [(c.id, admin.id) for c in issued]


def test_a_job_started_by_nobody_issues_certificates_by_nobody(db):
    cohort, (person,) = finished_cohort(scores=(90,))
    job = _issuance_job(cohort, by=None)
    issuance.run_issuance_job(job, Progress(cohort))
    [certificate] = _certificates(cohort)
    assert certificate.enrollment_id == person.id and certificate.issued_by_id is None


def test_twenty_six_people_are_issued_in_batches_of_twenty_and_emailed_in_batches_of_twenty_five(
    db, errors_logged
):
    cohort, people = finished_cohort(scores=[90] * 26)
    job = _issuance_job(cohort)
    progress = Progress(cohort)
    result = issuance.run_issuance_job(job, progress)
    issued = _certificates(cohort)
    assert [c.enrollment_id for c in issued] == [p.id for p in people]  # in the order of enrolment
    assert [c.number for c in issued] == list(range(1, 27))
    # (reported, certificates, documents): each batch is committed by its report, its documents
    # are made after it and committed with the next batch.
    assert progress.seen == [(20, 20, 0), (26, 26, 20), (26, 26, 26)]
    assert result["issued_count"] == 26 and result["documents_pending"] == []
    batches = _email_batches()
    assert [len(batch) for batch in batches] == [25, 1]
    assert sorted(sum(batches, [])) == sorted(c.id for c in issued)
    assert _messages(errors_logged) == []  # each batch recorded at once, nothing to retry


def test_people_who_already_hold_a_certificate_are_skipped_and_the_batch_closes_at_the_end(db, monkeypatch):
    monkeypatch.setattr(issuance, "ISSUE_BATCH", 2)
    cohort, people = finished_cohort(scores=(90, 90, 90, 90, 90))
    for holder in (people[1], people[4]):  # issued by hand before the job, with their documents
        services.issue_certificate(holder)
    _db.session.flush()
    progress = Progress(cohort)
    result = issuance.run_issuance_job(_issuance_job(cohort), progress)
    # Batches of two among those without one: the first and third (reported at the third), then
    # the fourth alone, at the end (reported at the fourth), then the whole training.
    assert progress.reported == [3, 4, 5]
    by_person = {c.enrollment_id: c.number for c in _certificates(cohort)}
    assert by_person == {people[1].id: 1, people[4].id: 2, people[0].id: 3, people[2].id: 4, people[3].id: 5}
    assert result["issued_count"] == 5
    # Those issued by hand were not emailed yet either: the job queues them with its own.
    assert sorted(sum(_email_batches(), [])) == sorted(c.id for c in _certificates(cohort))


def test_one_persons_broken_data_is_reported_and_does_not_stop_the_others(db, monkeypatch, errors_logged):
    cohort, (first, broken, last) = finished_cohort(scores=(90, 90, 90))
    real_snapshot = issuance.snapshot_of

    def snapshot_of(enrollment):
        if enrollment.id == broken.id:
            raise ValueError("her district is missing " + "x" * 400)
        return real_snapshot(enrollment)

    monkeypatch.setattr(issuance, "snapshot_of", snapshot_of)
    result = issuance.run_issuance_job(_issuance_job(cohort), Progress(cohort))
    issued = _certificates(cohort)
    assert [c.enrollment_id for c in issued] == [first.id, last.id] and [c.number for c in issued] == [1, 2]
    [failed] = result["failed"]
    assert failed["enrollment_id"] == broken.id and failed["name"] == broken.user.full_name
    assert failed["error"].startswith("her district is missing") and len(failed["error"]) == 300
    assert result["issued_count"] == 2 and result["not_eligible"] == []
    assert _messages(errors_logged) == [f"certificate for enrollment {broken.id} failed"]


def test_a_batch_that_cannot_be_recorded_is_recorded_one_by_one_and_the_culprit_reported(
    db, monkeypatch, errors_logged
):
    cohort, (first, broken, last) = finished_cohort(scores=(90, 90, 90))
    real_record = issuance.record_certificates

    def record_certificates(items, *, by=None):
        if any(enrollment.id == broken.id for enrollment, _values in items):
            raise ValueError("value too long for type character varying(200)")
        return real_record(items, by=by)

    monkeypatch.setattr(issuance, "record_certificates", record_certificates)
    admin = factories.UserFactory(roles=["admin"])
    result = issuance.run_issuance_job(_issuance_job(cohort, by=admin), Progress(cohort))
    issued = _certificates(cohort)
    assert [c.enrollment_id for c in issued] == [first.id, last.id] and [c.number for c in issued] == [1, 2]
    assert all(c.issued_by_id == admin.id for c in issued)
    assert _messages(errors_logged) == [
        "certificates of a batch failed; one by one",
        f"certificate for enrollment {broken.id} failed",
    ]
    assert all(c.sha256 for c in issued) and sorted(sum(_email_batches(), [])) == [c.id for c in issued]
    assert result["failed"] == [
        {
            "enrollment_id": broken.id,
            "name": broken.user.full_name,
            "error": "value too long for type character varying(200)",
        }
    ]
    assert [row["name"] for row in result["issued"]] == [first.user.full_name, last.user.full_name]


def test_failed_documents_leave_valid_certificates_whose_documents_a_resumed_job_makes(
    db, monkeypatch, errors_logged, quick_documents
):
    cohort, (lucky, *unlucky) = finished_cohort(scores=(90, 90, 90))
    broken = {person.id for person in unlucky}

    def render_pdf(certificate):
        if certificate.enrollment_id in broken:
            raise OSError("disk full")
        return quick_documents(certificate)

    monkeypatch.setattr(services, "render_pdf", render_pdf)
    job = _issuance_job(cohort)
    result = issuance.run_issuance_job(job, Progress(cohort))
    mine, *theirs = _certificates(cohort)
    assert mine.sha256 == render.sha256_of(quick_documents(mine))  # two failures did not stop hers
    assert [(c.enrollment_id, c.status, c.sha256) for c in theirs] == [(p.id, "valid", "") for p in unlucky]
    assert result["issued_count"] == 3
    assert result["documents_pending"] == [
        {"serial": c.serial, "name": p.user.full_name, "enrollment_id": p.id}
        for c, p in zip(theirs, unlucky, strict=True)
    ]
    assert _email_batches() == [[mine.id]]
    assert sorted(_messages(errors_logged)) == sorted(
        f"document of certificate {c.serial} failed" for c in theirs
    )
    services.email_certificate(mine.id)

    broken.clear()
    again = issuance.run_issuance_job(job, Progress(cohort))
    assert [c.sha256 for c in theirs] == [render.sha256_of(quick_documents(c)) for c in theirs]
    assert [c.id for c in _certificates(cohort, live=False)] == [mine.id] + [c.id for c in theirs]  # no more
    assert again["documents_pending"] == [] and again["issued"] == result["issued"]
    assert [sorted(batch) for batch in _email_batches()] == [
        [mine.id],
        [c.id for c in theirs],
    ]  # his not again


def test_a_job_resumed_after_a_crash_issues_the_rest_without_a_gap_or_a_second_certificate(db, monkeypatch):
    monkeypatch.setattr(issuance, "ISSUE_BATCH", 2)
    cohort, people = finished_cohort(scores=(90, 90, 50, 90, 90))
    job = _issuance_job(cohort)
    with pytest.raises(RuntimeError):  # the first batch is committed by its report, then the crash
        issuance.run_issuance_job(job, Progress(cohort, crash_at=2))
    _db.session.rollback()
    before = _certificates(cohort)
    assert [(c.enrollment_id, c.sha256) for c in before] == [(people[0].id, ""), (people[1].id, "")]
    assert _email_batches() == []

    result = issuance.run_issuance_job(job, Progress(cohort))
    issued = _certificates(cohort, live=False)
    assert [c.enrollment_id for c in issued] == [people[i].id for i in (0, 1, 3, 4)]
    assert [c.number for c in issued] == [1, 2, 3, 4] and all(c.sha256 for c in issued)
    assert result["issued_count"] == 4 and [r["serial"] for r in result["issued"]] == [
        c.serial for c in issued
    ]
    assert [r["enrollment_id"] for r in result["not_eligible"]] == [people[2].id]
    assert sorted(sum(_email_batches(), [])) == [c.id for c in issued]


def test_a_resumed_job_queues_only_the_emails_still_due(db):
    cohort, (emailed, unsent, revoked) = finished_cohort(scores=(90, 90, 90))
    job = _issuance_job(cohort)
    issuance.run_issuance_job(job, Progress(cohort))
    certificates = {c.enrollment_id: c for c in _certificates(cohort)}
    _db.session.execute(OutboxMessage.__table__.delete())  # the crash lost the queued batch
    services.email_certificate(certificates[emailed.id].id)
    services.revoke(certificates[revoked.id], by=factories.UserFactory(roles=["admin"]), reason="Помилка")
    _db.session.flush()
    issuance.run_issuance_job(job, Progress(cohort))
    assert _email_batches() == [[certificates[unsent.id].id]]


def test_the_summary_counts_the_live_certificates_of_this_training_only(db):
    cohort, (renamed, other) = finished_cohort(scores=(90, 90))
    elsewhere, _people = finished_cohort(scores=(90,))
    job = _issuance_job(cohort)
    issuance.run_issuance_job(job, Progress(cohort))
    issuance.run_issuance_job(_issuance_job(elsewhere), Progress(elsewhere))
    [old, _theirs] = _certificates(cohort)
    renamed.user.full_name = "Олена Петрівна Коваль"
    new = services.reissue(old, by=factories.UserFactory(roles=["admin"]))
    _db.session.flush()
    result = issuance.run_issuance_job(job, Progress(cohort))
    assert len(_certificates(cohort, live=False)) == 3  # nobody issued again
    assert result["issued_count"] == 2
    assert result["issued"] == [{"serial": c.serial, "name": c.user.full_name} for c in _certificates(cohort)]
    assert new.serial in {row["serial"] for row in result["issued"]}
    assert {row["name"] for row in result["issued"]} == {"Олена Петрівна Коваль", other.user.full_name}


def test_the_job_documents_only_its_own_trainings_pending_certificates(db):
    cohort, _people = finished_cohort(scores=(90,))
    elsewhere, (waiting,) = finished_cohort(scores=(90,))
    pending = services.record_certificate(waiting)
    _db.session.flush()
    progress = Progress(cohort)
    result = issuance.run_issuance_job(_issuance_job(cohort), progress)
    _db.session.refresh(pending)
    assert pending.sha256 == "" and pending.id not in sum(_email_batches(), [])
    assert result["issued_count"] == 1 and result["not_eligible"] == [] and progress.reported == [1, 1]


# Serial numbers


def test_serials_of_two_trainings_follow_each_other_and_each_year_and_prefix_counts_alone(
    app, db, monkeypatch
):
    first, _ = finished_cohort(scores=(90, 90))
    second, _ = finished_cohort(scores=(90, 90, 90))
    last_year, _ = finished_cohort(scores=(90,))
    last_year.end_date = date(first.end_date.year - 1, 6, 30)
    last_year.start_date = last_year.end_date - timedelta(days=1)
    other_prefix, _ = finished_cohort(scores=(90,))
    for cohort in (first, second, last_year):
        issuance.run_issuance_job(_issuance_job(cohort), Progress(cohort))
    monkeypatch.setitem(app.config, "CERTIFICATE_SERIAL_PREFIX", "ODS")
    issuance.run_issuance_job(_issuance_job(other_prefix), Progress(other_prefix))
    year = first.end_date.year
    assert [c.serial for c in _certificates(first) + _certificates(second)] == [
        f"CAS-{year}-{n:06d}" for n in range(1, 6)
    ]
    assert [c.serial for c in _certificates(last_year)] == [f"CAS-{year - 1}-000001"]
    assert [c.serial for c in _certificates(other_prefix)] == [f"ODS-{year}-000001"]
    assert [(c.prefix, c.year, c.number) for c in _certificates(other_prefix)] == [("ODS", year, 1)]


def test_without_a_configured_prefix_serials_start_with_cas(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "CERTIFICATE_SERIAL_PREFIX", "")
    cohort, _ = finished_cohort(scores=(90,))
    issuance.run_issuance_job(_issuance_job(cohort), Progress(cohort))
    [certificate] = _certificates(cohort)
    assert certificate.serial == f"CAS-{cohort.end_date.year}-000001" and certificate.prefix == "CAS"


# Reconciliation


# 00:30 in Kyiv is still yesterday in UTC (22:30): the window counts the programme's days, not
# UTC's. (A zoned destination also sets the process's zone while travelling.)
@pytest.mark.parametrize(
    "clock", [None, datetime(2026, 11, 29, 0, 30, tzinfo=ZoneInfo("Europe/Kyiv"))], ids=["now", "late_utc"]
)
def test_reconcile_issues_to_the_eligible_of_closed_trainings_within_its_window(db, clock):
    with contextlib.nullcontext() if clock is None else time_machine.travel(clock, tick=True):
        _reconcile_issues_within_its_window()


def _reconcile_issues_within_its_window():
    edge, (eligible, low) = _closed_training((90, 50))
    _ended(edge, 400)
    too_old, _ = _closed_training((90,))
    _ended(too_old, 401)
    still_open, _ = finished_cohort(scores=(90,))
    result = issuance.reconcile()
    [certificate] = _certificates(edge)
    assert certificate.enrollment_id == eligible.id
    assert result == {"issued": [certificate.serial], "flagged": [], "documented": []}
    assert _certificates(too_old) == [] and _certificates(still_open) == []
    [event] = _db.session.scalars(select(AuditEvent).where(AuditEvent.action == "certificate.reconcile"))
    assert event.actor_id is None
    assert event.details == {"issued": [certificate.serial], "flagged": [], "documented": []}

    _ended(too_old, 30)
    assert issuance.reconcile(days=29)["issued"] == []
    assert len(issuance.reconcile(days=30)["issued"]) == 1
    assert issuance.reconcile(days=30) == {"issued": [], "flagged": [], "documented": []}


def test_reconcile_leaves_withdrawn_people_alone(db):
    cohort, (gone,) = _closed_training((90,))
    gone.status = "withdrawn"
    _db.session.flush()
    assert issuance.reconcile()["issued"] == [] and _certificates(cohort) == []


def test_reconcile_flags_a_holder_no_longer_eligible_once_and_never_revokes(db):
    cohort, (lapsed, fine, revoked, gone) = finished_cohort(scores=(90, 90, 90, 90))
    job = closing.close_cohort(cohort, by=factories.UserFactory(roles=["admin"]))
    issuance.run_issuance_job(job, Progress(cohort))
    certificates = {c.enrollment_id: c for c in _certificates(cohort)}
    services.revoke(certificates[revoked.id], by=factories.UserFactory(roles=["admin"]), reason="Помилка")
    for person in (lapsed, revoked, gone):
        for mark in person.attendance:
            mark.status = "absent"
    gone.status = "withdrawn"
    _db.session.flush()
    with force_locale("en"):
        result = issuance.reconcile()
        reasons = _reasons(lapsed)
    serial = certificates[lapsed.id].serial
    assert result == {"issued": [], "flagged": [serial], "documented": []}
    [flag] = _db.session.scalars(select(CertificateFlag))
    assert flag.certificate_id == certificates[lapsed.id].id and flag.reasons == reasons
    assert certificates[lapsed.id].status == "valid"
    [event] = _db.session.scalars(select(AuditEvent).where(AuditEvent.action == "certificate.reconcile"))
    assert event.details == {"issued": [], "flagged": [serial], "documented": []}

    assert issuance.reconcile() == {"issued": [], "flagged": [], "documented": []}
    assert _db.session.scalar(select(func.count()).select_from(CertificateFlag)) == 1
    events = _db.session.scalar(select(func.count()).where(AuditEvent.action == "certificate.reconcile"))
    assert events == 1  # nothing done, nothing recorded


def test_reconcile_makes_the_missing_documents_within_its_window_and_emails_them(
    db, monkeypatch, errors_logged
):
    recent, (failing, made, revoked) = _closed_training((90, 90, 90))
    _ended(recent, 10)
    old, (outside,) = _closed_training((90,))
    _ended(old, 11)
    pending = {p.id: services.record_certificate(p) for p in (failing, made, revoked, outside)}
    services.revoke(pending[revoked.id], by=factories.UserFactory(roles=["admin"]), reason="Помилка")
    _db.session.flush()
    real_render = services.render_pdf

    def render_pdf(certificate):
        if certificate.enrollment_id == failing.id:
            raise OSError("font file unreadable")
        return real_render(certificate)

    monkeypatch.setattr(services, "render_pdf", render_pdf)
    result = issuance.reconcile(days=10)
    assert result == {"issued": [], "flagged": [], "documented": [pending[made.id].serial]}
    assert pending[made.id].sha256 == render.sha256_of(real_render(pending[made.id]))
    assert [pending[p.id].sha256 for p in (failing, revoked, outside)] == ["", "", ""]
    assert _email_batches() == [[pending[made.id].id]]
    [event] = _db.session.scalars(select(AuditEvent).where(AuditEvent.action == "certificate.reconcile"))
    assert event.details["documented"] == [pending[made.id].serial]
    assert _messages(errors_logged) == [f"document of certificate {pending[failing.id].serial} failed again"]

    monkeypatch.setattr(services, "render_pdf", real_render)
    assert issuance.reconcile(days=10)["documented"] == [pending[failing.id].serial]
    assert issuance.reconcile(days=10)["documented"] == []


def test_reconcile_with_nothing_to_do_records_nothing(db):
    cohort, _ = _closed_training((50,))
    assert issuance.reconcile() == {"issued": [], "flagged": [], "documented": []}
    assert _db.session.scalar(select(func.count()).where(AuditEvent.action == "certificate.reconcile")) == 0
    assert _certificates(cohort) == []


# The ZIP of a training's certificates


def test_the_zip_holds_each_live_certificate_once_by_serial_a_lost_document_made_again(db):
    cohort, (first, renamed, lost) = finished_cohort(scores=(90, 90, 90))
    elsewhere, _ = finished_cohort(scores=(90,))
    admin = factories.UserFactory(roles=["admin"])
    for training in (cohort, elsewhere):
        issuance.run_issuance_job(_issuance_job(training, by=admin), Progress(training))
    certificates = {c.enrollment_id: c for c in _certificates(cohort)}
    services.reissue(certificates[renamed.id], by=admin)
    _db.session.flush()
    render.stored_path(certificates[lost.id]).unlink()
    job = closing.start_zip(cohort, by=cohort.lead_trainer)
    _db.session.flush()
    run_job(job.id, issuance.run_zip_job)
    job = _db.session.get(Job, job.id)
    live = _certificates(cohort)
    assert job.status == "done" and job.result == {"files": 3, "cohort_id": cohort.id}
    path = issuance.zip_path(job)
    assert path.name == f"certificates-{job.id}.zip" and path.parent.name == "exports"
    assert not path.with_suffix(".part").exists()
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist() == [f"{c.serial}.pdf" for c in live]
        assert {info.compress_type for info in archive.infolist()} == {zipfile.ZIP_DEFLATED}
        for certificate in live:
            assert render.sha256_of(archive.read(f"{certificate.serial}.pdf")) == certificate.sha256
    assert render.stored_path(certificates[lost.id]).exists()


def test_the_zip_job_reports_progress_every_ten_documents_and_at_the_end(db, quick_documents):
    cohort, people = _closed_training([90] * 19)
    services.record_certificates([(person, snapshot_of(person)) for person in people])
    job = closing.start_zip(cohort, by=cohort.lead_trainer)
    _db.session.flush()
    reported = []
    result = issuance.run_zip_job(job, lambda done, checkpoint=None: reported.append(done))
    assert reported == [10, 19] and result == {"files": 19, "cohort_id": cohort.id}
    with zipfile.ZipFile(issuance.zip_path(job)) as archive:
        assert archive.namelist() == [f"{c.serial}.pdf" for c in _certificates(cohort)]
        assert archive.read(archive.namelist()[0]) == quick_documents(_certificates(cohort)[0])


def test_the_zip_of_a_training_without_certificates_is_empty_and_goes_to_the_export_folder(
    app, db, tmp_path, monkeypatch
):
    monkeypatch.setitem(app.config, "EXPORT_DIR", str(tmp_path / "exports" / "zips"))
    cohort, _ = _closed_training((50,))
    job = closing.start_zip(cohort, by=cohort.lead_trainer)
    _db.session.flush()
    reported = []
    assert issuance.run_zip_job(job, reported.append) == {"files": 0, "cohort_id": cohort.id}
    assert reported == []
    path = tmp_path / "exports" / "zips" / f"certificates-{job.id}.zip"
    assert issuance.zip_path(job) == path
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist() == []
