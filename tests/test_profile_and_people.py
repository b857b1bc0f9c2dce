"""A person corrects her own profile (audited); menus per role; a coordinator lists, searches
and views the people of her regions and nobody else's, and cannot edit them."""

from sqlalchemy import select

from lms.accounts.models import User
from lms.core.models import AuditEvent
from lms.extensions import db as _db
from tests import factories
from tests.conftest import api_headers, sign_in


def _fresh(user_id):
    return _db.session.get(User, user_id)


def test_she_corrects_her_name_phone_and_language_and_it_is_audited(client, db):
    person = factories.UserFactory(full_name="Олена Шевченко", roles=["participant"])
    sign_in(client, person)
    response = client.post(
        "/account/profile",
        data={
            "full_name": "Шевченко Олена Петрівна",
            "surname": "",
            "phone": "067 123 45 67",
            "locale": "en",
        },
    )
    assert response.status_code == 302
    person = _fresh(person.id)
    assert person.surname == "Шевченко" and person.sort_name == "Шевченко Олена Петрівна"
    assert person.phone == "+380671234567" and person.locale == "en"
    event = _db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "user.update", AuditEvent.object_id == person.id)
    ).one()
    assert event.actor_id == person.id
    assert {"full_name", "phone", "locale"} <= set(event.details["before"])
    assert "067" not in str(event.details)  # which field changed, not the number


def test_a_bad_surname_or_phone_is_refused_with_a_clear_message_and_nothing_saved(client, db):
    person = factories.UserFactory(full_name="Олена Шевченко", roles=["participant"])
    sign_in(client, person)
    response = client.post(
        "/account/profile",
        data={"full_name": "Олена Коваль", "surname": "Шевченко", "phone": "", "locale": "uk"},
    )
    assert response.status_code == 422
    assert "Прізвище має бути одним зі слів повного імені." in response.get_data(as_text=True)
    response = client.post(
        "/account/profile",
        data={"full_name": "Олена Шевченко", "surname": "", "phone": "call me", "locale": "uk"},
    )
    assert response.status_code == 422 and "Введіть номер телефону лише цифрами" in response.get_data(
        as_text=True
    )
    response = client.post(
        "/account/profile", data={"full_name": "  ", "surname": "", "phone": "", "locale": "uk"}
    )
    assert response.status_code == 422 and "Введіть ваше повне ім’я." in response.get_data(as_text=True)
    response = client.post("/account/profile", data={"full_name": "Олена Шевченко", "locale": "fr"})
    assert response.status_code == 422
    assert _fresh(person.id).full_name == "Олена Шевченко"


def test_the_tokens_page_is_under_the_profile_not_in_a_participants_menu(client, db):
    sign_in(client, factories.UserFactory(roles=["participant"]))
    home = client.get("/").get_data(as_text=True)
    nav = home.split('id="nav"')[1].split("</nav>")[0]
    assert "/account/tokens" not in nav
    assert "/account/profile" in nav and "/certificates/" in nav
    assert "/cohorts/" not in nav and "/cohorts/calendar" not in nav and "/courses/" not in nav
    profile = client.get("/account/profile").get_data(as_text=True)
    assert "/account/tokens" in profile


def test_a_trainer_and_a_coordinator_see_their_menus(client, db):
    sign_in(client, factories.UserFactory(roles=["trainer"]))
    nav = client.get("/").get_data(as_text=True).split('id="nav"')[1].split("</nav>")[0]
    assert "/cohorts/" in nav and "/cohorts/calendar" in nav and "/cascade" in nav
    assert "/admin/users/" not in nav
    sign_in(client, factories.UserFactory(roles=["coordinator"], regions=[factories.RegionFactory()]))
    nav = client.get("/").get_data(as_text=True).split('id="nav"')[1].split("</nav>")[0]
    assert "/admin/users/" in nav and "/cohorts/" in nav


def _regions():
    """A coordinator of region A; in A a person by institution and one by enrolment; in B one."""
    region_a, region_b = factories.RegionFactory(), factories.RegionFactory()
    coordinator = factories.UserFactory(roles=["coordinator"], regions=[region_a])
    by_institution = factories.UserFactory(
        full_name="Ярина Бондар", institution=factories.InstitutionFactory(district__region=region_a)
    )
    cohort_a = factories.CohortFactory(district=factories.DistrictFactory(region=region_a))
    by_enrolment = factories.EnrollmentFactory(
        cohort=cohort_a, status="withdrawn", user__full_name="Андрій Ющенко"
    ).user
    other = factories.UserFactory(
        full_name="Ігор Чужий", institution=factories.InstitutionFactory(district__region=region_b)
    )
    factories.EnrollmentFactory(
        cohort=factories.CohortFactory(district=factories.DistrictFactory(region=region_b)), user=other
    )
    return coordinator, by_institution, by_enrolment, other


def test_a_coordinator_lists_the_people_of_her_regions_in_ukrainian_order(client, db):
    coordinator, by_institution, by_enrolment, other = _regions()
    sign_in(client, coordinator)
    response = client.get("/admin/users/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert by_institution.sort_name in page and by_enrolment.sort_name in page
    assert other.sort_name not in page
    assert page.index("Бондар Ярина") < page.index("Ющенко Андрій")
    assert "/admin/users/new" not in page  # adding people stays with admins


def test_a_coordinator_never_sees_another_region_in_the_api(client, db):
    coordinator, by_institution, by_enrolment, other = _regions()
    headers = api_headers(coordinator)
    body = client.get("/api/v1/users", headers=headers).get_json()
    ids = [item["id"] for item in body["items"]]
    assert set(ids) == {coordinator.id, by_institution.id, by_enrolment.id}
    found = client.get("/api/v1/users?q=бондар", headers=headers).get_json()
    assert [item["id"] for item in found["items"]] == [by_institution.id]
    assert client.get("/api/v1/users?q=чужий", headers=headers).get_json()["total"] == 0
    assert client.get(f"/api/v1/users/{other.id}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/users/{by_institution.id}", headers=headers).status_code == 200


def test_a_coordinator_views_but_does_not_edit_her_regions_people(client, db):
    coordinator, by_institution, _by_enrolment, other = _regions()
    sign_in(client, coordinator)
    assert client.get(f"/admin/users/{by_institution.id}/view").status_code == 200
    assert client.get(f"/admin/users/{other.id}/view").status_code == 404
    assert client.get(f"/admin/users/{by_institution.id}").status_code == 403
    response = client.patch(
        f"/api/v1/users/{by_institution.id}",
        json={"phone": "+380671112233"},
        headers=api_headers(coordinator),
    )
    assert response.status_code == 403
    assert _fresh(by_institution.id).phone is None


def test_the_people_list_pages_and_searches_by_email(client, db):
    coordinator, by_institution, _by_enrolment, _other = _regions()
    sign_in(client, coordinator)
    page = client.get(f"/admin/users/?q={by_institution.email}").get_data(as_text=True)
    assert by_institution.sort_name in page and "Ющенко" not in page


def test_trainers_and_participants_still_cannot_list_people(client, db):
    for roles in (["trainer"], ["participant"]):
        person = factories.UserFactory(roles=roles)
        sign_in(client, person)
        assert client.get("/admin/users/").status_code == 403
        assert client.get("/api/v1/users", headers=api_headers(person)).status_code == 403
