"""Enrolment: capacity and the waitlist, withdrawal, conflicts, closed cohorts, invitations and
the pages of the cohort's participants."""

import email
import email.policy
from datetime import date, time

import icalendar
import pytest
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lms.cohorts import enrolment
from lms.cohorts import people as people_search
from lms.cohorts.models import Enrollment, TrainingSession
from lms.core import outbox
from lms.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from lms.core.models import AuditEvent
from tests import factories
from tests.conftest import sign_in


def sign_in_en(client, user):
    """Sign in with the pages in English, so tests can read the messages."""
    sign_in(client, user)
    with client.session_transaction() as session:
        session["lang"] = "en"


def english(message) -> str:
    with force_locale("en"):
        return str(message)


@pytest.fixture
def cohort(db):
    return factories.CohortFactory(capacity=2, with_sessions=True)


def people(n):
    return [factories.UserFactory() for _ in range(n)]


def statuses(cohort):
    rows = db_rows(cohort)
    return {row.user_id: row.status for row in rows}


def db_rows(cohort):
    from lms.extensions import db

    return db.session.scalars(
        select(Enrollment).where(Enrollment.cohort_id == cohort.id).order_by(Enrollment.id)
    ).all()


def delivered(db, mail_dir, before):
    """Commit, publish the outbox, and return the new emails."""
    db.session.commit()
    outbox.publish_ready()
    new = sorted(set(mail_dir.glob("*.eml")) - before, key=lambda p: p.stat().st_mtime_ns)
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in new]


def mail_before(mail_dir):
    return set(mail_dir.glob("*.eml")) if mail_dir.exists() else set()


def test_enrolling_beyond_capacity_puts_people_on_the_waitlist_in_order(cohort):
    trainer = cohort.lead_trainer
    a, b, c, d = people(4)
    results = [enrolment.enrol(cohort, by=trainer, user_id=p.id, send_invitation=False) for p in (a, b, c, d)]
    assert [e.status for e in results] == ["enrolled", "enrolled", "waitlisted", "waitlisted"]
    assert {e.enrolled_by_id for e in results} == {trainer.id}  # who put each of them there
    assert [enrolment.waitlist_position(e) for e in results] == [None, None, 1, 2]
    assert enrolment.enrollment_counts(cohort) == {
        "enrolled": 2,
        "waitlisted": 2,
        "withdrawn": 0,
        "capacity": 2,
        "free": 0,
    }


def test_withdrawing_moves_the_earliest_waitlisted_up_and_emails_them(db, cohort, mail_dir):
    trainer = cohort.lead_trainer
    a, b, d = people(3)
    c = factories.UserFactory(locale="en")
    first = [enrolment.enrol(cohort, by=trainer, user_id=p.id, send_invitation=False) for p in (a, b, c, d)]
    before = mail_before(mail_dir)
    enrolment.withdraw(first[0], by=trainer)
    assert statuses(cohort) == {a.id: "withdrawn", b.id: "enrolled", c.id: "enrolled", d.id: "waitlisted"}
    assert first[2].waitlisted_at is None
    assert enrolment.waitlist_position(first[3]) == 1
    messages = delivered(db, mail_dir, before)
    assert [m["To"] for m in messages] == [c.email]
    assert "A place has opened up" in messages[0]["Subject"]


def test_withdrawing_someone_waiting_moves_nobody_up(cohort):
    trainer = cohort.lead_trainer
    a, b, c, d = people(4)
    rows = [enrolment.enrol(cohort, by=trainer, user_id=p.id, send_invitation=False) for p in (a, b, c, d)]
    enrolment.withdraw(rows[2], by=trainer)
    assert statuses(cohort) == {a.id: "enrolled", b.id: "enrolled", c.id: "withdrawn", d.id: "waitlisted"}


def test_withdrawn_person_can_be_enrolled_again(cohort):
    trainer = cohort.lead_trainer
    (a,) = people(1)
    enrollment = enrolment.enrol(cohort, by=trainer, user_id=a.id, send_invitation=False)
    enrolment.withdraw(enrollment, by=trainer)
    again = enrolment.enrol(cohort, by=trainer, user_id=a.id, send_invitation=False)
    assert again.id == enrollment.id
    assert again.status == "enrolled" and again.withdrawn_at is None
    with pytest.raises(Conflict):
        enrolment.withdraw(factories.EnrollmentFactory(cohort=cohort, status="withdrawn"), by=trainer)


def test_enrolling_the_same_person_twice_is_a_conflict(cohort):
    trainer = cohort.lead_trainer
    a, b, c = people(3)
    for person in (a, b, c):
        enrolment.enrol(cohort, by=trainer, user_id=person.id, send_invitation=False)
    with pytest.raises(Conflict) as error:
        enrolment.enrol(cohort, by=trainer, user_id=a.id)
    assert "already enrolled" in english(error.value.message)
    with pytest.raises(Conflict) as error:
        enrolment.enrol(cohort, by=trainer, user_id=c.id)
    assert "already on the waitlist" in english(error.value.message)
    assert len(db_rows(cohort)) == 3


def test_the_database_refuses_a_second_enrollment_of_a_person(db, cohort):
    person = factories.UserFactory()
    factories.EnrollmentFactory(cohort=cohort, user=person)
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(Enrollment(cohort_id=cohort.id, user_id=person.id, status="waitlisted"))
        db.session.flush()


@pytest.mark.parametrize("status", ["closed", "cancelled"])
def test_closed_and_cancelled_cohorts_refuse_enrolment_changes(db, status):
    cohort = factories.CohortFactory(status=status)
    enrolled = factories.EnrollmentFactory(cohort=cohort)
    newcomer = factories.UserFactory()
    with pytest.raises(Conflict):
        enrolment.enrol(cohort, by=cohort.lead_trainer, user_id=newcomer.id)
    with pytest.raises(Conflict):
        enrolment.withdraw(enrolled, by=cohort.lead_trainer)
    assert enrolment.fill_from_waitlist(cohort, by=cohort.lead_trainer) == []
    assert statuses(cohort) == {enrolled.user_id: "enrolled"}


def test_grown_capacity_is_filled_from_the_waitlist(db, cohort, mail_dir):
    trainer = cohort.lead_trainer
    a, b, c, d = people(4)
    for person in (a, b, c, d):
        enrolment.enrol(cohort, by=trainer, user_id=person.id, send_invitation=False)
    cohort.capacity = 3
    before = mail_before(mail_dir)
    moved = enrolment.fill_from_waitlist(cohort, by=trainer)
    assert [e.user_id for e in moved] == [c.id]
    assert statuses(cohort)[d.id] == "waitlisted"
    assert [m["To"] for m in delivered(db, mail_dir, before)] == [c.email]


def test_a_newcomer_does_not_jump_the_queue_when_a_seat_is_free(cohort):
    trainer = cohort.lead_trainer
    a, b, c, d = people(4)
    for person in (a, b, c):
        enrolment.enrol(cohort, by=trainer, user_id=person.id, send_invitation=False)
    cohort.capacity = 3  # a seat opened without anyone moving up yet
    assert enrolment.enrol(cohort, by=trainer, user_id=d.id, send_invitation=False).status == "waitlisted"
    assert statuses(cohort)[c.id] == "enrolled"


def test_every_enrolment_change_is_audited(db, cohort):
    trainer = cohort.lead_trainer
    a, b, c = people(3)
    rows = [enrolment.enrol(cohort, by=trainer, user_id=p.id, send_invitation=False) for p in (a, b, c)]
    enrolment.withdraw(rows[0], by=trainer)
    db.session.flush()
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_type == "enrollments").order_by(AuditEvent.id)
    ).all()
    assert actions == [
        "enrollment.enrol",
        "enrollment.enrol",
        "enrollment.waitlist",
        "enrollment.withdraw",
        "enrollment.promote",
    ]
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action.in_(("enrollment.withdraw", "enrollment.promote")))
        .order_by(AuditEvent.id)
    ).all()
    assert [(e.actor_id, e.object_id, e.details) for e in events] == [
        (trainer.id, rows[0].id, {"before": "enrolled", "user_id": a.id}),
        (trainer.id, rows[2].id, {"user_id": c.id}),
    ]
    assert rows[0].withdrawn_at is not None
    placed = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action.in_(("enrollment.enrol", "enrollment.waitlist")))
        .order_by(AuditEvent.id)
    ).all()
    assert [(e.actor_id, e.object_id, e.details) for e in placed] == [
        (trainer.id, row.id, {"user_id": person.id}) for row, person in zip(rows, (a, b, c), strict=True)
    ]
    assert {row.enrolled_by_id for row in rows} == {trainer.id}


def test_invitation_names_course_dates_sessions_venue_and_trainers_with_the_calendar(db, mail_dir):
    course = factories.CourseFactory(
        title="Мультидисциплінарний підхід", title_en="Multidisciplinary approach"
    )
    co_trainer = factories.UserFactory(roles=["trainer"], full_name="Віктор Ткаченко")
    cohort = factories.CohortFactory(
        course=course,
        start_date=date(2031, 3, 12),
        end_date=date(2031, 3, 13),
        venue="Уманська РДА, зала засідань",
        lead_trainer=factories.UserFactory(roles=["trainer"], full_name="Оксана Мельник"),
    )
    cohort.co_trainers.append(co_trainer)
    for day, venue in ((12, ""), (13, "Центр соціальних служб")):
        cohort.sessions.append(
            TrainingSession(date=date(2031, 3, day), starts_at=time(9, 30), ends_at=time(16), venue=venue)
        )
    person = factories.UserFactory(full_name="Ґалаґан Марʼяна", email="maryana@example.org")
    before = mail_before(mail_dir)
    enrolment.enrol(cohort, by=cohort.lead_trainer, user_id=person.id)
    (message,) = delivered(db, mail_dir, before)
    assert message["To"] == "maryana@example.org"
    assert "Мультидисциплінарний підхід" in message["Subject"]
    body = message.get_body(("plain",)).get_content()
    for expected in (
        "Ґалаґан Марʼяна",
        "Мультидисциплінарний підхід",
        "12 березня 2031",
        "13 березня 2031",
        "09:30–16:00",
        "Уманська РДА, зала засідань",
        "Центр соціальних служб",
        "Оксана Мельник, Віктор Ткаченко",
    ):
        assert expected in body, expected
    (attachment,) = message.iter_attachments()
    assert (attachment.get_filename(), attachment.get_content_type()) == ("training.ics", "text/calendar")
    calendar = icalendar.Calendar.from_ical(attachment.get_payload(decode=True))
    events = sorted(calendar.walk("VEVENT"), key=lambda e: e.decoded("dtstart"))
    assert [e.decoded("dtstart").date() for e in events] == [date(2031, 3, 12), date(2031, 3, 13)]
    assert events[1]["location"].startswith("Центр соціальних служб")


def test_invitation_is_written_in_the_persons_language(db, mail_dir):
    course = factories.CourseFactory(title="Оцінка потреб", title_en="Needs assessment")
    cohort = factories.CohortFactory(course=course, start_date=date(2031, 5, 20), end_date=date(2031, 5, 21))
    person = factories.UserFactory(locale="en")
    before = mail_before(mail_dir)
    enrolment.enrol(cohort, by=cohort.lead_trainer, user_id=person.id)
    (message,) = delivered(db, mail_dir, before)
    body = message.get_body(("plain",)).get_content()
    assert message["Subject"] == "You are enrolled: Needs assessment"
    assert "May 20, 2031" in body and "Оцінка потреб" not in body
    assert "The schedule of sessions will follow." in body


def test_new_participant_is_created_with_a_latin_name_and_an_institution_of_the_district(db, cohort):
    institution = factories.InstitutionFactory(district=cohort.district)
    enrollment = enrolment.enrol(
        cohort,
        by=cohort.lead_trainer,
        new_person={
            "full_name": "  Ґалаґан   Марʼяна ",
            "email": "Maryana.Galagan@Example.org",
            "phone": "067 123 45 67",
            "position": "Соціальна працівниця",
            "institution_id": institution.id,
        },
        send_invitation=False,
    )
    user = enrollment.user
    assert (user.full_name, user.full_name_latin) == ("Ґалаґан Марʼяна", "Galagan Mariana")
    assert (user.email, user.phone, user.institution_id) == (
        "maryana.galagan@example.org",
        "+380671234567",
        institution.id,
    )
    assert user.roles == {"participant"}
    assert (
        db.session.scalar(select(AuditEvent.actor_id).where(AuditEvent.action == "enrollment.create_person"))
        == cohort.lead_trainer_id
    )


def test_new_participant_must_work_in_the_trainings_district_and_have_a_fresh_email(cohort):
    elsewhere = factories.InstitutionFactory()
    with pytest.raises(ValidationError) as error:
        enrolment.enrol(
            cohort,
            by=cohort.lead_trainer,
            new_person={
                "full_name": "Іван Петренко",
                "email": "ivan@example.org",
                "institution_id": elsewhere.id,
            },
        )
    assert "institution_id" in error.value.fields
    existing = factories.UserFactory(email="taken@example.org")
    with pytest.raises(Conflict):
        enrolment.enrol(
            cohort, by=cohort.lead_trainer, new_person={"full_name": "X", "email": existing.email}
        )
    with pytest.raises(ValidationError) as error:
        enrolment.enrol(
            cohort, by=cohort.lead_trainer, new_person={"full_name": "Я" * 201, "email": "y@example.org"}
        )
    assert "full_name" in error.value.fields


def test_search_finds_active_people_by_any_part_in_any_case_and_is_capped(db, cohort, admin):
    from lms.cohorts import people

    factories.UserFactory(
        full_name="Щербуха Ярослава",
        full_name_latin="Shcherbukha Yaroslava",
        email="ya@example.org",
        phone="+380501112233",
    )
    factories.UserFactory(full_name="Щербуха Ігор", active=False)
    for n in range(5):
        factories.UserFactory(full_name=f"Бойко Тетяна {n}")

    def names(query, **options):
        return [found.user.full_name for found in people.search_people(admin, cohort, query, **options)]

    assert names("щЕРБУХА") == ["Щербуха Ярослава"]
    assert names("501112") == ["Щербуха Ярослава"]
    assert names("SHCHERBUKHA") == ["Щербуха Ярослава"]
    assert len(names("бойко", limit=3)) == 3
    assert names("щ") == []


def test_another_trainer_cannot_enrol_and_a_participant_cannot_enrol_others(db, cohort):
    stranger = factories.UserFactory(roles=["trainer"])
    participant = factories.EnrollmentFactory(cohort=cohort).user
    for person in (stranger, participant):
        with pytest.raises(PermissionDenied):
            enrolment.enrol(cohort, by=person, user_id=factories.UserFactory().id)
    with pytest.raises(NotFound):
        enrolment.cohort_for(stranger, cohort.id)
    with pytest.raises(PermissionDenied):
        enrolment.cohort_for(participant, cohort.id)


def test_regions_coordinator_manages_enrolment(db, cohort):
    coordinator = factories.UserFactory(roles=["coordinator"], regions=[cohort.district.region])
    enrollment = enrolment.enrol(
        cohort, by=coordinator, user_id=factories.UserFactory().id, send_invitation=False
    )
    assert enrollment.enrolled_by_id == coordinator.id


# Pages


def test_cohort_page_panel_lists_enrolled_waitlisted_and_withdrawn(client, db, cohort):
    a, b, c, d = (
        factories.UserFactory(full_name=name, position="Психологиня")
        for name in ("Антоненко Ірина", "Бойко Олена", "Вовк Степан", "Гнатюк Богдан")
    )
    for person in (a, b, c, d):
        enrolment.enrol(cohort, by=cohort.lead_trainer, user_id=person.id, send_invitation=False)
    enrolment.withdraw(db_rows(cohort)[0], by=cohort.lead_trainer)
    sign_in_en(client, cohort.lead_trainer)
    page = client.get(f"/cohorts/{cohort.id}").get_data(as_text=True)
    assert 'id="enrolment"' in page
    enrolled, rest = page.split('data-testid="enrolled"')[1].split('data-testid="waitlisted"')
    waitlisted, withdrawn = rest.split('data-testid="withdrawn"')
    assert "Бойко Олена" in enrolled and "Вовк Степан" in enrolled and "Психологиня" in enrolled
    assert "Гнатюк Богдан" in waitlisted and "Антоненко Ірина" in withdrawn
    assert "2 of 2 places taken" in page


def test_participant_sees_no_list_of_the_others_on_the_cohort_page(client, db, cohort):
    mine, other = factories.EnrollmentFactory(cohort=cohort), factories.EnrollmentFactory(cohort=cohort)
    sign_in_en(client, mine.user)
    page = client.get(f"/cohorts/{cohort.id}").get_data(as_text=True)
    assert 'id="enrolment"' in page and other.user.full_name not in page


def test_trainer_finds_and_enrols_a_person_and_is_told_about_the_waitlist(client, db, cohort):
    local = factories.InstitutionFactory(district=cohort.district)  # the trainer searches her region
    a = factories.UserFactory(full_name="Заїка Лариса", institution=local)
    b = factories.UserFactory(full_name="Заїка Роман", institution=local)
    factories.EnrollmentFactory(cohort=cohort)
    sign_in_en(client, cohort.lead_trainer)
    page = client.get(f"/cohorts/{cohort.id}/enrolments/add?q=заїка").get_data(as_text=True)
    assert "Заїка Лариса" in page and "Заїка Роман" in page
    response = client.post(f"/cohorts/{cohort.id}/enrolments", data={"user_id": a.id, "q": "заїка"})
    assert response.status_code == 302 and "q=" in response.headers["Location"]
    client.post(f"/cohorts/{cohort.id}/enrolments", data={"user_id": b.id})
    page = client.get(f"/cohorts/{cohort.id}/enrolments/add").get_data(as_text=True)
    assert "is on the waitlist, number 1" in page
    assert statuses(cohort)[a.id] == "enrolled" and statuses(cohort)[b.id] == "waitlisted"
    client.post(f"/cohorts/{cohort.id}/enrolments", data={"user_id": b.id})
    assert "already on the waitlist" in client.get(f"/cohorts/{cohort.id}/enrolments/add").get_data(
        as_text=True
    )


def test_trainer_adds_a_new_participant_inline(client, db, cohort):
    institution = factories.InstitutionFactory(district=cohort.district, name="Уманський районний центр")
    sign_in_en(client, cohort.lead_trainer)
    page = client.get(f"/cohorts/{cohort.id}/enrolments/add").get_data(as_text=True)
    assert "Уманський районний центр" in page
    data = {"full_name": "Їжакевич Олег", "email": "oleg@example.org", "phone": "", "position": "Поліцейський",
            "institution_id": institution.id}  # fmt: skip
    assert client.post(f"/cohorts/{cohort.id}/enrolments/new", data=data).status_code == 302
    (enrollment,) = db_rows(cohort)
    assert enrollment.user.full_name_latin == "Yizhakevych Oleh"
    response = client.post(f"/cohorts/{cohort.id}/enrolments/new", data=data | {"email": "not an email"})
    assert response.status_code == 422 and "Enter a valid email address." in response.get_data(as_text=True)


def test_withdrawal_from_the_page_needs_confirmation_and_moves_the_waitlist(client, db, cohort):
    rows = [factories.EnrollmentFactory(cohort=cohort) for _ in range(2)]
    waiting = factories.EnrollmentFactory(
        cohort=cohort, status="waitlisted", waitlisted_at=rows[0].created_at
    )
    sign_in_en(client, cohort.lead_trainer)
    page = client.get(f"/cohorts/{cohort.id}").get_data(as_text=True)
    assert f'/enrolments/{rows[0].id}/withdraw"' in page and "data-confirm=" in page
    response = client.post(f"/cohorts/{cohort.id}/enrolments/{rows[0].id}/withdraw")
    assert response.headers["Location"].endswith(f"/cohorts/{cohort.id}#enrolment")
    assert statuses(cohort) == {
        rows[0].user_id: "withdrawn",
        rows[1].user_id: "enrolled",
        waiting.user_id: "enrolled",
    }
    response = client.post(f"/cohorts/{cohort.id}/enrolments/{rows[0].id}/enrol", data={"back": "list"})
    assert f"/cohorts/{cohort.id}/enrolments" in response.headers["Location"]
    assert statuses(cohort)[rows[0].user_id] == "waitlisted"


def test_full_list_filters_by_status_and_searches(client, db, cohort):
    factories.EnrollmentFactory(cohort=cohort, user=factories.UserFactory(full_name="Мороз Алла"))
    factories.EnrollmentFactory(
        cohort=cohort, user=factories.UserFactory(full_name="Лисенко Юрій"), status="withdrawn"
    )
    sign_in_en(client, cohort.lead_trainer)
    page = client.get(f"/cohorts/{cohort.id}/enrolments?status=withdrawn").get_data(as_text=True)
    assert "Лисенко Юрій" in page and "Мороз Алла" not in page
    page = client.get(f"/cohorts/{cohort.id}/enrolments?q=мороз").get_data(as_text=True)
    assert "Мороз Алла" in page and "Лисенко Юрій" not in page


def test_closed_cohort_pages_offer_no_changes(client, db):
    cohort = factories.CohortFactory(status="closed")
    enrollment = factories.EnrollmentFactory(cohort=cohort)
    sign_in_en(client, cohort.lead_trainer)
    page = client.get(f"/cohorts/{cohort.id}").get_data(as_text=True)
    assert "/withdraw" not in page and "Add a person" not in page
    client.post(f"/cohorts/{cohort.id}/enrolments/{enrollment.id}/withdraw")
    assert statuses(cohort) == {enrollment.user_id: "enrolled"}


def test_other_trainers_cohort_pages_are_not_found(client, db, cohort):
    enrollment = factories.EnrollmentFactory(cohort=cohort)
    sign_in_en(client, factories.UserFactory(roles=["trainer"]))
    for path in ("/enrolments", "/enrolments/add", "/roster/upload", "/roster/template.csv"):
        assert client.get(f"/cohorts/{cohort.id}{path}").status_code == 404, path
    for path in ("/enrolments", f"/enrolments/{enrollment.id}/withdraw", "/enrolments/new"):
        assert client.post(f"/cohorts/{cohort.id}{path}", data={"user_id": 1}).status_code == 404, path
    assert statuses(cohort) == {enrollment.user_id: "enrolled"}


def test_participant_of_the_cohort_cannot_enrol_others(client, db, cohort):
    participant = factories.EnrollmentFactory(cohort=cohort).user
    sign_in_en(client, participant)
    assert client.get(f"/cohorts/{cohort.id}/enrolments/add").status_code == 403
    other = factories.UserFactory()
    assert client.post(f"/cohorts/{cohort.id}/enrolments", data={"user_id": other.id}).status_code == 403
    assert other.id not in statuses(cohort)


def test_an_enrollment_of_another_cohort_is_not_found_through_this_one(client, db, cohort):
    mine = factories.CohortFactory(lead_trainer=cohort.lead_trainer, accredited=False)
    enrollment = factories.EnrollmentFactory(cohort=cohort)
    sign_in_en(client, cohort.lead_trainer)
    assert client.post(f"/cohorts/{mine.id}/enrolments/{enrollment.id}/withdraw").status_code == 404


def test_raising_the_capacity_moves_the_waitlist_up(db, mail_dir):
    from lms.cohorts import enrolment, services

    cohort = factories.CohortFactory(capacity=1, with_sessions=True)
    coordinator = cohort.lead_trainer
    first, second = factories.UserFactory(), factories.UserFactory(email="waiting@example.org")
    enrolment.enrol(cohort, by=coordinator, user_id=first.id, send_invitation=False)
    waiting = enrolment.enrol(cohort, by=coordinator, user_id=second.id, send_invitation=False)
    assert waiting.status == "waitlisted"
    services.update_cohort(cohort, by=coordinator, capacity=2)
    assert waiting.status == "enrolled"


@pytest.mark.parametrize(("matching", "more"), [(3, False), (4, True)])
def test_people_to_enrol_shows_each_persons_status_here_and_whether_more_match(cohort, matching, more):
    found = [
        factories.UserFactory(full_name=f"Кравчук Світлана {n}", email=f"kravchuk{n}@example.org")
        for n in range(matching)
    ]
    factories.EnrollmentFactory(cohort=cohort, user=found[0])
    elsewhere = factories.CohortFactory()
    factories.EnrollmentFactory(cohort=elsewhere, user=found[1], status="withdrawn")
    admin = factories.UserFactory(roles=["admin"])  # a trainer finds only people she may know
    shown, has_more = enrolment.people_to_enrol(cohort, "кравчук", by=admin, limit=3)
    assert [(found_person.user.id, found_person.status) for found_person in shown] == [
        (found[0].id, "enrolled"),
        (found[1].id, None),  # withdrawn from another training, not from this one
        (found[2].id, None),
    ]
    assert has_more is more
    assert enrolment.people_to_enrol(cohort, "кравчук", by=admin)[1] is False


def test_search_needs_two_letters_and_finds_only_active_people(db):
    active = factories.UserFactory(full_name="Остапчук Лариса")
    factories.UserFactory(full_name="Остапчук Ніна", active=False)
    admin = factories.UserFactory(roles=["admin"])
    cohort = factories.CohortFactory()

    def names(query, **options):
        return [found.user for found in people_search.search_people(admin, cohort, query, **options)]

    assert names("о") == []
    assert names(" ОСТАПЧУК ") == [active]
    assert names("остапчук", limit=1) == [active]


def test_adding_as_new_someone_already_registered_finds_her_and_her_place_here(db, cohort):
    trainer = cohort.lead_trainer
    olena = factories.UserFactory(email="olena@example.org")
    assert enrolment.person_with_email(cohort, "  Olena@Example.ORG ", by=trainer) == (olena, None)
    factories.EnrollmentFactory(user=olena)  # another training's place is not this one's
    assert enrolment.person_with_email(cohort, "olena@example.org", by=trainer) == (olena, None)
    factories.EnrollmentFactory(cohort=cohort, user=olena, status="waitlisted")
    assert enrolment.person_with_email(cohort, "olena@example.org", by=trainer) == (olena, "waitlisted")
    factories.UserFactory(email="gone@example.org", active=False)
    for unknown in ("gone@example.org", "nobody@example.org", "not an email", ""):
        assert enrolment.person_with_email(cohort, unknown, by=trainer) is None, unknown
    with pytest.raises(PermissionDenied):
        enrolment.person_with_email(cohort, "olena@example.org", by=factories.UserFactory(roles=["trainer"]))


def test_the_add_page_offers_to_enrol_the_registered_person_instead_of_adding_her_again(client, db, cohort):
    olena = factories.UserFactory(email="olena@example.org", full_name="Коваль Олена")
    sign_in_en(client, cohort.lead_trainer)
    data = {"full_name": "Коваль Олена", "email": "Olena@example.org", "phone": "", "position": ""}
    response = client.post(f"/cohorts/{cohort.id}/enrolments/new", data=data)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert 'data-testid="existing-person"' in page
    assert f'name="user_id" value="{olena.id}"' in page and f"Enrol {olena.full_name}" in page
    assert db_rows(cohort) == []


def test_a_new_participants_name_and_position_may_be_200_characters_and_no_more(db, cohort):
    trainer = cohort.lead_trainer
    person = {"full_name": "Я" * 200, "email": "y@example.org", "position": "  " + "п" * 200 + " "}
    enrollment = enrolment.enrol(cohort, by=trainer, new_person=person, send_invitation=False)
    assert (len(enrollment.user.full_name), enrollment.user.position) == (200, "п" * 200)
    with pytest.raises(ValidationError) as error:
        enrolment.enrol(
            cohort, by=trainer, new_person=person | {"email": "z@example.org", "position": "п" * 201}
        )
    assert set(error.value.fields) == {"position"}
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "enrollment.create_person")
    ).one()
    assert (event.object_id, event.details) == (enrollment.user_id, {"cohort_id": cohort.id})


def test_enrolling_someone_already_here_names_the_person_field_and_her_place(cohort):
    trainer = cohort.lead_trainer
    a, b, c = people(3)
    for person in (a, b, c):
        enrolment.enrol(cohort, by=trainer, user_id=person.id, send_invitation=False)
    for person, place in ((a, "already enrolled"), (c, "already on the waitlist")):
        with pytest.raises(Conflict) as error:
            enrolment.enrol(cohort, by=trainer, user_id=person.id)
        assert list(error.value.fields) == ["user_id"]
        assert place in english(error.value.fields["user_id"][0])


def test_the_panel_gives_those_who_manage_each_list_apart_and_a_participant_only_her_place(db, cohort):
    a, b, c, d = (
        factories.UserFactory(full_name=name)
        for name in ("Антоненко Ірина", "Бойко Олена", "Вовк Степан", "Гнатюк Богдан")
    )
    for person in (a, b, c, d):
        enrolment.enrol(cohort, by=cohort.lead_trainer, user_id=person.id, send_invitation=False)
    enrolment.withdraw(db_rows(cohort)[0], by=cohort.lead_trainer)

    def users(rows):
        return [row.user_id for row in rows]

    full = enrolment.panel(cohort, by=cohort.lead_trainer)
    assert (users(full["enrolled"]), users(full["waitlisted"]), users(full["withdrawn"])) == (
        [b.id, c.id], [d.id], [a.id],
    )  # fmt: skip
    assert (full["manage"], full["show_seats"], "mine" in full) == (True, True, False)
    assert users(enrolment.panel(cohort, by=cohort.lead_trainer, shown=1)["enrolled"]) == [b.id]
    assert factories.EnrollmentFactory(user=a).cohort_id != cohort.id  # a's place elsewhere is not hers here
    for person, place in ((d, "waitlisted"), (a, "withdrawn"), (factories.UserFactory(), None)):
        mine = enrolment.panel(cohort, by=person)
        assert (mine["manage"], mine["mine"], "enrolled" in mine) == (False, place, False)


@pytest.mark.parametrize(
    ("status", "seats_for_participants"),
    [("scheduled", True), ("in_progress", True), ("closed", False), ("cancelled", False)],
)
def test_free_places_are_shown_to_participants_only_while_people_can_join(db, status, seats_for_participants):
    cohort = factories.CohortFactory(status=status, with_sessions=True)
    participant = factories.EnrollmentFactory(cohort=cohort).user
    assert enrolment.panel(cohort, by=participant)["show_seats"] is seats_for_participants
    assert enrolment.panel(cohort, by=cohort.lead_trainer)["show_seats"] is True


def test_a_new_participants_institutions_are_those_of_the_district_in_the_pages_alphabet(cohort):
    for name in ("Ясла № 2", "Ґимназія № 1", "Гімназія № 3", "Центр соціальних служб"):
        factories.InstitutionFactory(district=cohort.district, name=name)
    factories.InstitutionFactory(name="Інший район")
    listed = [i.name for i in enrolment.district_institutions(cohort)]
    assert listed == ["Гімназія № 3", "Ґимназія № 1", "Центр соціальних служб", "Ясла № 2"]
    with force_locale("en"):  # English pages show and sort the Latin names
        english_names = [i.name_en for i in enrolment.district_institutions(cohort)]
    assert english_names == sorted(english_names) and english_names[0].startswith("G")


def test_the_waitlist_moves_up_in_the_order_people_joined_it_and_only_in_its_own_training(db, cohort):
    from datetime import UTC, datetime, timedelta

    trainer = cohort.lead_trainer
    first, second = (
        enrolment.enrol(cohort, by=trainer, user_id=p.id, send_invitation=False) for p in people(2)
    )
    other_training = factories.CohortFactory(capacity=1, with_sessions=True)
    _seated, waiting_elsewhere = (
        enrolment.enrol(other_training, by=other_training.lead_trainer, user_id=p.id, send_invitation=False)
        for p in people(2)
    )
    late, early, tied = (
        enrolment.enrol(cohort, by=trainer, user_id=p.id, send_invitation=False) for p in people(3)
    )
    start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    late.waitlisted_at, early.waitlisted_at, tied.waitlisted_at = start + timedelta(hours=1), start, start
    waiting_elsewhere.waitlisted_at = start - timedelta(days=1)
    db.session.flush()
    # Joined at the same moment: the one added first goes first.
    assert [enrolment.waitlist_position(e) for e in (early, tied, late, first)] == [1, 2, 3, None]
    enrolment.withdraw(first, by=trainer)
    assert (early.status, tied.status, waiting_elsewhere.status) == ("enrolled", "waitlisted", "waitlisted")
    assert [enrolment.waitlist_position(e) for e in (tied, late)] == [1, 2]
    assert enrolment.fill_from_waitlist(cohort, by=trainer) == []  # the training is full again
    assert second.status == "enrolled"


def test_the_invitation_gives_the_dates_as_one_range_and_latin_names_to_an_english_reader(db):
    course = factories.CourseFactory(title="Оцінка потреб", title_en="Needs assessment")
    lead = factories.UserFactory(roles=["trainer"], full_name="Оксана Мельник")
    cohort = factories.CohortFactory(
        course=course, start_date=date(2031, 3, 12), end_date=date(2031, 3, 13), lead_trainer=lead
    )
    person = factories.UserFactory(locale="en", full_name="Ґалаґан Марʼяна")
    subject, body = enrolment.invitation_text(cohort, person)
    lines = body.split("\n")
    assert subject == "You are enrolled: Needs assessment"
    assert lines[0] == f"Hello, {person.full_name_latin}!"
    assert "Dates: March 12, 2031 – March 13, 2031" in lines and f"Trainers: {lead.full_name_latin}" in lines
    cohort.end_date = cohort.start_date
    subject, body = enrolment.invitation_text(
        cohort, person, moved_up=True, extras=[lambda: ["Pre-test: open"]]
    )
    lines = body.split("\n")
    assert subject == "A place has opened up: Needs assessment" and lines[0].startswith("Hello, ")
    assert "Dates: March 12, 2031" in lines
    assert lines[lines.index("Pre-test: open") + 1] == ""


def test_the_lists_run_in_alphabet_order_the_waitlist_in_joining_order_and_search_is_literal(db):
    from datetime import UTC, datetime, timedelta

    cohort = factories.CohortFactory(capacity=2, with_sessions=True)
    names = ("Ярошенко Ірина", "Ґудзь Олена", "Гнатюк Степан", "Бойко Богдан", "Вакуленко Юрій")
    rows = [
        enrolment.enrol(
            cohort,
            by=cohort.lead_trainer,
            user_id=factories.UserFactory(full_name=n).id,
            send_invitation=False,
        )
        for n in names
    ]
    # Joined the waitlist in an order that is neither the rows' (Гнатюк, Бойко, Вакуленко) nor
    # the alphabet's (Бойко, Вакуленко, Гнатюк).
    start = datetime(2031, 1, 5, 9, 0, tzinfo=UTC)
    rows[4].waitlisted_at, rows[2].waitlisted_at = start, start + timedelta(minutes=5)
    rows[3].waitlisted_at = start + timedelta(minutes=10)
    db.session.flush()

    def listed(status=None, q=""):
        return [
            e.user.full_name
            for e in db.session.scalars(enrolment.enrollments_query(cohort, status, q)).unique()
        ]

    assert listed() == ["Бойко Богдан", "Вакуленко Юрій", "Гнатюк Степан", "Ґудзь Олена", "Ярошенко Ірина"]
    assert listed("enrolled") == ["Ґудзь Олена", "Ярошенко Ірина"]
    # Joining order: not the names', not the rows'.
    assert listed("waitlisted") == ["Вакуленко Юрій", "Гнатюк Степан", "Бойко Богдан"]
    assert listed(q=" ґудзь ") == ["Ґудзь Олена"] and listed(q="%") == [] and listed(q="_") == []


def test_a_place_in_another_training_does_not_count_here_and_a_deactivated_person_cannot_be_enrolled(
    db, cohort
):
    trainer = cohort.lead_trainer
    elsewhere = factories.EnrollmentFactory()
    assert (
        enrolment.enrol(cohort, by=trainer, user_id=elsewhere.user_id, send_invitation=False).status
        == "enrolled"
    )
    gone = factories.UserFactory(active=False)
    with pytest.raises(ValidationError) as refused:
        enrolment.enrol(cohort, by=trainer, user_id=gone.id, send_invitation=False)
    assert set(refused.value.fields) == {"user_id"}


def test_someone_who_left_the_waitlist_is_no_longer_ahead_of_anyone(db):
    cohort = factories.CohortFactory(capacity=1, with_sessions=True)
    trainer = cohort.lead_trainer
    _seated, first, second = (
        enrolment.enrol(cohort, by=trainer, user_id=p.id, send_invitation=False) for p in people(3)
    )
    assert [enrolment.waitlist_position(e) for e in (first, second)] == [1, 2]
    enrolment.withdraw(first, by=trainer)
    assert enrolment.waitlist_position(second) == 1
    # Another person's place in this training is not hers.
    assert (
        enrolment.person_with_email(cohort, factories.UserFactory(email="new@example.org").email, by=trainer)[
            1
        ]
        is None
    )


def test_the_panel_shows_a_participant_her_own_place_in_this_training_only(db, cohort):
    person = factories.UserFactory()
    factories.EnrollmentFactory(user=person)  # enrolled in another training
    assert enrolment.panel(cohort, by=person)["mine"] is None
    enrolment.enrol(cohort, by=cohort.lead_trainer, user_id=person.id, send_invitation=False)
    factories.EnrollmentFactory(cohort=cohort, status="waitlisted")
    assert enrolment.panel(cohort, by=person)["mine"] == "enrolled"


def test_the_panel_lists_the_first_sixty_of_a_list_and_the_page_links_to_everyone(client, db):
    cohort = factories.CohortFactory(capacity=100, with_sessions=True)
    for _ in range(61):
        factories.EnrollmentFactory(cohort=cohort)
    db.session.commit()
    shown = enrolment.panel(cohort, by=cohort.lead_trainer)
    assert len(shown["enrolled"]) == 60 and shown["counts"]["enrolled"] == 61
    sign_in_en(client, cohort.lead_trainer)
    page = client.get(f"/cohorts/{cohort.id}").get_data(as_text=True)
    assert "See everyone (61)" in page


def test_a_registered_person_put_on_the_waitlist_gets_no_welcome_and_a_new_one_gets_hers(db, cohort):
    from lms.core.outbox import OutboxMessage

    trainer = cohort.lead_trainer
    for person in people(2):
        enrolment.enrol(cohort, by=trainer, user_id=person.id, send_invitation=False)
    waiting = factories.UserFactory()
    assert enrolment.enrol(cohort, by=trainer, user_id=waiting.id).status == "waitlisted"
    assert db.session.scalars(select(OutboxMessage.task)).all() == []  # she has her account already
    new = enrolment.enrol(
        cohort, by=trainer, new_person={"full_name": "Ковальчук Ганна", "email": "hanna@example.org"}
    )
    assert new.status == "waitlisted"
    assert [(m.task, m.kwargs) for m in db.session.scalars(select(OutboxMessage))] == [
        ("lms.accounts.send_welcome", {"user_id": new.user_id})
    ]
    welcome = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.welcome")).one()
    assert (welcome.actor_id, welcome.object_id) == (trainer.id, new.user_id)
