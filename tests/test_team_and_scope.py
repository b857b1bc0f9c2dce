"""Who changes a training's team, what each role reads through the API compared with the page,
and objects outside a person's scope answering 404."""

from datetime import date, timedelta

import pytest

from lms.core.models import Job
from lms.core.permissions import can
from tests import factories
from tests.conftest import api_headers, sign_in

NOTES = "Ключ від зали у вахтера; проєктор принесе Оксана"


@pytest.fixture
def team(db):
    region = factories.RegionFactory()
    district = factories.DistrictFactory(region=region)
    course = factories.CourseFactory(days=1)
    cohort = factories.CohortFactory(course=course, district=district, notes=NOTES, capacity=17)
    co_trainer = factories.UserFactory(roles=["trainer"], full_name="Ірина Коваль")
    friend = factories.UserFactory(roles=["trainer"], full_name="Марта Левченко")
    other_co = factories.UserFactory(roles=["trainer"], full_name="Богдан Ткач")
    cohort.co_trainers = [co_trainer, other_co]
    coordinator = factories.UserFactory(roles=["coordinator"], regions=[region])
    participant = factories.UserFactory(roles=["participant"])
    factories.EnrollmentFactory(cohort=cohort, user=participant)
    db.session.flush()
    return {
        "cohort": cohort,
        "lead": cohort.lead_trainer,
        "co_trainer": co_trainer,
        "other_co": other_co,
        "friend": friend,
        "coordinator": coordinator,
        "participant": participant,
    }


def test_co_trainer_cannot_add_or_remove_trainers_through_the_api(client, team):
    cohort, headers = team["cohort"], api_headers(team["co_trainer"])
    url = f"/api/v1/cohorts/{cohort.id}"
    added = client.patch(
        url,
        json={"co_trainer_ids": [team["co_trainer"].id, team["other_co"].id, team["friend"].id]},
        headers=headers,
    )
    assert added.status_code == 403
    removed = client.patch(url, json={"co_trainer_ids": [team["co_trainer"].id]}, headers=headers)
    assert removed.status_code == 403
    took_lead = client.patch(url, json={"lead_trainer_id": team["co_trainer"].id}, headers=headers)
    assert took_lead.status_code == 403
    assert {u.id for u in cohort.co_trainers} == {team["co_trainer"].id, team["other_co"].id}
    assert cohort.lead_trainer_id == team["lead"].id
    # She still edits the plan itself: the venue is the team's work.
    venue = client.patch(url, json={"venue": "Бібліотека, вул. Шевченка 12"}, headers=headers)
    assert venue.status_code == 200


@pytest.mark.parametrize("who", ["lead", "coordinator"])
def test_lead_trainer_and_coordinator_change_the_team(client, team, who):
    cohort = team["cohort"]
    response = client.patch(
        f"/api/v1/cohorts/{cohort.id}",
        json={"co_trainer_ids": [team["friend"].id]},
        headers=api_headers(team[who]),
    )
    assert response.status_code == 200, response.json
    assert response.json["co_trainer_ids"] == [team["friend"].id]


def test_co_trainer_edit_page_shows_the_team_read_only_and_keeps_it(client, team):
    cohort = team["cohort"]
    sign_in(client, team["co_trainer"])
    page = client.get(f"/cohorts/{cohort.id}/edit").get_data(as_text=True)
    assert 'data-testid="team-read-only"' in page
    assert 'name="co_trainer_ids"' not in page
    form = {
        "course_id": cohort.course_id,
        "lead_trainer_id": team["co_trainer"].id,  # a forged choice
        "co_trainer_ids": [team["friend"].id],
        "district_id": cohort.district_id,
        "community_id": 0,
        "venue": "Нова зала",
        "start_date": cohort.start_date.isoformat(),
        "end_date": cohort.end_date.isoformat(),
        "capacity": 17,
        "notes": NOTES,
    }
    assert client.post(f"/cohorts/{cohort.id}/edit", data=form).status_code == 302
    assert cohort.venue == "Нова зала"
    assert cohort.lead_trainer_id == team["lead"].id
    assert {u.id for u in cohort.co_trainers} == {team["co_trainer"].id, team["other_co"].id}
    sign_in(client, team["lead"])
    assert 'name="co_trainer_ids"' in client.get(f"/cohorts/{cohort.id}/edit").get_data(as_text=True)


@pytest.mark.parametrize(
    ("who", "sees_team_fields"),
    [("admin", True), ("coordinator", True), ("lead", True), ("co_trainer", True), ("participant", False)],
)
def test_api_shows_each_role_what_the_cohort_page_shows(client, db, team, who, sees_team_fields):
    person = team[who] if who != "admin" else factories.UserFactory(roles=["admin"])
    cohort = team["cohort"]
    sign_in(client, person)
    page = client.get(f"/cohorts/{cohort.id}").get_data(as_text=True)
    api = client.get(f"/api/v1/cohorts/{cohort.id}", headers=api_headers(person)).json
    listed = client.get("/api/v1/cohorts", headers=api_headers(person)).json["items"]
    assert [item["id"] for item in listed] == [cohort.id]
    for shown in (api, listed[0]):
        # The page shows the team's notes exactly when the API gives them.
        assert ("notes" in shown) is (NOTES in page) is sees_team_fields
        # Places taken: on everyone's page («Зайнято місць: 1 з 17») and in everyone's API.
        assert "1 з 17" in page
        assert (shown["capacity"], shown["enrolled_count"]) == (17, 1)
        # What everyone sees on the page, everyone gets.
        assert shown["venue"] == cohort.venue and cohort.venue in page
        assert shown["lead_trainer_id"] == team["lead"].id and team["lead"].full_name in page
        assert set(shown["co_trainer_ids"]) == {team["co_trainer"].id, team["other_co"].id}
        assert "Ірина Коваль" in page
    # The participant list: on the page and in the API for the team only.
    roster = client.get(f"/api/v1/cohorts/{cohort.id}/enrollments", headers=api_headers(person))
    assert (roster.status_code == 200) is sees_team_fields
    assert ('data-testid="enrolled"' in page) is sees_team_fields


def test_another_persons_job_answers_404_like_a_missing_one(client, db):
    owner, stranger = factories.UserFactory(), factories.UserFactory(roles=["coordinator"])
    job = Job(kind="export", status="done", created_by_id=owner.id)
    db.session.add(job)
    db.session.flush()
    theirs = client.get(f"/api/v1/jobs/{job.id}", headers=api_headers(stranger))
    missing = client.get(f"/api/v1/jobs/{job.id + 1000}", headers=api_headers(stranger))
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json == missing.json


def test_another_persons_token_answers_404_and_stays_valid(client, db):
    from lms.accounts.models import ApiToken

    owner, stranger = factories.UserFactory(), factories.UserFactory()
    owner_headers = api_headers(owner)
    token = db.session.query(ApiToken).filter_by(user_id=owner.id).one()
    response = client.delete(f"/api/v1/auth/tokens/{token.id}", headers=api_headers(stranger))
    assert response.status_code == 404
    sign_in(client, stranger)
    assert client.post(f"/account/tokens/{token.id}/revoke").status_code == 404
    assert client.get("/api/v1/me", headers=owner_headers).status_code == 200


def test_another_trainers_accreditation_answers_404(client, db):
    mine = factories.AccreditationFactory(granted_on=date.today() - timedelta(days=3))
    theirs = factories.AccreditationFactory()
    headers = api_headers(mine.user)
    assert client.get(f"/api/v1/cascade/accreditations/{mine.id}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/cascade/accreditations/{theirs.id}", headers=headers).status_code == 404
    revoke = client.post(
        f"/api/v1/cascade/accreditations/{theirs.id}/revoke", json={"reason": "—"}, headers=headers
    )
    assert revoke.status_code == 404 and theirs.is_active


def test_no_route_answers_403_for_an_object_outside_the_callers_scope(app, client, db):
    """A sweep of every API and page route that takes the id of a cohort, session, enrolment,
    job, token, accreditation or person: a stranger gets 404 (or 422 for a body she got wrong,
    checked before any lookup), never 403, so ids reveal nothing."""
    import re

    from lms.accounts.models import ApiToken

    cohort = factories.CohortFactory(with_sessions=True)
    enrollment = factories.EnrollmentFactory(cohort=cohort)
    owner = enrollment.user
    api_headers(owner)
    job = Job(kind="export", status="done", created_by_id=owner.id)
    db.session.add(job)
    accreditation = factories.AccreditationFactory()
    db.session.flush()
    ids = {
        "cohort_id": cohort.id,
        "session_id": cohort.sessions[0].id,
        "enrollment_id": enrollment.id,
        "job_id": job.id,
        "token_id": db.session.query(ApiToken).filter_by(user_id=owner.id).one().id,
        "accreditation_id": accreditation.id,
        "user_id": owner.id,
    }
    stranger = factories.UserFactory(roles=["trainer"])
    headers = api_headers(stranger)
    sign_in(client, stranger)
    answered_403 = []
    checked = 0
    for rule in app.url_map.iter_rules():
        names = re.findall(r"<(?:int:)?([a-z_]+)>", rule.rule)
        if not names or any(name not in ids for name in names):
            continue
        path = rule.rule
        for name in names:
            path = re.sub(rf"<(?:int:)?{name}>", str(ids[name]), path)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            action = getattr(app.view_functions[rule.endpoint], "required_action", None)
            if action and not can(stranger, action):
                continue  # refused by role before any object is looked up: the id tells nothing
            response = client.open(path, method=method, headers=headers, json={} if method != "GET" else None)
            checked += 1
            if response.status_code == 403 or response.status_code < 400:
                answered_403.append(f"{method} {path} → {response.status_code}")
    assert checked > 20
    assert answered_403 == []
