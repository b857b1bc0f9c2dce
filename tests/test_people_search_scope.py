"""A trainer's people search: her region and the people her trainings know, plus exact email or
phone matches; contact details only where she needs them; no admins or coordinators to enrol."""

import pytest

from lms.cohorts import people
from tests import factories
from tests.conftest import api_headers, sign_in


@pytest.fixture
def world(db):
    home = factories.RegionFactory(name="Черкаська область")
    away = factories.RegionFactory(name="Волинська область")
    home_district = factories.DistrictFactory(region=home)
    away_district = factories.DistrictFactory(region=away)
    local = factories.InstitutionFactory(district=home_district)
    distant = factories.InstitutionFactory(district=away_district)
    cohort = factories.CohortFactory(district=home_district, capacity=30)
    trainer = cohort.lead_trainer

    def person(name, institution, roles=("participant",), **extra):
        return factories.UserFactory(full_name=name, institution=institution, roles=list(roles), **extra)

    earlier = factories.CohortFactory(district=away_district, lead_trainer=trainer)
    known_far = person("Коваль Ольга (колишня учасниця)", distant)
    factories.EnrollmentFactory(cohort=earlier, user=known_far)
    return {
        "cohort": cohort,
        "trainer": trainer,
        "local": person("Коваль Марія", local, email="maria@example.org", phone="+380671112233"),
        "far": person("Коваль Ірина", distant, email="iryna@example.org", phone="+380509998877"),
        "known_far": known_far,
        "admin_local": person("Коваль Адміністраторка", local, roles=("admin",)),
        "coordinator_local": person("Коваль Координаторка", local, roles=("coordinator",)),
        "trainer_local": person("Коваль Тренерка", local, roles=("trainer",)),
    }


def found(world, query, by=None):
    return {f.user.id: f for f in people.search_people(by or world["trainer"], world["cohort"], query)}


def test_trainer_finds_her_region_and_people_known_to_her_trainings_only(world):
    results = found(world, "коваль")
    assert set(results) == {world["local"].id, world["known_far"].id, world["trainer_local"].id}


def test_exact_email_or_phone_finds_a_person_anywhere(world):
    assert set(found(world, "IRYNA@example.org")) == {world["far"].id}
    assert set(found(world, "050 999 88 77")) == {world["far"].id}
    assert found(world, "iryna@example") == {}  # a fragment of someone else's email finds nobody


def test_contact_details_only_for_known_people_and_exact_matches(world):
    results = found(world, "коваль")
    assert results[world["known_far"].id].contacts
    assert not results[world["local"].id].contacts
    assert found(world, "maria@example.org")[world["local"].id].contacts


def test_admin_and_coordinator_see_more(world):
    admin = factories.UserFactory(roles=["admin"])
    assert world["far"].id in found(world, "коваль", by=admin)
    assert world["admin_local"].id in found(world, "коваль", by=admin)
    coordinator = factories.UserFactory(roles=["coordinator"], regions=[world["cohort"].district.region])
    as_coordinator = found(world, "коваль", by=coordinator)
    assert world["far"].id not in as_coordinator and world["admin_local"].id in as_coordinator
    assert all(f.contacts for f in as_coordinator.values())


def test_search_page_shows_no_contacts_of_strangers(client, world):
    sign_in(client, world["trainer"])
    page = client.get(f"/cohorts/{world['cohort'].id}/enrolments/add?q=коваль").get_data(as_text=True)
    assert "Коваль Марія" in page and "maria@example.org" not in page and "+380671112233" not in page
    assert "Коваль Ірина" not in page and "iryna@example.org" not in page
    assert "Адміністраторка" not in page and "Координаторка" not in page


def test_trainer_cannot_enrol_an_admin_or_a_coordinator(client, world):
    headers = api_headers(world["trainer"])
    url = f"/api/v1/cohorts/{world['cohort'].id}/enrollments"
    for staff in ("admin_local", "coordinator_local"):
        response = client.post(
            url, json={"user_id": world[staff].id, "send_invitation": False}, headers=headers
        )
        assert response.status_code == 422, staff
        assert "user_id" in response.json["error"]["fields"]  # as if there were nobody
    ok = client.post(
        url, json={"user_id": world["trainer_local"].id, "send_invitation": False}, headers=headers
    )
    assert ok.status_code == 201


def test_search_page_runs_the_same_queries_for_1_and_30_people(client, db, world):
    from tests.queries import count_queries

    institution = world["local"].institution
    sign_in(client, world["trainer"])

    def statements_for(name: str, rows: int) -> int:
        for n in range(rows):
            factories.UserFactory(full_name=f"{name} {n}", institution=institution)
        db.session.flush()  # the test's own writes are not the page's
        db.session.expire_all()
        with count_queries() as statements:
            page = client.get(f"/cohorts/{world['cohort'].id}/enrolments/add?q={name}")
        assert page.status_code == 200 and page.get_data(as_text=True).count(name) >= rows
        return len(statements)

    assert statements_for("Яковенко", 1) == statements_for("Остапчук", 30)
