"""Pages: the list of trainings, a training's page, planning and editing, status and emails."""

import email
import email.policy
import re
from datetime import date, time, timedelta

import pytest
from sqlalchemy import select

from lms.cohorts.models import Cohort
from tests import factories
from tests.conftest import sign_in

START = date.today() + timedelta(days=30)


@pytest.fixture
def english(client):
    with client.session_transaction() as session:
        session["lang"] = "en"


@pytest.fixture
def region(db):
    return factories.RegionFactory(name="Черкаська область", name_en="Cherkasy Oblast")


@pytest.fixture
def district(region):
    return factories.DistrictFactory(region=region, name="Уманський район", name_en="Uman Raion")


@pytest.fixture
def course(db):
    return factories.CourseFactory(code="PTL-MDG", days=2)


def trainer_for(course, **extra):
    person = factories.UserFactory(roles=["trainer"], **extra)
    factories.AccreditationFactory(user=person, course=course, granted_on=date.today() - timedelta(days=90))
    return person


def cohort_of(lead, course, district, **extra):
    values = {"start_date": START, "accredited": False, "with_sessions": True}
    values.update(extra)
    return factories.CohortFactory(lead_trainer=lead, course=course, district=district, **values)


def test_trainer_lists_only_her_own_cohorts(client, course, district):
    mine, theirs = trainer_for(course), trainer_for(course)
    own = cohort_of(mine, course, district, venue="Моя зала")
    cohort_of(theirs, course, district, venue="Чужа зала", start_date=START + timedelta(days=7))
    sign_in(client, mine)
    page = client.get("/cohorts/").get_data(as_text=True)
    assert f"/cohorts/{own.id}" in page and "Моя зала" in page
    assert "Чужа зала" not in page


def test_coordinator_lists_cohorts_of_her_regions_and_filters_them(client, course, region, district):
    coordinator = factories.UserFactory(roles=["coordinator"], regions=[region])
    lead = trainer_for(course)
    here = cohort_of(lead, course, district, venue="Уманський ЦСС")
    cohort_of(
        lead,
        course,
        factories.DistrictFactory(),
        venue="Львівський ЦСС",
        start_date=START + timedelta(days=7),
    )
    draft = cohort_of(
        lead, course, district, venue="Христинівка", status="draft", start_date=START + timedelta(days=14)
    )
    sign_in(client, coordinator)
    page = client.get("/cohorts/").get_data(as_text=True)
    assert "Уманський ЦСС" in page and "Христинівка" in page and "Львівський ЦСС" not in page
    drafts = client.get("/cohorts/?status=draft").get_data(as_text=True)
    assert f"/cohorts/{draft.id}" in drafts and f'/cohorts/{here.id}"' not in drafts
    searched = client.get("/cohorts/?q=христинівка").get_data(as_text=True)
    assert f"/cohorts/{draft.id}" in searched and f'/cohorts/{here.id}"' not in searched
    by_trainer = client.get(f"/cohorts/?q={lead.full_name.split()[0].lower()}").get_data(as_text=True)
    assert f'/cohorts/{here.id}"' in by_trainer
    later = client.get(f"/cohorts/?from={(START + timedelta(days=10)).isoformat()}").get_data(as_text=True)
    assert f"/cohorts/{draft.id}" in later and f'/cohorts/{here.id}"' not in later


def test_empty_list_invites_planning_or_explains(client, english, course):
    coordinator = factories.UserFactory(roles=["coordinator"])
    sign_in(client, coordinator)
    assert "No trainings planned yet." in client.get("/cohorts/").get_data(as_text=True)
    participant = factories.UserFactory()
    sign_in(client, participant)
    page = client.get("/cohorts/").get_data(as_text=True)
    assert "My trainings" in page and "You are not enrolled in any training yet." in page


def test_participant_sees_her_trainings_on_a_reduced_page(client, english, course, district):
    lead = trainer_for(course)
    cohort = cohort_of(lead, course, district, notes="Лише для команди")
    participant = factories.UserFactory()
    factories.EnrollmentFactory(cohort=cohort, user=participant)
    cohort_of(lead, course, district, start_date=START + timedelta(days=7), venue="Інша зала")
    sign_in(client, participant)
    listing = client.get("/cohorts/").get_data(as_text=True)
    assert "My trainings" in listing and f"/cohorts/{cohort.id}" in listing and "Інша зала" not in listing
    response = client.get(f"/cohorts/{cohort.id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and cohort.venue in page
    assert (
        f"/cohorts/{cohort.id}/edit" not in page and "/status" not in page and "Лише для команди" not in page
    )
    assert client.get(f"/cohorts/{cohort.id}/edit").status_code == 403
    assert client.post(f"/cohorts/{cohort.id}/status", data={"status": "in_progress"}).status_code == 403


def test_trainer_cannot_open_or_change_another_trainers_cohort_by_its_id(client, course, district):
    mine, theirs = trainer_for(course), trainer_for(course)
    other = cohort_of(theirs, course, district)
    session_id = other.sessions[0].id
    sign_in(client, mine)
    assert client.get(f"/cohorts/{other.id}").status_code == 404
    assert client.get(f"/cohorts/{other.id}/edit").status_code == 404
    assert client.post(f"/cohorts/{other.id}/edit", data={"venue": "Захоплено"}).status_code == 404
    assert client.post(f"/cohorts/{other.id}/status", data={"status": "in_progress"}).status_code == 404
    assert client.get(f"/cohorts/{other.id}/sessions/new").status_code == 404
    assert client.post(f"/cohorts/{other.id}/sessions/{session_id}/delete").status_code == 404
    assert other.status == "scheduled" and len(other.sessions) == 2


def test_detail_shows_the_plan_with_sessions_modules_and_status_actions(
    client, english, admin, course, district
):
    cohort = cohort_of(trainer_for(course, full_name="Оксана Мельник"), course, district)
    cohort.sessions[0].modules = course.modules[:2]
    sign_in(client, admin)
    page = client.get(f"/cohorts/{cohort.id}").get_data(as_text=True)
    assert "Оксана Мельник" in page and "Uman Raion" in page and cohort.venue in page
    assert course.modules[0].title_en in page
    assert 'value="in_progress"' in page and 'value="cancelled"' in page and 'value="closed"' not in page
    assert page.count('data-testid="session"') == 2


def test_planning_page_proposes_sessions_and_saves_the_draft(client, english, region, district, course):
    coordinator = factories.UserFactory(roles=["coordinator"], regions=[region])
    lead = trainer_for(course, full_name="Віктор Ткаченко")
    outsider = factories.UserFactory(roles=["trainer"], full_name="Неакредитована Тренерка")
    sign_in(client, coordinator)
    page = client.get(f"/cohorts/new?course_id={course.id}").get_data(as_text=True)
    assert "Ткаченко Віктор" in page  # surname first, as the list is sorted
    assert (
        f'<option value="{outsider.id}"' not in page.split('name="lead_trainer_id"')[1].split("</select>")[0]
    )
    form = {
        "course_id": course.id,
        "lead_trainer_id": lead.id,
        "district_id": district.id,
        "community_id": 0,
        "venue": "Уманський районний центр соціальних служб",
        "start_date": START.isoformat(),
        "capacity": 20,
    }
    proposed = client.post("/cohorts/new", data={**form, "propose": "1"}).get_data(as_text=True)
    assert proposed.count('data-testid="session-row"') == 2
    rows = {}
    for n, (offset, modules) in enumerate([(0, course.modules[:3]), (1, course.modules[3:])]):
        rows[f"sessions-{n}-date"] = (START + timedelta(days=offset)).isoformat()
        rows[f"sessions-{n}-starts_at"] = "09:00"
        rows[f"sessions-{n}-ends_at"] = "17:00"
        rows[f"sessions-{n}-module_ids"] = [m.id for m in modules]
        assert re.search(
            rf'<input checked [^>]*id="sessions-{n}-module_ids-\d+"[^>]*value="{modules[0].id}"', proposed
        )
    rows["sessions-1-starts_at"] = "10:00"
    response = client.post("/cohorts/new", data={**form, **rows})
    assert response.status_code == 302
    cohort = (
        client.application.extensions["sqlalchemy"]
        .session.scalars(select(Cohort).where(Cohort.venue == form["venue"]))
        .one()
    )
    assert cohort.status == "draft" and cohort.end_date == START + timedelta(days=1)
    assert [(s.starts_at, len(s.modules)) for s in cohort.sessions] == [(time(9), 3), (time(10), 3)]


def test_planning_page_shows_a_double_booking_next_to_the_trainer(client, english, admin, course, district):
    lead = trainer_for(course, full_name="Наталія Бондаренко")
    other = cohort_of(lead, course, district)
    sign_in(client, admin)
    form = {
        "course_id": course.id,
        "lead_trainer_id": lead.id,
        "district_id": district.id,
        "community_id": 0,
        "venue": "Інша зала",
        "start_date": START.isoformat(),
        "capacity": 20,
        "sessions-0-date": START.isoformat(),
        "sessions-0-starts_at": "09:00",
        "sessions-0-ends_at": "17:00",
    }
    response = client.post("/cohorts/new", data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert (
        f"Наталія Бондаренко is already training «PTL-MDG» on {START:%d.%m.%Y}, 09:00–17:00 (cohort #{other.id}"
        in page
    )
    assert "invalid-feedback" in page


def test_editing_changes_the_plan(client, admin, course, district):
    cohort = cohort_of(trainer_for(course), course, district)
    sign_in(client, admin)
    assert client.get(f"/cohorts/{cohort.id}/edit").status_code == 200
    form = {
        "course_id": course.id,
        "lead_trainer_id": cohort.lead_trainer_id,
        "district_id": district.id,
        "community_id": 0,
        "venue": "Нова зала, вул. Садова 3",
        "start_date": cohort.start_date.isoformat(),
        "end_date": cohort.end_date.isoformat(),
        "capacity": 18,
        "notes": "Потрібен проєктор",
    }
    assert client.post(f"/cohorts/{cohort.id}/edit", data=form).status_code == 302
    assert (cohort.venue, cohort.capacity, cohort.notes) == (
        "Нова зала, вул. Садова 3",
        18,
        "Потрібен проєктор",
    )


def test_sessions_are_added_edited_and_deleted_on_pages(client, admin, course, district):
    cohort = cohort_of(trainer_for(course), course, district, with_sessions=False)
    sign_in(client, admin)
    assert client.get(f"/cohorts/{cohort.id}/sessions/new").status_code == 200
    data = {
        "date": START.isoformat(),
        "starts_at": "09:00",
        "ends_at": "13:00",
        "module_ids": [course.modules[0].id],
    }
    assert client.post(f"/cohorts/{cohort.id}/sessions/new", data=data).status_code == 302
    session = cohort.sessions[0]
    assert session.modules == [course.modules[0]]
    edited = {**data, "ends_at": "12:30", "venue": "Кабінет 12"}
    assert client.post(f"/cohorts/{cohort.id}/sessions/{session.id}", data=edited).status_code == 302
    assert (session.ends_at, session.venue) == (time(12, 30), "Кабінет 12")
    cohort.status = "draft"
    assert client.post(f"/cohorts/{cohort.id}/sessions/{session.id}/delete").status_code == 302
    assert cohort.sessions == []


def test_session_outside_the_dates_is_shown_next_to_the_date(client, english, admin, course, district):
    cohort = cohort_of(trainer_for(course), course, district)
    sign_in(client, admin)
    late = (cohort.end_date + timedelta(days=3)).isoformat()
    response = client.post(
        f"/cohorts/{cohort.id}/sessions/new", data={"date": late, "starts_at": "09:00", "ends_at": "17:00"}
    )
    assert response.status_code == 200
    assert "outside the training&#39;s dates" in response.get_data(as_text=True)


def test_status_buttons_move_the_cohort_and_refuse_what_the_flow_forbids(
    client, english, admin, course, district
):
    cohort = cohort_of(trainer_for(course), course, district)
    sign_in(client, admin)
    client.post(f"/cohorts/{cohort.id}/status", data={"status": "in_progress"})
    assert cohort.status == "in_progress"
    response = client.post(f"/cohorts/{cohort.id}/status", data={"status": "draft"}, follow_redirects=True)
    assert cohort.status == "in_progress"
    assert "cannot become" in response.get_data(as_text=True)


def test_cancelling_emails_enrolled_and_waitlisted_people_in_their_language(
    client, admin, course, district, mail_dir
):
    cohort = cohort_of(trainer_for(course), course, district, venue="Уманський ЦСС, зала 2")
    english_speaker = factories.UserFactory(email="en@example.org", locale="en")
    ukrainian_speaker = factories.UserFactory(email="uk@example.org", locale="uk")
    withdrawn = factories.UserFactory(email="gone@example.org")
    factories.EnrollmentFactory(cohort=cohort, user=english_speaker, status="enrolled")
    factories.EnrollmentFactory(cohort=cohort, user=ukrainian_speaker, status="waitlisted")
    factories.EnrollmentFactory(cohort=cohort, user=withdrawn, status="withdrawn")
    before = set(mail_dir.glob("*.eml")) if mail_dir.exists() else set()
    sign_in(client, admin)
    refused = client.post(
        f"/cohorts/{cohort.id}/status", data={"status": "cancelled", "cancelled_reason": " "}
    )
    assert refused.status_code == 302 and cohort.status == "scheduled"
    client.post(
        f"/cohorts/{cohort.id}/status", data={"status": "cancelled", "cancelled_reason": "Зала на ремонті"}
    )
    assert cohort.status == "cancelled"
    messages = {}
    for path in set(mail_dir.glob("*.eml")) - before:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        messages[message["To"]] = message
    assert set(messages) == {"en@example.org", "uk@example.org"}
    english_body = messages["en@example.org"].get_body(("plain",)).get_content()
    assert course.title_en in messages["en@example.org"]["Subject"]
    assert "Зала на ремонті" in english_body and "Уманський ЦСС, зала 2" in english_body
    assert f"{cohort.start_date:%d.%m.%Y}" in english_body
    ukrainian = messages["uk@example.org"]
    assert (
        course.title in ukrainian["Subject"]
        and "Зала на ремонті" in ukrainian.get_body(("plain",)).get_content()
    )
    attachment = next(ukrainian.iter_attachments())
    assert attachment.get_content_type() == "text/calendar" and "METHOD:CANCEL" in attachment.get_content()


def test_list_shows_running_and_upcoming_trainings_first_then_past_ones(client, admin, course, district):
    lead = trainer_for(course)
    today = date.today()
    past = cohort_of(lead, course, district, start_date=today - timedelta(days=40), status="closed")
    later = cohort_of(lead, course, district, start_date=today + timedelta(days=40))
    sooner = cohort_of(lead, course, district, start_date=today + timedelta(days=10))
    sign_in(client, admin)
    page = client.get("/cohorts/").get_data(as_text=True)
    positions = [page.index(f'href="/cohorts/{cohort.id}"') for cohort in (sooner, later, past)]
    assert positions == sorted(positions)
