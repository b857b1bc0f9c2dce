"""Trainer accreditation: granting (and the trainer role), uniqueness, re-granting, revoking, and who
sees which accreditations on the pages and in the API."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from lms.core.errors import Conflict, PermissionDenied, ValidationError
from lms.core.models import AuditEvent
from lms.courses import services
from lms.courses.models import Accreditation
from tests import factories
from tests.conftest import api_headers, sign_in


def english(client) -> None:
    with client.session_transaction() as session:
        session["lang"] = "en"


def test_granting_accredits_the_person_and_adds_the_trainer_role(db, admin):
    person = factories.UserFactory(roles=["participant"])
    course = factories.CourseFactory()
    accreditation = services.grant_accreditation(
        by=admin, user_id=person.id, course_id=course.id, note="Майстер-тренерка програми"
    )
    assert (accreditation.source, accreditation.granted_on, accreditation.granted_by_id) == (
        "admin",
        date.today(),
        admin.id,
    )
    assert person.roles == {"participant", "trainer"}
    assert services.is_accredited(person.id, course.id)
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.actor_id == admin.id)).all()
    assert "accreditation.grant" in actions and "user.update" in actions


def test_a_second_grant_of_an_active_accreditation_is_a_conflict(db, admin):
    existing = factories.AccreditationFactory()
    with pytest.raises(Conflict) as excinfo:
        services.grant_accreditation(by=admin, user_id=existing.user_id, course_id=existing.course_id)
    assert "course_id" in excinfo.value.fields


def test_granting_again_after_revocation_reactivates_the_same_record(db, admin):
    accreditation = factories.AccreditationFactory(granted_on=date(2023, 1, 10))
    services.revoke_accreditation(accreditation, by=admin, reason="Не проводить тренінги")
    assert not services.is_accredited(accreditation.user_id, accreditation.course_id)
    again = services.grant_accreditation(
        by=admin,
        user_id=accreditation.user_id,
        course_id=accreditation.course_id,
        granted_on=date(2024, 5, 6),
    )
    assert again.id == accreditation.id
    assert again.is_active and again.revoked_reason is None and again.granted_on == date(2024, 5, 6)
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "accreditation.regrant"))


def test_revoking_needs_a_reason_and_happens_once(db, admin):
    accreditation = factories.AccreditationFactory()
    with pytest.raises(ValidationError) as excinfo:
        services.revoke_accreditation(accreditation, by=admin, reason="  ")
    assert "reason" in excinfo.value.fields
    services.revoke_accreditation(accreditation, by=admin, reason="Змінила роботу")
    assert accreditation.revoked_at is not None and accreditation.revoked_reason == "Змінила роботу"
    with pytest.raises(Conflict):
        services.revoke_accreditation(accreditation, by=admin, reason="Ще раз")


@pytest.mark.parametrize(
    "problem, field",
    [("inactive person", "user_id"), ("unknown course", "course_id"), ("future date", "granted_on")],
)
def test_grant_refuses_bad_input_on_the_field(db, admin, problem, field):
    person = factories.UserFactory(active=problem != "inactive person")
    course = factories.CourseFactory()
    values = {"user_id": person.id, "course_id": course.id, "granted_on": None}
    if problem == "unknown course":
        values["course_id"] = 999999
    if problem == "future date":
        values["granted_on"] = date.today() + timedelta(days=1)
    with pytest.raises(ValidationError) as excinfo:
        services.grant_accreditation(by=admin, **values)
    assert set(excinfo.value.fields) == {field}


@pytest.mark.parametrize("role", ["coordinator", "trainer", "participant"])
def test_only_admins_grant_and_revoke(db, role):
    person = factories.UserFactory(roles=[role])
    accreditation = factories.AccreditationFactory(**({"user": person} if role == "trainer" else {}))
    with pytest.raises(PermissionDenied):
        services.grant_accreditation(by=person, user_id=person.id, course_id=factories.CourseFactory().id)
    with pytest.raises(PermissionDenied):
        services.revoke_accreditation(accreditation, by=person, reason="—")


def test_lists_are_scoped_trainer_own_coordinator_all_participant_none(db):
    mine = factories.AccreditationFactory()
    theirs = factories.AccreditationFactory()
    coordinator = factories.UserFactory(roles=["coordinator"], regions=[factories.RegionFactory()])

    def seen(viewer):
        return set(db.session.scalars(services.list_accreditations(viewer)))

    assert seen(mine.user) == {mine}
    assert seen(coordinator) == {mine, theirs}
    with pytest.raises(PermissionDenied):
        seen(factories.UserFactory(roles=["participant"]))


def test_accredited_trainers_are_active_people_with_unrevoked_accreditations(db, admin):
    course = factories.CourseFactory()
    kept = factories.AccreditationFactory(course=course)
    revoked = factories.AccreditationFactory(course=course)
    services.revoke_accreditation(revoked, by=admin, reason="Припинила співпрацю")
    factories.AccreditationFactory(course=course, user=factories.UserFactory(active=False, roles=["trainer"]))
    factories.AccreditationFactory()  # another course
    assert db.session.scalars(services.accredited_trainers(course.id)).all() == [kept.user]
    assert services.count_accredited_trainers(course.id) == 1


def test_trainer_sees_only_her_own_accreditations_page(client, db):
    mine = factories.AccreditationFactory(course=factories.CourseFactory(code="MINE-1"))
    factories.AccreditationFactory(course=factories.CourseFactory(code="THEIRS-1"))
    sign_in(client, mine.user)
    english(client)
    page = client.get("/courses/accreditations?status=all").get_data(as_text=True)
    assert "My accreditations" in page and "MINE-1" in page and "THEIRS-1" not in page
    assert client.get("/courses/accreditations/new").status_code == 403


def test_coordinator_sees_everyone_and_can_filter_by_course_and_person(client, db):
    first = factories.AccreditationFactory(
        user=factories.UserFactory(full_name="Оксана Мельник", roles=["trainer"]),
        course=factories.CourseFactory(code="PTL-STATUS"),
    )
    factories.AccreditationFactory(
        user=factories.UserFactory(full_name="Віктор Ткаченко", roles=["trainer"]),
        course=factories.CourseFactory(code="PTL-NEEDS"),
    )
    sign_in(client, factories.UserFactory(roles=["coordinator"]))
    page = client.get("/courses/accreditations").get_data(as_text=True)  # listed surname first
    assert "Мельник Оксана" in page and "Ткаченко Віктор" in page
    page = client.get(f"/courses/accreditations?course_id={first.course_id}").get_data(as_text=True)
    assert "Мельник Оксана" in page and "Ткаченко Віктор" not in page
    page = client.get("/courses/accreditations?q=ткаченко").get_data(as_text=True)
    assert "Мельник Оксана" not in page and "Ткаченко Віктор" in page


def test_participant_cannot_see_accreditations(client, db):
    sign_in(client, factories.UserFactory(roles=["participant"]))
    assert client.get("/courses/accreditations").status_code == 403
    assert client.get("/courses/accreditations/new").status_code == 403
    assert client.post("/courses/accreditations/new", data={"user_id": 1, "course_id": 1}).status_code == 403


def test_admin_grants_through_the_page(client, db, admin):
    person = factories.UserFactory(full_name="Андрій Шевчук", roles=["participant"])
    course = factories.CourseFactory(code="TOT-MDG")
    sign_in(client, admin)
    page = client.get("/courses/accreditations/new?q=шевчук").get_data(as_text=True)
    assert "Андрій Шевчук" in page
    response = client.post(
        "/courses/accreditations/new",
        data={"user_id": person.id, "course_id": course.id, "granted_on": "2024-03-01", "note": "ToT 2024"},
    )
    assert response.status_code == 302
    accreditation = db.session.scalars(select(Accreditation).where(Accreditation.user_id == person.id)).one()
    assert (accreditation.course_id, accreditation.granted_on) == (course.id, date(2024, 3, 1))
    assert "trainer" in person.roles

    english(client)
    again = client.post(
        "/courses/accreditations/new",
        data={"user_id": person.id, "course_id": course.id, "granted_on": "2024-03-01"},
    )
    assert again.status_code == 409
    assert "already accredited" in again.get_data(as_text=True)


def test_admin_revokes_through_the_page_with_a_reason(client, db, admin):
    accreditation = factories.AccreditationFactory()
    sign_in(client, admin)
    english(client)
    empty = client.post(f"/courses/accreditations/{accreditation.id}/revoke", data={"reason": ""})
    assert empty.status_code == 422 and "Say why" in empty.get_data(as_text=True)
    assert accreditation.is_active
    response = client.post(f"/courses/accreditations/{accreditation.id}/revoke", data={"reason": "Переїхала"})
    assert response.status_code == 302
    assert accreditation.revoked_reason == "Переїхала"


def test_api_admin_accredits_a_master_trainer(client, db, admin):
    person = factories.UserFactory()
    course = factories.CourseFactory()
    headers = api_headers(admin)
    response = client.post(
        "/api/v1/cascade/accreditations",
        json={
            "user_id": person.id,
            "course_id": course.id,
            "granted_on": "2024-01-15",
            "note": "Покоління 0",
        },
        headers=headers,
    )
    assert response.status_code == 201, response.json
    body = response.json
    assert {k: body[k] for k in ("user_id", "course_id", "source", "granted_on", "note", "active")} == {
        "user_id": person.id,
        "course_id": course.id,
        "source": "admin",
        "granted_on": "2024-01-15",
        "note": "Покоління 0",
        "active": True,
    }
    assert body["revoked_at"] is None
    duplicate = client.post(
        "/api/v1/cascade/accreditations", json={"user_id": person.id, "course_id": course.id}, headers=headers
    )
    assert duplicate.status_code == 409 and duplicate.json["error"]["code"] == "conflict"
    missing = client.post("/api/v1/cascade/accreditations", json={"course_id": course.id}, headers=headers)
    assert missing.status_code == 422 and "user_id" in missing.json["error"]["fields"]

    revoked = client.post(
        f"/api/v1/cascade/accreditations/{body['id']}/revoke", json={"reason": "Помилка"}, headers=headers
    )
    assert revoked.status_code == 200
    assert revoked.json["active"] is False and revoked.json["revoked_reason"] == "Помилка"


def test_api_listing_is_scoped_and_closed_to_participants(client, db):
    mine = factories.AccreditationFactory()
    theirs = factories.AccreditationFactory()
    coordinator = factories.UserFactory(roles=["coordinator"])
    participant = factories.UserFactory(roles=["participant"])

    def ids(user, query=""):
        response = client.get(f"/api/v1/cascade/accreditations{query}", headers=api_headers(user))
        assert response.status_code == 200
        return {item["id"] for item in response.json["items"]}

    assert ids(mine.user) == {mine.id}
    assert ids(mine.user, f"?user_id={theirs.user_id}") == set()
    assert ids(coordinator) == {mine.id, theirs.id}
    assert ids(coordinator, f"?course_id={theirs.course_id}") == {theirs.id}
    headers = api_headers(participant)
    assert client.get("/api/v1/cascade/accreditations", headers=headers).status_code == 403
    assert (
        client.get(f"/api/v1/cascade/accreditations/{mine.id}", headers=api_headers(theirs.user)).status_code
        == 404  # another trainer's accreditation is outside her scope: not found, like a cohort
    )
    forbidden = client.post(
        "/api/v1/cascade/accreditations",
        json={"user_id": coordinator.id, "course_id": mine.course_id},
        headers=api_headers(coordinator),
    )
    assert forbidden.status_code == 403
    revoke = client.post(
        f"/api/v1/cascade/accreditations/{mine.id}/revoke",
        json={"reason": "—"},
        headers=api_headers(mine.user),
    )
    assert revoke.status_code == 403 and mine.is_active


def test_revoking_one_of_a_graduates_accreditations_through_the_api_keeps_her_cascade(client, db, admin):
    """Found by the API fuzz: her lineage was recomputed from the certificate's cohort with its
    district loaded lazily (a 500 under strict loading)."""
    from lms.cascade.models import TrainerLineage
    from lms.certificates import closing, issuance
    from lms.core.jobs import run_job
    from tests.certificate_fixtures import finished_cohort

    target = factories.CourseFactory()
    tot = factories.CourseFactory(is_tot=True)
    tot.accredits = [target, tot]
    cohort, (graduate,) = finished_cohort(scores=(90,), course=tot)
    job = closing.close_cohort(cohort, by=admin)
    db.session.flush()
    run_job(job.id, issuance.run_issuance_job)
    revoked = db.session.scalar(
        select(Accreditation).where(
            Accreditation.user_id == graduate.user_id, Accreditation.course_id == target.id
        )
    )
    response = client.post(
        f"/api/v1/cascade/accreditations/{revoked.id}/revoke",
        json={"reason": "Змінила роботу"},
        headers=api_headers(admin),
    )
    assert response.status_code == 200, response.json
    lineage = db.session.get(TrainerLineage, graduate.user_id)
    assert lineage.parent_id == cohort.lead_trainer_id and lineage.region_id == cohort.district.region_id
