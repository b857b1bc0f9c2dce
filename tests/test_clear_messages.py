"""Messages a person can act on: places, co-trainers, a coordinator's regions; optional English
names that default to the transliteration; the language switch and the seed's words."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from lms.accounts.models import User
from lms.org.models import District, Institution, Region
from tests import factories
from tests.conftest import api_headers, sign_in

START = date.today() + timedelta(days=30)


def english(client) -> None:
    with client.session_transaction() as session:
        session["lang"] = "en"


@pytest.fixture
def planning(db):
    region = factories.RegionFactory()
    district = factories.DistrictFactory(region=region)
    course = factories.CourseFactory(days=1)
    lead = factories.UserFactory(roles=["trainer"], full_name="Віктор Ткаченко")
    factories.AccreditationFactory(user=lead, course=course, granted_on=date.today() - timedelta(days=90))
    coordinator = factories.UserFactory(roles=["coordinator"], regions=[region])
    return {"course": course, "lead": lead, "district": district, "coordinator": coordinator}


def _cohort(planning, **extra) -> dict:
    values = {
        "course_id": planning["course"].id,
        "lead_trainer_id": planning["lead"].id,
        "district_id": planning["district"].id,
        "venue": "Уманський районний центр соціальних служб",
        "start_date": START.isoformat(),
    }
    values.update(extra)
    return values


@pytest.mark.parametrize(("places", "message"), [(0, "at least 1 place"), (1001, "at most 1000")])
def test_places_out_of_range_say_the_limit_on_the_page(client, planning, places, message):
    sign_in(client, planning["coordinator"])
    english(client)
    page = client.post("/cohorts/new", data=_cohort(planning, community_id=0, capacity=places))
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and message in text and "This field is required" not in text


def test_one_place_is_enough_on_the_page(client, planning):
    sign_in(client, planning["coordinator"])
    english(client)
    text = client.post("/cohorts/new", data=_cohort(planning, community_id=0, capacity=1)).get_data(
        as_text=True
    )
    assert "at least 1 place" not in text


def test_zero_places_in_the_api_says_at_least_one(client, planning):
    response = client.post(
        "/api/v1/cohorts", json=_cohort(planning, capacity=0), headers=api_headers(planning["coordinator"])
    )
    assert response.status_code == 422
    assert response.json["error"]["fields"]["capacity"] == ["Тренінгу потрібне щонайменше 1 місце."]


def test_lead_trainer_ticked_as_co_trainer_is_explained_in_the_api(client, planning):
    lead = planning["lead"]
    response = client.post(
        "/api/v1/cohorts",
        json=_cohort(planning, co_trainer_ids=[lead.id]),
        headers=api_headers(planning["coordinator"]),
    )
    assert response.status_code == 422
    assert "Віктор Ткаченко" in response.json["error"]["fields"]["co_trainer_ids"][0]


def test_lead_trainer_ticked_as_co_trainer_is_explained_on_the_page(client, planning):
    sign_in(client, planning["coordinator"])
    english(client)
    form = _cohort(planning, community_id=0, capacity=20, co_trainer_ids=[planning["lead"].id])
    response = client.post("/cohorts/new", data=form)
    assert response.status_code in (200, 422)
    assert "cannot also be its co-trainer" in response.get_data(as_text=True)


def test_promoting_a_co_trainer_to_lead_moves_her_out_of_the_co_trainers(client, planning):
    co = factories.UserFactory(roles=["trainer"])
    factories.AccreditationFactory(
        user=co, course=planning["course"], granted_on=date.today() - timedelta(days=9)
    )
    headers = api_headers(planning["coordinator"])
    created = client.post("/api/v1/cohorts", json=_cohort(planning, co_trainer_ids=[co.id]), headers=headers)
    assert created.status_code == 201, created.json
    patched = client.patch(
        f"/api/v1/cohorts/{created.json['id']}", json={"lead_trainer_id": co.id}, headers=headers
    )
    assert patched.status_code == 200 and patched.json["co_trainer_ids"] == []


def test_coordinator_without_a_region_is_refused_on_the_page(client, db, admin):
    sign_in(client, admin)
    english(client)
    response = client.post(
        "/admin/users/new",
        data={"full_name": "Ірина Ковалевська", "email": "k@example.org", "roles": ["coordinator"]},
    )
    assert response.status_code == 200 and "A coordinator needs at least one region" in response.get_data(
        as_text=True
    )
    assert db.session.scalar(select(User.id).where(User.email == "k@example.org")) is None


def test_coordinator_without_a_region_is_refused_by_the_api(client, admin):
    headers = api_headers(admin)
    refused = client.post(
        "/api/v1/users",
        json={"email": "k@example.org", "full_name": "Ірина Ковалевська", "roles": ["coordinator"]},
        headers=headers,
    )
    assert refused.status_code == 422 and "region_ids" in refused.json["error"]["fields"]
    region = factories.RegionFactory()
    coordinator = factories.UserFactory(roles=["coordinator"], regions=[region])
    emptied = client.patch(f"/api/v1/users/{coordinator.id}", json={"region_ids": []}, headers=headers)
    assert emptied.status_code == 422 and "region_ids" in emptied.json["error"]["fields"]
    trainer_now = client.patch(
        f"/api/v1/users/{coordinator.id}", json={"roles": ["trainer"], "region_ids": []}, headers=headers
    )
    assert trainer_now.status_code == 200


def test_api_names_default_to_the_national_transliteration(client, db, admin):
    headers = api_headers(admin)
    region = client.post(
        "/api/v1/regions", json={"code": "UA-74", "name": "Чернігівська область"}, headers=headers
    )
    assert region.status_code == 201 and region.json["name_en"] == "Chernihivska oblast"
    district = client.post(
        "/api/v1/districts",
        json={"region_id": region.json["id"], "name": "Ніжинський район"},
        headers=headers,
    )
    assert district.status_code == 201 and district.json["name_en"] == "Nizhynskyi raion"
    community = client.post(
        "/api/v1/communities",
        json={"district_id": district.json["id"], "name": "Згурівка", "kind": "urban"},
        headers=headers,
    )
    assert community.status_code == 201 and community.json["name_en"] == "Zghurivka"
    institution = client.post(
        "/api/v1/institutions",
        json={"district_id": district.json["id"], "name": "Ніжинський ліцей № 1", "type": "school"},
        headers=headers,
    )
    assert institution.status_code == 201 and institution.json["name_en"] == "Nizhynskyi litsei № 1"
    given = client.post(
        "/api/v1/districts",
        json={"region_id": region.json["id"], "name": "Прилуцький район", "name_en": "Pryluky Raion"},
        headers=headers,
    )
    assert given.json["name_en"] == "Pryluky Raion"


def test_forms_leave_the_english_name_optional(client, db, admin):
    region = factories.RegionFactory()
    sign_in(client, admin)
    response = client.post(f"/admin/geography/regions/{region.id}", data={"name": "Ніжинський район"})
    assert response.status_code == 302
    district = db.session.scalars(select(District).where(District.name == "Ніжинський район")).one()
    assert district.name_en == "Nizhynskyi raion"
    response = client.post(
        "/admin/geography/institutions/new",
        data={"name": "Ніжинський ліцей № 1", "type": "school", "district_id": district.id},
    )
    assert response.status_code == 302
    institution = db.session.scalars(select(Institution).where(Institution.district_id == district.id)).one()
    assert institution.name_en == "Nizhynskyi litsei № 1"
    response = client.post(
        "/admin/geography/", data={"code": "UA-99", "name": "Тестова область", "kind": "oblast"}
    )
    assert response.status_code == 302
    assert db.session.scalars(select(Region.name_en).where(Region.code == "UA-99")).one() == "Testova oblast"


def test_language_switch_reads_ukr_and_en(client, admin):
    sign_in(client, admin)
    page = client.get("/").get_data(as_text=True)
    assert ">УКР</button>" in page and ">EN</button>" in page and ">UK</button>" not in page


def test_seed_output_names_the_master_trainer(app, db):
    result = app.test_cli_runner().invoke(args=["seed", "demo"])
    assert result.exit_code == 0, result.output
    lines = {line.split()[-1]: line for line in result.output.splitlines() if "@cascade.demo" in line}
    assert "master trainer" in lines["n.bondarenko@cascade.demo"]
    assert "coordinator (Cherkasy oblast)" in lines["koordynator.cherkasy@cascade.demo"]


def test_seeded_people_in_official_order_sort_by_surname_on_the_people_page(app, db, client):
    assert app.test_cli_runner().invoke(args=["seed", "demo"]).exit_code == 0
    admin = db.session.scalars(select(User).where(User.email == "admin@cascade.demo")).one()
    sign_in(client, admin)
    page = client.get("/admin/users/?q=cascade.demo").get_data(as_text=True)
    surnames = ["Андрійчук Світлана", "Гнатюк Роман", "Ґудзь Яна", "Євтушенко Марія", "Іваненко Олег"]
    positions = [page.index(name) for name in surnames]
    assert positions == sorted(positions)
