"""Pages and endpoints list people, places, institutions and courses in alphabetical order for
the page's language, people surname first; forms start where the person works."""

import re
from datetime import date, timedelta

import pytest

from tests import factories
from tests.conftest import api_headers, sign_in


def english(client) -> None:
    with client.session_transaction() as session:
        session["lang"] = "en"


def in_order(page: str, *texts: str) -> bool:
    positions = [page.index(text) for text in texts]
    return positions == sorted(positions)


@pytest.fixture
def oblasts(db):
    """Three oblasts whose code-point order (І, В, Ч) differs from the alphabet's (В, І, Ч)."""
    regions = {}
    for code, name, name_en in [
        ("UA-26", "Івано-Франківська область", "Ivano-Frankivsk Oblast"),
        ("UA-71", "Черкаська область", "Cherkasy Oblast"),
        ("UA-05", "Вінницька область", "Vinnytsia Oblast"),
    ]:
        regions[code] = factories.RegionFactory(code=code, name=name, name_en=name_en)
    return regions


def test_regions_page_lists_oblasts_in_ukrainian_alphabetical_order(client, admin, oblasts):
    sign_in(client, admin)
    page = client.get("/admin/geography/").get_data(as_text=True)
    assert in_order(page, "Вінницька область", "Івано-Франківська область", "Черкаська область")


def test_regions_page_in_english_lists_oblasts_in_english_order(client, admin, oblasts):
    sign_in(client, admin)
    english(client)
    page = client.get("/admin/geography/").get_data(as_text=True)
    assert in_order(page, "Cherkasy Oblast", "Ivano-Frankivsk Oblast", "Vinnytsia Oblast")


def test_regions_api_lists_oblasts_alphabetically(client, admin, oblasts):
    names = [r["name"] for r in client.get("/api/v1/regions", headers=api_headers(admin)).json["items"]]
    assert names == ["Вінницька область", "Івано-Франківська область", "Черкаська область"]


def test_people_page_lists_people_surname_first_by_surname(client, admin, strict_loading):
    for name in ["Ірина Алексюк", "Ґудзь Яна Олегівна", "Олена Гнатюк", "Дмитренко Єва", "Алла Єрмак"]:
        factories.UserFactory(full_name=name)
    sign_in(client, admin)
    page = client.get("/admin/users/").get_data(as_text=True)
    assert in_order(
        page, "Алексюк Ірина", "Гнатюк Олена", "Ґудзь Яна Олегівна", "Дмитренко Єва", "Єрмак Алла"
    )


def test_institution_choices_in_the_person_form_are_alphabetical(client, admin):
    district = factories.DistrictFactory(name="Черкаський район")
    for name in ["Їжакевицька гімназія", "Ґрунівський ліцей", "Авангардівська школа", "Гнилецька школа"]:
        factories.InstitutionFactory(name=name, district=district)
    sign_in(client, admin)
    page = client.get("/admin/users/new").get_data(as_text=True)
    select = page.split('name="institution_id"')[1].split("</select>")[0]
    assert in_order(
        select, "Авангардівська школа", "Гнилецька школа", "Ґрунівський ліцей", "Їжакевицька гімназія"
    )


def test_courses_page_lists_courses_by_title_alphabetically(client, admin):
    for code, title in [("Z-1", "Ідентифікація постраждалих"), ("A-1", "Мультидисциплінарний підхід")]:
        factories.CourseFactory(code=code, title=title)
    factories.CourseFactory(code="M-1", title="Базові знання про торгівлю людьми")
    sign_in(client, admin)
    page = client.get("/courses/").get_data(as_text=True)
    assert in_order(page, "Базові знання", "Ідентифікація постраждалих", "Мультидисциплінарний підхід")


def _planning_page(client, user, course):
    sign_in(client, user)
    return client.get(f"/cohorts/new?course_id={course.id}").get_data(as_text=True)


def _district_options(page: str) -> list[str]:
    select = page.split('name="district_id"')[1].split("</select>")[0]
    return re.findall(r"<option[^>]*>([^<]+)</option>", select)


@pytest.fixture
def geography(oblasts):
    districts = {
        name: factories.DistrictFactory(region=oblasts[code], name=name)
        for code, name in [
            ("UA-26", "Івано-Франківський район"),
            ("UA-71", "Черкаський район"),
            ("UA-71", "Уманський район"),
            ("UA-05", "Вінницький район"),
        ]
    }
    return districts


def _trainer_in(district, course):
    institution = factories.InstitutionFactory(district=district)
    person = factories.UserFactory(roles=["trainer"], institution_id=institution.id)
    factories.AccreditationFactory(user=person, course=course, granted_on=date.today() - timedelta(days=30))
    return person


def test_cherkasy_trainers_district_list_starts_with_cherkasy_oblast(client, geography):
    course = factories.CourseFactory()
    trainer = _trainer_in(geography["Уманський район"], course)
    options = _district_options(_planning_page(client, trainer, course))
    assert options[:2] == ["Уманський район", "Черкаський район"]
    assert set(options[2:]) == {"Вінницький район", "Івано-Франківський район"}


def test_trainer_without_an_institution_gets_districts_alphabetically(client, geography):
    course = factories.CourseFactory()
    trainer = factories.UserFactory(roles=["trainer"])
    factories.AccreditationFactory(user=trainer, course=course, granted_on=date.today() - timedelta(days=30))
    options = _district_options(_planning_page(client, trainer, course))
    assert options == ["Вінницький район", "Івано-Франківський район", "Уманський район", "Черкаський район"]


def test_cherkasy_coordinator_sees_her_oblasts_districts_alphabetically(client, oblasts, geography):
    course = factories.CourseFactory()
    coordinator = factories.UserFactory(roles=["coordinator"], regions=[oblasts["UA-71"]])
    options = _district_options(_planning_page(client, coordinator, course))
    assert options == ["Уманський район", "Черкаський район"]


def test_co_trainer_choices_are_surnames_first_in_order(client, geography):
    course = factories.CourseFactory()
    lead = _trainer_in(geography["Черкаський район"], course)
    for name in ["Ірина Ярош", "Олег Бойко", "Євген Їжак"]:
        factories.UserFactory(roles=["trainer"], full_name=name)
    page = _planning_page(client, lead, course)
    block = page.split('name="co_trainer_ids"', 1)[1]
    assert in_order(block, "Бойко Олег", "Їжак Євген", "Ярош Ірина")


def test_region_page_lists_districts_in_the_page_languages_order(client, admin, oblasts):
    region = oblasts["UA-71"]
    for name, name_en in [
        ("Черкаський район", "Cherkasy Raion"),
        ("Звенигородський район", "Zvenyhorodka Raion"),
    ]:
        factories.DistrictFactory(region=region, name=name, name_en=name_en)
    sign_in(client, admin)
    page = client.get(f"/admin/geography/regions/{region.id}").get_data(as_text=True)
    assert in_order(page, "Звенигородський район", "Черкаський район")
    english(client)
    page = client.get(f"/admin/geography/regions/{region.id}").get_data(as_text=True)
    assert in_order(page, "Cherkasy Raion", "Zvenyhorodka Raion")
