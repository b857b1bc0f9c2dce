"""Admins manage people; coordinators manage geography and institutions in their regions only."""

from lms.accounts.models import User
from lms.core.models import AuditEvent
from lms.org.models import Community, District, Institution
from tests import factories
from tests.conftest import sign_in


def english(client):
    with client.session_transaction() as session:
        session["lang"] = "en"


def test_admin_adds_a_person_who_gets_a_welcome_email(client, db, admin, mail_dir):
    sign_in(client, admin)
    region = factories.RegionFactory()
    response = client.post(
        "/admin/users/new",
        data={
            "full_name": "Оксана Мельник",
            "email": "o.melnyk@example.org",
            "phone": "+380671112233",
            "position": "Фахівчиня із соціальної роботи",
            "institution_id": "0",
            "roles": ["trainer", "coordinator"],
            "region_ids": [str(region.id)],
        },
    )
    assert response.status_code == 302
    user = db.session.query(User).filter_by(email="o.melnyk@example.org").one()
    assert user.full_name_latin == "Oksana Melnyk"
    assert user.roles == {"trainer", "coordinator"}
    assert user.region_ids == {region.id}
    assert user.password_hash is None
    assert any("o.melnyk@example.org" in p.read_text(errors="replace") for p in mail_dir.glob("*.eml"))
    assert db.session.query(AuditEvent).filter_by(action="user.create", object_id=user.id).count() == 1


def test_duplicate_and_invalid_emails_are_shown_next_to_the_field(client, db, admin):
    factories.UserFactory(email="taken@example.org")
    sign_in(client, admin)
    english(client)
    taken = client.post(
        "/admin/users/new",
        data={
            "full_name": "Іван",
            "email": "TAKEN@example.org",
            "roles": ["participant"],
            "institution_id": "0",
        },
    )
    assert taken.status_code == 200
    assert "Already in use." in taken.get_data(as_text=True)
    invalid = client.post(
        "/admin/users/new",
        data={"full_name": "Іван", "email": "not-an-email", "roles": ["participant"], "institution_id": "0"},
    )
    assert invalid.status_code == 200
    assert "is-invalid" in invalid.get_data(as_text=True)
    assert db.session.query(User).count() == 2


def test_people_search_finds_cyrillic_names_whatever_the_case(client, db, admin):
    factories.UserFactory(full_name="Ґалаґан Їжакевич", full_name_latin="Galagan Yizhakevych")
    factories.UserFactory(full_name="Петро Шевчук", full_name_latin="Petro Shevchuk")
    sign_in(client, admin)
    page = client.get("/admin/users/?q=їжак").get_data(as_text=True)
    assert "Ґалаґан Їжакевич" in page and "Петро Шевчук" not in page
    page = client.get("/admin/users/?q=GALAGAN").get_data(as_text=True)
    assert "Ґалаґан Їжакевич" in page


def test_admin_cannot_remove_own_admin_role_or_deactivate_self(client, db, admin):
    sign_in(client, admin)
    english(client)
    response = client.post(f"/admin/users/{admin.id}/active", data={"active": "0"}, follow_redirects=True)
    assert "You cannot deactivate yourself." in response.get_data(as_text=True)
    assert admin.active


def test_coordinator_sees_and_manages_only_her_regions(client, db):
    mine = factories.DistrictFactory()
    other = factories.DistrictFactory()
    coordinator = factories.UserFactory(roles=["coordinator"], regions=[mine.region])
    sign_in(client, coordinator)
    overview = client.get("/admin/geography/").get_data(as_text=True)
    assert mine.region.name in overview and other.region.name not in overview
    assert client.get(f"/admin/geography/regions/{other.region_id}").status_code == 403
    assert client.get(f"/admin/geography/districts/{other.id}").status_code == 403

    added = client.post(
        f"/admin/geography/districts/{mine.id}",
        data={
            "name": "Христинівська міська громада",
            "name_en": "Khrystynivka urban hromada",
            "kind": "urban",
        },
    )
    assert added.status_code == 302
    assert db.session.query(Community).filter_by(district_id=mine.id).count() == 1
    district = client.post(
        f"/admin/geography/regions/{mine.region_id}", data={"name": "Новий район", "name_en": "New Raion"}
    )
    assert district.status_code == 302
    refused = client.post(
        f"/admin/geography/regions/{other.region_id}", data={"name": "Чужий район", "name_en": "Other Raion"}
    )
    assert refused.status_code == 403
    assert [
        d.name for d in db.session.query(District).filter(District.name.in_(["Новий район", "Чужий район"]))
    ] == ["Новий район"]

    created = client.post(
        "/admin/geography/institutions/new",
        data={
            "name": "Уманський районний центр соціальних служб",
            "type": "social_services_centre",
            "district_id": str(mine.id),
        },
    )
    assert created.status_code == 302
    outside = client.post(
        "/admin/geography/institutions/new",
        data={"name": "Чужа установа", "type": "school", "district_id": str(other.id)},
    )
    assert outside.status_code == 200  # not a choice: the form refuses it
    assert db.session.query(Institution).count() == 1


def test_only_admins_add_regions_and_codes_are_unique(client, db, admin):
    from lms.org.models import Region

    sign_in(client, admin)
    data = {"code": "ua-99", "name": "Тестова область", "name_en": "Test Oblast", "kind": "oblast"}
    assert client.post("/admin/geography/", data=data).status_code == 302
    assert db.session.query(Region).filter_by(code="UA-99").count() == 1
    again = client.post("/admin/geography/", data=data)
    assert again.status_code == 200 and db.session.query(Region).filter_by(code="UA-99").count() == 1
    coordinator = factories.UserFactory(roles=["coordinator"], regions=[factories.RegionFactory()])
    sign_in(client, coordinator)
    client.post("/admin/geography/", data={**data, "code": "UA-98", "name": "Інша"})
    assert db.session.query(Region).filter_by(code="UA-98").count() == 0


def test_long_lists_are_paginated(client, db, admin):
    for _ in range(30):
        factories.UserFactory()
    sign_in(client, admin)
    first = client.get("/admin/users/")
    assert first.status_code == 200
    assert 'class="pagination' in first.get_data(as_text=True)
    second = client.get("/admin/users/?page=2").get_data(as_text=True)
    assert second.count("/admin/users/") >= 6  # six people on the last page link to their forms
    assert client.get("/admin/users/?page=99").status_code in (200, 404)


def test_admins_read_the_audit_log_and_others_cannot(client, db, admin):
    person = factories.UserFactory(full_name="Ірина Ковалевська")
    sign_in(client, admin)
    client.post(f"/admin/users/{person.id}/active", data={"active": "0"})
    page = client.get("/admin/audit/?action=user.update").get_data(as_text=True)
    rows = page[page.index('data-testid="audit-log"') :]
    assert "змінено профіль особи" in rows and f'href="/admin/users/{person.id}">Ірина Ковалевська' in rows
    assert "<code>user.update</code>" in rows and "<code>user.sign_in</code>" not in rows
    assert client.get("/admin/audit/?actor=nobody-at-all").status_code == 200
    coordinator = factories.UserFactory(roles=["coordinator"], regions=[factories.RegionFactory()])
    sign_in(client, coordinator)
    assert client.get("/admin/audit/").status_code == 403
