"""The calendar page and the private iCal feed."""

from datetime import date, time, timedelta

import pytest
from icalendar import Calendar

from tests import factories
from tests.conftest import sign_in

TODAY = date.today()


@pytest.fixture
def english(client):
    with client.session_transaction() as session:
        session["lang"] = "en"


def cohort_on(day: date, lead=None, **extra):
    values = {"start_date": day, "with_sessions": True}
    if lead is not None:
        values.update(lead_trainer=lead, accredited=False)
    values.update(extra)
    return factories.CohortFactory(**values)


def test_month_view_shows_the_trainers_sessions_linked_to_their_cohorts(client, db):
    trainer = factories.UserFactory(roles=["trainer"])
    mine = cohort_on(TODAY, trainer, venue="Моя зала")
    theirs = cohort_on(TODAY)
    sign_in(client, trainer)
    response = client.get(f"/cohorts/calendar?date={TODAY.isoformat()}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'href="/cohorts/{mine.id}"' in page
    assert f'href="/cohorts/{theirs.id}"' not in page
    assert mine.course.code in page


def test_week_view_and_navigation(client, english, db):
    trainer = factories.UserFactory(roles=["trainer"])
    next_week = TODAY + timedelta(days=7)
    later = cohort_on(next_week, trainer)
    sign_in(client, trainer)
    this_week = client.get(f"/cohorts/calendar?view=week&date={TODAY.isoformat()}").get_data(as_text=True)
    assert f'href="/cohorts/{later.id}"' not in this_week
    monday = next_week - timedelta(days=next_week.weekday())
    assert f"date={monday.isoformat()}" in this_week  # the "next" link
    following = client.get(f"/cohorts/calendar?view=week&date={monday.isoformat()}").get_data(as_text=True)
    assert f'href="/cohorts/{later.id}"' in following
    month_after = client.get(f"/cohorts/calendar?date={(TODAY + timedelta(days=62)).isoformat()}")
    assert month_after.status_code == 200 and f'href="/cohorts/{later.id}"' not in month_after.get_data(
        as_text=True
    )
    assert client.get("/cohorts/calendar?view=year&date=not-a-date").status_code == 200


def test_a_day_at_the_end_of_the_calendar_is_refused_not_a_crash(client, db):
    sign_in(client, factories.UserFactory(roles=["trainer"]))
    for query in ("date=9999-12-31", "date=9999-12-31&view=week", "date=0001-01-01&view=week"):
        assert client.get(f"/cohorts/calendar?{query}").status_code == 400, query


def test_coordinator_sees_her_regions_and_can_narrow_to_one(client, db):
    north, south = factories.RegionFactory(), factories.RegionFactory()
    coordinator = factories.UserFactory(roles=["coordinator"], regions=[north, south])
    up = cohort_on(TODAY, district=factories.DistrictFactory(region=north))
    down = cohort_on(TODAY, district=factories.DistrictFactory(region=south))
    outside = cohort_on(TODAY)
    sign_in(client, coordinator)
    page = client.get(f"/cohorts/calendar?date={TODAY.isoformat()}").get_data(as_text=True)
    assert f'href="/cohorts/{up.id}"' in page and f'href="/cohorts/{down.id}"' in page
    assert f'href="/cohorts/{outside.id}"' not in page
    north_only = client.get(f"/cohorts/calendar?region_id={north.id}&date={TODAY.isoformat()}").get_data(
        as_text=True
    )
    assert f'href="/cohorts/{up.id}"' in north_only and f'href="/cohorts/{down.id}"' not in north_only


def test_participant_sees_the_trainings_she_attends(client, db):
    participant = factories.UserFactory()
    attended = cohort_on(TODAY)
    factories.EnrollmentFactory(cohort=attended, user=participant)
    sign_in(client, participant)
    page = client.get(f"/cohorts/calendar?date={TODAY.isoformat()}").get_data(as_text=True)
    assert f'href="/cohorts/{attended.id}"' in page


def feed_events(client, token) -> dict[str, object]:
    response = client.get(f"/calendar/{token}.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.data)
    return {str(event["uid"]): event for event in calendar.walk("VEVENT")}


def test_private_feed_holds_the_persons_sessions_as_trainer_co_trainer_and_participant(client, db):
    person = factories.UserFactory(roles=["trainer", "participant"])
    led = cohort_on(TODAY + timedelta(days=10), person, venue="Зала 1")
    co_trained = cohort_on(TODAY + timedelta(days=20))
    co_trained.co_trainers = [person]
    attended = cohort_on(TODAY - timedelta(days=30))
    factories.EnrollmentFactory(cohort=attended, user=person)
    cancelled = cohort_on(TODAY + timedelta(days=40), person, status="cancelled", venue="Зала 2")
    long_ago = cohort_on(TODAY - timedelta(days=62), person, venue="Зала 3")  # both days > 60 days ago
    waitlisted = cohort_on(TODAY + timedelta(days=50))
    factories.EnrollmentFactory(cohort=waitlisted, user=person, status="waitlisted")
    not_mine = cohort_on(TODAY + timedelta(days=10))
    sign_in(client, person)
    client.post("/cohorts/calendar/feed")
    events = feed_events(client.application.test_client(), person.calendar_token)

    def uids(cohort):
        return {f"session-{s.id}@cascade-lms" for s in cohort.sessions}

    assert set(events) == uids(led) | uids(co_trained) | uids(attended) | uids(cancelled)
    assert not set(events) & (uids(long_ago) | uids(waitlisted) | uids(not_mine))
    first = events[f"session-{led.sessions[0].id}@cascade-lms"]
    assert first.decoded("dtstart").date() == led.start_date
    assert first.decoded("dtstart").time() == time(9)
    assert "Зала 1" in str(first["location"])
    assert str(events[f"session-{cancelled.sessions[0].id}@cascade-lms"]["status"]) == "CANCELLED"


def test_feed_address_is_shown_and_rotating_it_cuts_the_old_one(client, english, db):
    person = factories.UserFactory(roles=["trainer"])
    sign_in(client, person)
    assert "Get my calendar address" in client.get("/cohorts/calendar").get_data(as_text=True)
    assert client.post("/cohorts/calendar/feed").status_code == 302
    first = person.calendar_token
    assert first and len(first) >= 40
    assert f"/calendar/{first}.ics" in client.get("/cohorts/calendar").get_data(as_text=True)
    client.post("/cohorts/calendar/feed")
    assert person.calendar_token != first
    anonymous = client.application.test_client()
    assert anonymous.get(f"/calendar/{first}.ics").status_code == 404
    assert anonymous.get(f"/calendar/{person.calendar_token}.ics").status_code == 200


def test_unknown_feed_token_is_404(client, db):
    assert client.get("/calendar/not-a-real-token.ics").status_code == 404
    deactivated = factories.UserFactory(active=False, calendar_token="x" * 43)
    assert client.get(f"/calendar/{deactivated.calendar_token}.ics").status_code == 404
