"""Line breaks and other control characters: refused in names at input, stripped from calendars."""

import pytest
from icalendar import Calendar

from lms.core.text import one_line
from tests import factories
from tests.conftest import api_headers, sign_in

# No NUL: PostgreSQL cannot store one, so no legacy row can hold it.
HOSTILE = "Протидія\r\nBEGIN:VEVENT\x07торгівлі"


def test_one_line_turns_every_control_character_into_a_space():
    assert one_line(HOSTILE) == "Протидія BEGIN:VEVENT торгівлі"
    assert one_line("a\x00b") == "a b"
    assert one_line("Зала\u2028№ 3\t\x85") == "Зала № 3"
    assert one_line(None) == ""


def test_legacy_titles_with_line_breaks_do_not_break_invitations_or_the_feed(client, db, mail_dir):
    course = factories.CourseFactory(title=HOSTILE, days=1)
    cohort = factories.CohortFactory(course=course, venue="Зала\r\nX-INJECTED:1", with_sessions=True)
    person = factories.UserFactory(full_name="Олена\r\nБойко", email="olena@example.org")
    enrolled = client.post(
        f"/api/v1/cohorts/{cohort.id}/enrollments",
        json={"user_id": person.id},
        headers=api_headers(cohort.lead_trainer),
    )
    assert enrolled.status_code == 201, enrolled.json
    sign_in(client, person)
    client.post("/cohorts/calendar/feed")
    feed = client.application.test_client().get(f"/calendar/{person.calendar_token}.ics")
    assert feed.status_code == 200
    calendar = Calendar.from_ical(feed.data)
    (event,) = calendar.walk("VEVENT")
    assert str(event["summary"]) == "Протидія BEGIN:VEVENT торгівлі"
    assert "X-INJECTED" not in feed.data.decode().replace("Зала X-INJECTED:1", "")
    assert b"\r\nX-INJECTED" not in feed.data


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/users", {"email": "a@example.org", "full_name": "Анна\nКоваль"}, "full_name"),
        ("/api/v1/users", {"email": "b@example.org", "full_name": "Анна", "position": "x\ry"}, "position"),
        (
            "/api/v1/courses",
            {"code": "PTL-X", "title": "Кур\r\nс", "days": 1, "modules": [{"title": "Тема", "hours": 2}]},
            "title",
        ),
        (
            "/api/v1/courses",
            {"code": "PTL-Y", "title": "Курс", "days": 1, "modules": [{"title": "Те\nма", "hours": 2}]},
            "modules",
        ),
        ("/api/v1/regions", {"name": "Область\x00", "name_en": "Oblast", "code": "UA-99"}, "name"),
    ],
)
def test_control_characters_in_names_are_refused_by_the_api(client, admin, path, body, field):
    response = client.post(path, json=body, headers=api_headers(admin))
    assert response.status_code == 422, response.json
    assert response.json["error"]["code"] == "validation_error"
    assert field in response.json["error"]["fields"]


def test_control_characters_in_a_venue_are_refused(client, db):
    cohort = factories.CohortFactory(with_sessions=True)
    headers = api_headers(cohort.lead_trainer)
    response = client.patch(f"/api/v1/cohorts/{cohort.id}", json={"venue": "Зала\x1b[31m"}, headers=headers)
    assert response.status_code == 422
    assert "venue" in response.json["error"]["fields"]
    session_id = cohort.sessions[0].id
    response = client.patch(f"/api/v1/sessions/{session_id}", json={"venue": "Зала\r\n2"}, headers=headers)
    assert response.status_code == 422 and "venue" in response.json["error"]["fields"]


def test_a_renamed_person_with_a_line_break_is_refused_and_kept(client, admin):
    person = factories.UserFactory(full_name="Олена Бойко")
    response = client.patch(
        f"/api/v1/users/{person.id}", json={"full_name": "Олена\r\nБойко"}, headers=api_headers(admin)
    )
    assert response.status_code == 422 and "full_name" in response.json["error"]["fields"]
    assert person.full_name == "Олена Бойко"


def test_course_form_shows_the_problem_next_to_the_title(client, admin):
    from tests.test_courses_pages import form_data

    sign_in(client, admin)
    page = client.post("/courses/new", data={**form_data(), "title": "Оцінка\r\nпотреб"})
    assert page.status_code == 422
    assert "Розриви рядків і керівні символи тут не дозволені." in page.get_data(as_text=True)
