"""Closing a training issues certificates exactly once, from the course's rule, as printed."""

from datetime import date, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lms.certificates import closing, issuance, services
from lms.certificates.models import Certificate, CertificateFlag
from lms.certificates.render import credits_uk, render_pdf, sha256_of
from lms.cohorts.models import Attendance
from lms.cohorts.services import change_status
from lms.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from lms.core.jobs import run_job
from lms.core.models import AuditEvent, Job, OutboxMessage
from lms.courses.models import Accreditation
from lms.extensions import db as _db
from tests import factories
from tests.certificate_fixtures import finished_cohort


def _close(cohort, by=None) -> Job:
    by = by or factories.UserFactory(roles=["admin"])
    job = closing.close_cohort(cohort, by=by)
    _db.session.flush()
    # What the worker does once the close is committed.
    run_job(job.id, issuance.run_issuance_job)
    return _db.session.get(Job, job.id)


def _certificates(cohort):
    return list(
        _db.session.scalars(
            select(Certificate).where(Certificate.cohort_id == cohort.id).order_by(Certificate.number)
        )
    )


def test_closing_issues_to_those_who_meet_the_rule_and_explains_the_others(db):
    cohort, (good, also_good, low) = finished_cohort(scores=(90, 70, 50))
    job = _close(cohort)
    assert cohort.status == "closed"
    assert job.status == "done"
    issued = _certificates(cohort)
    assert {c.enrollment_id for c in issued} == {good.id, also_good.id}  # 70 % is the pass mark: passes
    assert job.result["issued_count"] == 2
    [refused] = job.result["not_eligible"]
    assert refused["enrollment_id"] == low.id
    assert "50" in refused["reasons"][0]


def test_attendance_below_the_minimum_or_no_post_test_gets_no_certificate(db):
    cohort, (half_day, no_test, full) = finished_cohort(scores=(95, None, 95), attended=(1, 2, 2))
    job = _close(cohort)
    assert {c.enrollment_id for c in _certificates(cohort)} == {full.id}
    reasons = {row["enrollment_id"]: row["reasons"] for row in job.result["not_eligible"]}
    assert set(reasons) == {half_day.id, no_test.id}


def test_withdrawn_people_are_not_evaluated(db):
    cohort, (kept, gone) = finished_cohort(scores=(90, 90))
    gone.status = "withdrawn"
    job = _close(cohort)
    assert [c.enrollment_id for c in _certificates(cohort)] == [kept.id]
    assert job.total == 1


def test_a_training_cannot_close_before_its_last_session_has_ended(db):
    cohort, _ = finished_cohort(scores=(90,))
    cohort.sessions[-1].date = date.today() + timedelta(days=1)
    cohort.end_date = cohort.sessions[-1].date
    with force_locale("en"), pytest.raises(Conflict) as refused:
        change_status(cohort, "closed", by=factories.UserFactory(roles=["admin"]))
    assert "has not ended" in refused.value.fields["missing"][0]
    assert cohort.status == "in_progress"


def test_unmarked_attendance_blocks_closing_and_is_listed_per_session(db):
    cohort, (first, second) = finished_cohort(scores=(90, 90))
    _db.session.delete(second.attendance[1])
    _db.session.flush()
    with force_locale("en"):
        gaps = closing.closing_gaps(cohort)
    assert len(gaps) == 1 and "1 of 2" in gaps[0]
    with pytest.raises(Conflict):
        _close(cohort)


def test_a_session_recorded_as_not_taken_lets_the_training_close_and_is_audited(db):
    cohort, (person,) = finished_cohort(scores=(90,))
    lead = cohort.lead_trainer
    for mark in list(person.attendance):
        if mark.session_id == cohort.sessions[1].id:
            _db.session.delete(mark)
    _db.session.flush()
    closing.record_attendance_not_taken(cohort.sessions[1], by=lead)
    assert closing.closing_gaps(cohort) == []
    _close(cohort, by=lead)
    # Judged on the session that was taken: she attended all of it.
    assert len(_certificates(cohort)) == 1
    actions = set(_db.session.scalars(select(AuditEvent.action)))
    assert "session.attendance_not_taken" in actions


def test_the_same_job_run_twice_issues_nothing_twice(db):
    cohort, _ = finished_cohort(scores=(90, 85, 80))
    job = _close(cohort)
    serials = [c.serial for c in _certificates(cohort)]
    again = issuance.run_issuance_job(job, lambda done: None)
    assert [c.serial for c in _certificates(cohort)] == serials
    assert again["issued_count"] == 3  # the summary reads what exists, so a resumed job tells the truth


def test_a_training_larger_than_a_batch_is_issued_in_batches_with_serials_in_order(db, monkeypatch):
    monkeypatch.setattr(issuance, "ISSUE_BATCH", 3)
    cohort, people = finished_cohort(scores=(90, 50, 90, 90, 90, 90, 90))  # 7 people, 1 below the mark
    job = closing.close_cohort(cohort, by=factories.UserFactory(roles=["admin"]))
    _db.session.flush()
    reported = []
    result = issuance.run_issuance_job(job, reported.append)
    issued = _certificates(cohort)
    eligible = [p for p in people if p is not people[1]]
    assert [c.enrollment_id for c in issued] == [p.id for p in eligible]  # in the order of enrolment
    assert [c.number for c in issued] == [1, 2, 3, 4, 5, 6]  # one counter move a batch, no gap
    assert reported == [3, 6, 7, 7]  # after each batch of three people, then the end
    assert result["issued_count"] == 6 and [r["enrollment_id"] for r in result["not_eligible"]] == [
        people[1].id
    ]
    assert all(c.sha256 for c in issued)


def test_a_batch_with_one_certificate_issued_meanwhile_issues_the_others_without_a_gap(db, monkeypatch):
    cohort, people = finished_cohort(scores=(90, 90, 90))
    job = closing.close_cohort(cohort, by=factories.UserFactory(roles=["admin"]))
    _db.session.flush()
    real = issuance.record_certificates

    def twin_first(items, *, by=None):
        if len(items) > 1 and not _certificates(cohort):  # a twin job issues the second person first
            real([items[1]], by=by)
        return real(items, by=by)

    monkeypatch.setattr(issuance, "record_certificates", twin_first)
    issuance.run_issuance_job(job, lambda done: None)
    issued = _certificates(cohort)
    assert sorted(c.enrollment_id for c in issued) == sorted(p.id for p in people)
    assert [c.number for c in issued] == [1, 2, 3]  # the refused batch gave its numbers back


def test_the_database_refuses_a_second_live_certificate_for_one_enrolment(db):
    cohort, (person,) = finished_cohort(scores=(90,))
    _close(cohort)
    [certificate] = _certificates(cohort)
    with pytest.raises(IntegrityError), _db.session.begin_nested():
        services.issue_certificate(_db.session.get(type(person), person.id))


def test_serials_count_up_per_year_with_the_configured_prefix(app, db):
    app.config["CERTIFICATE_SERIAL_PREFIX"] = "CHK"
    try:
        cohort, _ = finished_cohort(scores=(90, 90, 90))
        _close(cohort)
    finally:
        app.config["CERTIFICATE_SERIAL_PREFIX"] = "CAS"
    serials = [c.serial for c in _certificates(cohort)]
    year = cohort.end_date.year
    assert serials == [f"CHK-{year}-{n:06d}" for n in (1, 2, 3)]


def test_the_certificate_keeps_what_was_printed_when_the_profile_changes(db):
    cohort, (person,) = finished_cohort(scores=(90,))
    printed = person.user.full_name
    _close(cohort)
    person.user.full_name = "Інше Ім'я"
    _db.session.flush()
    [certificate] = _certificates(cohort)
    assert certificate.holder_name == printed
    assert certificate.hours == 15.0 and certificate.ects_credits == 0.5
    assert certificate.issued_on == cohort.end_date


def test_the_pdf_is_byte_identical_on_every_render_and_its_hash_is_stored(db):
    cohort, _ = finished_cohort(scores=(90,))
    _close(cohort)
    [certificate] = _certificates(cohort)
    first, second = render_pdf(certificate), render_pdf(certificate)
    assert first == second
    assert first.startswith(b"%PDF")
    assert sha256_of(first) == certificate.sha256
    assert len(first) < 60 * 1024


def test_the_printed_text_of_an_issued_certificate_never_changes(db):
    """Its SHA-256 is published: a lost file must render byte-identical, so the wording and
    number formats printed on issued certificates stay as they were (7.5, not 7,5)."""
    import io

    from pypdf import PdfReader

    cohort, _ = finished_cohort(scores=(90,))
    _close(cohort)
    [certificate] = _certificates(cohort)
    certificate.hours = 7.5
    text = PdfReader(io.BytesIO(render_pdf(certificate))).pages[0].extract_text()
    assert "7.5 год." in text and "7.5 hours · 0.25 ECTS credits" in text


def test_a_tot_graduate_gets_a_trainer_certificate_that_accredits_her(db):
    target = factories.CourseFactory()
    tot = factories.CourseFactory(is_tot=True)
    tot.accredits = [target, tot]
    cohort, (graduate,) = finished_cohort(scores=(90,), course=tot)
    _close(cohort)
    [certificate] = _certificates(cohort)
    assert certificate.kind == "trainer"
    granted = list(
        _db.session.scalars(select(Accreditation).where(Accreditation.user_id == graduate.user_id))
    )
    assert {a.course_id for a in granted} == {target.id, tot.id}
    assert all(a.source == "certificate" and a.certificate_id == certificate.id for a in granted)
    assert all(a.granted_on == cohort.end_date and a.source_cohort_id == cohort.id for a in granted)
    assert "trainer" in graduate.user.roles


def test_revoking_needs_a_reason_and_suspends_the_accreditation_it_granted(db):
    tot = factories.CourseFactory(is_tot=True)
    tot.accredits = [tot]
    cohort, _ = finished_cohort(scores=(90,), course=tot)
    _close(cohort)
    [certificate] = _certificates(cohort)
    admin = factories.UserFactory(roles=["admin"])
    with pytest.raises(ValidationError):
        services.revoke(certificate, by=admin, reason="  ")
    services.revoke(certificate, by=admin, reason="Підроблений підпис у відомості")
    accreditation = _db.session.scalar(
        select(Accreditation).where(Accreditation.certificate_id == certificate.id)
    )
    assert certificate.status == "revoked" and accreditation.revoked_at is not None


def test_reissue_after_a_name_correction_supersedes_and_points_to_the_new_one(db):
    cohort, (person,) = finished_cohort(scores=(90,))
    _close(cohort)
    [old] = _certificates(cohort)
    person.user.full_name = "Олена Петрівна Шевченко"
    new = services.reissue(old, by=factories.UserFactory(roles=["admin"]))
    _db.session.flush()
    assert old.status == "superseded" and old.superseded_by_id == new.id
    assert new.holder_name == "Олена Петрівна Шевченко" and new.serial != old.serial
    assert services.by_code(old.verification_code).superseded_by.serial == new.serial


def test_a_trainer_certificate_is_reissued_through_the_api_and_keeps_its_accreditation(client, db):
    """Found by the API fuzz: the ToT's accredited courses were loaded lazily (a 500 in tests)."""
    from tests.conftest import api_headers

    tot = factories.CourseFactory(is_tot=True)
    tot.accredits = [tot]
    cohort, _ = finished_cohort(scores=(90,), course=tot)
    _close(cohort)
    [old] = _certificates(cohort)
    admin = factories.UserFactory(roles=["admin"])
    response = client.post(f"/api/v1/certificates/{old.serial}/reissue", headers=api_headers(admin))
    assert response.status_code == 201, response.json
    new = _db.session.scalar(select(Certificate).where(Certificate.serial == response.json["serial"]))
    accreditation = _db.session.scalar(
        select(Accreditation).where(Accreditation.course_id == tot.id, Accreditation.user_id == new.user_id)
    )
    assert accreditation.certificate_id == new.id and accreditation.revoked_at is None


def test_only_the_regions_coordinator_and_admins_revoke(db):
    cohort, (person,) = finished_cohort(scores=(90,))
    _close(cohort)
    [certificate] = _certificates(cohort)
    other = factories.UserFactory(roles=["coordinator"])
    other.regions = [factories.RegionFactory()]
    with pytest.raises(PermissionDenied):
        services.revoke(certificate, by=cohort.lead_trainer, reason="x")
    with pytest.raises(PermissionDenied):
        services.revoke(certificate, by=other, reason="x")
    own = factories.UserFactory(roles=["coordinator"])
    own.regions = [cohort.district.region]
    services.revoke(certificate, by=own, reason="Помилка в даних")
    assert certificate.status == "revoked"


def test_a_participant_sees_her_certificate_but_not_a_fellow_participants(db):
    cohort, (mine, theirs) = finished_cohort(scores=(90, 90))
    _close(cohort)
    certificates = {c.enrollment_id: c for c in _certificates(cohort)}
    me = mine.user
    assert services.by_serial(certificates[mine.id].serial, by=me).id == certificates[mine.id].id
    with pytest.raises(NotFound):
        services.by_serial(certificates[theirs.id].serial, by=me)
    assert [c.id for c in _db.session.scalars(services.certificates_query(me))] == [certificates[mine.id].id]


def test_reconciliation_issues_to_a_person_made_eligible_by_a_late_paper_sheet(db):
    cohort, (late,) = finished_cohort(scores=(None,))
    _close(cohort)
    assert _certificates(cohort) == []
    from lms.assessments.paper import enter_scores

    enter_scores(late, {"post": 88}, by=factories.UserFactory(roles=["admin"]))
    result = issuance.reconcile()
    assert len(result["issued"]) == 1 and len(_certificates(cohort)) == 1
    assert issuance.reconcile()["issued"] == []


def test_a_holder_no_longer_eligible_is_flagged_not_revoked(db):
    cohort, (person,) = finished_cohort(scores=(90,))
    _close(cohort)
    for mark in person.attendance:
        mark.status = "absent"
    _db.session.flush()
    assert issuance.reconcile()["flagged"]
    [certificate] = _certificates(cohort)
    assert certificate.status == "valid"
    assert _db.session.scalar(select(CertificateFlag).where(CertificateFlag.certificate_id == certificate.id))
    assert issuance.reconcile()["flagged"] == []  # flagged once


def test_the_holder_gets_an_email_with_the_pdf(app, db, mail_dir):
    import email
    import email.policy

    cohort, (person,) = finished_cohort(scores=(90,))
    _close(cohort)
    [certificate] = _certificates(cohort)
    services.email_certificate(certificate.id)
    services.email_certificate(certificate.id)  # a retry sends nothing more
    files = list(mail_dir.glob(f"certificate-{certificate.serial}*.eml"))
    assert len(files) == 1
    message = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content() == render_pdf(certificate)
    assert message["To"] == person.user.email


@pytest.mark.parametrize(
    ("credits", "words"),
    [
        (0.4, "0,4 кредиту ЄКТС"),
        (1, "1 кредит ЄКТС"),
        (2, "2 кредити ЄКТС"),
        (5, "5 кредитів ЄКТС"),
        (11, "11 кредитів ЄКТС"),
        (21, "21 кредит ЄКТС"),
        (12, "12 кредитів ЄКТС"),
    ],
)
def test_credits_are_written_with_the_right_ukrainian_form(credits, words):
    assert credits_uk(credits) == words


def test_attendance_not_taken_cannot_be_recorded_by_someone_outside_the_team(db):
    cohort, _ = finished_cohort(scores=(90,))
    with pytest.raises(PermissionDenied):
        closing.record_attendance_not_taken(cohort.sessions[0], by=factories.UserFactory(roles=["trainer"]))
    assert isinstance(cohort.sessions[0].attendance[0], Attendance)


def test_a_lost_document_is_rendered_again_identical_from_the_snapshot(db):
    from lms.certificates.render import pdf_of, stored_path

    cohort, _ = finished_cohort(scores=(90,))
    _close(cohort)
    [certificate] = _certificates(cohort)
    path = stored_path(certificate)
    original = path.read_bytes()
    path.write_bytes(b"damaged")
    assert pdf_of(certificate) == original
    path.unlink()
    assert pdf_of(certificate) == original and path.read_bytes() == original


def test_a_rendering_failure_for_one_person_does_not_stop_the_others_and_is_reported(
    db, monkeypatch, mail_dir
):
    from lms.certificates import services as certificate_services

    cohort, (first, broken, last) = finished_cohort(scores=(90, 90, 90))
    real_render = certificate_services.render_pdf

    def render(certificate):
        if certificate.enrollment_id == broken.id:
            raise OSError("font file unreadable")
        return real_render(certificate)

    monkeypatch.setattr(certificate_services, "render_pdf", render)
    job = _close(cohort)
    # She is issued (her serial is hers, the certificate verifies); her document is pending.
    certificates = {c.enrollment_id: c for c in _certificates(cohort)}
    assert set(certificates) == {first.id, broken.id, last.id}
    assert job.status == "done" and job.result["issued_count"] == 3 and job.result["failed"] == []
    [pending] = job.result["documents_pending"]
    assert pending["enrollment_id"] == broken.id and pending["serial"] == certificates[broken.id].serial
    assert certificates[broken.id].sha256 == "" and all(certificates[e.id].sha256 for e in (first, last))
    assert _emails_queued() == {certificates[first.id].id, certificates[last.id].id}  # not hers yet
    monkeypatch.setattr(certificate_services, "render_pdf", real_render)
    assert issuance.reconcile()["documented"] == [certificates[broken.id].serial]
    _db.session.refresh(certificates[broken.id])
    assert certificates[broken.id].sha256
    assert _emails_queued() == {c.id for c in certificates.values()}
    assert issuance.reconcile()["documented"] == []  # once
    services.email_certificates(sorted(_emails_queued()))
    assert _mails(mail_dir, certificates.values()) == 3


def _emails_queued() -> set[int]:
    messages = _db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.task == "lms.certificates.email_certificates")
    )
    return {certificate_id for message in messages for certificate_id in message.kwargs["certificate_ids"]}


def test_emails_a_crash_left_unqueued_are_queued_when_the_job_runs_again_and_sent_once(db, mail_dir):
    cohort, people = finished_cohort(scores=(90, 90))
    job = _close(cohort)
    _db.session.execute(OutboxMessage.__table__.delete())  # the batch was still in memory
    issuance.run_issuance_job(job, lambda *args, **kwargs: None)
    queued = _emails_queued()
    assert queued == {c.id for c in _certificates(cohort)} and len(queued) == len(people)
    services.email_certificates(sorted(queued))
    services.email_certificates(sorted(queued))  # delivered twice: sent once
    assert _mails(mail_dir, _certificates(cohort)) == len(people)


def test_a_failed_delivery_leaves_the_email_to_its_retry(db, mail_dir, monkeypatch):
    from lms.core import mail

    cohort, _people = finished_cohort(scores=(90,))
    _close(cohort)
    [certificate] = _certificates(cohort)
    real_deliver = mail.deliver

    def refuse(message):
        raise OSError("mail server unreachable")

    monkeypatch.setattr(mail, "deliver", refuse)
    with pytest.raises(OSError):
        with _db.session.begin_nested():
            services.email_certificate(certificate.id)
    _db.session.refresh(certificate)
    assert certificate.emailed_at is None
    monkeypatch.setattr(mail, "deliver", real_deliver)
    services.email_certificate(certificate.id)
    _db.session.refresh(certificate)
    assert certificate.emailed_at is not None and _mails(mail_dir, [certificate]) == 1


def _mails(mail_dir, certificates) -> int:
    """Emails written for these certificates (the folder is shared by the session's tests)."""
    return sum(len(list(mail_dir.glob(f"certificate-{c.serial}*.eml"))) for c in certificates)
