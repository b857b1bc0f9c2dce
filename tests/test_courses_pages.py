"""Course pages: the catalogue, a course page, and the admin form with its modules editor."""

import re

import pytest
from sqlalchemy import select

from lms.courses.models import Course
from tests import factories
from tests.conftest import sign_in


def english(client) -> None:
    with client.session_transaction() as session:
        session["lang"] = "en"


def form_data(**changes) -> dict:
    data = {
        "code": "PTL-NEEDS",
        "title": "Оцінка потреб та план реабілітації",
        "title_en": "Needs assessment and the rehabilitation plan",
        "days": "1",
        "min_attendance_percent": "80",
        "pass_mark_percent": "70",
        "modules-0-title": "Оцінка потреб",
        "modules-0-title_en": "Needs assessment",
        "modules-0-hours": "1,5",
        "modules-1-title": "План реабілітації",
        "modules-1-hours": "2",
        "modules-2-title": "",
        "modules-2-hours": "",
    }
    data.update(changes)
    return data


def module_titles(page: str) -> list[str]:
    """The Ukrainian topics in the modules editor, in order."""
    return re.findall(r'name="modules-\d+-title" type="text" value="([^"]*)"', page)


def test_everyone_signed_in_browses_the_catalogue_with_search_and_filters(client, db):
    factories.CourseFactory(code="PTL-STATUS", title="Порядок встановлення статусу")
    factories.CourseFactory(code="TOT-STATUS", title="Тренінг для тренерів", is_tot=True)
    factories.CourseFactory(code="OLD-1", title="Застарілий курс", active=False)
    sign_in(client, factories.UserFactory(roles=["participant"]))
    page = client.get("/courses/").get_data(as_text=True)
    assert "PTL-STATUS" in page and "TOT-STATUS" in page and "OLD-1" not in page
    assert "/courses/new" not in page
    page = client.get("/courses/?kind=tot").get_data(as_text=True)
    assert "TOT-STATUS" in page and "PTL-STATUS" not in page
    page = client.get("/courses/?q=статусу&kind=regular").get_data(as_text=True)
    assert "PTL-STATUS" in page and "TOT-STATUS" not in page
    assert "OLD-1" in client.get("/courses/?status=inactive").get_data(as_text=True)
    english(client)
    assert "No courses match this search." in client.get("/courses/?q=nothing-like-this").get_data(
        as_text=True
    )


def test_catalogue_is_paginated(client, db):
    for n in range(27):
        factories.CourseFactory(code=f"C-{n:02d}", title=f"Курс {n:02d}", modules=[("Модуль", 1)])
    sign_in(client, factories.UserFactory())
    first = client.get("/courses/").get_data(as_text=True)
    second = client.get("/courses/?page=2").get_data(as_text=True)
    assert "C-00" in first and "C-26" not in first
    assert "C-26" in second and "C-00" not in second


def test_course_page_shows_modules_rule_and_accreditation_in_the_current_language(client, db):
    regular = factories.CourseFactory(
        code="PTL-MDG",
        title="Міждисциплінарний підхід",
        title_en="Multidisciplinary approach",
        description="Опис українською",
        description_en="Description in English",
        modules=[("Робота МДГ району", 1.5), ("Гаряча лінія 527", 2)],
        min_attendance_percent=80,
        pass_mark_percent=70,
    )
    tot = factories.CourseFactory(code="TOT-MDG", is_tot=True)
    tot.accredits = [regular]
    factories.AccreditationFactory(course=regular)
    factories.AccreditationFactory(course=regular)
    sign_in(client, factories.UserFactory(roles=["participant"]))
    page = client.get(f"/courses/{regular.id}").get_data(as_text=True)
    assert "Опис українською" in page and "Робота МДГ району" in page
    english(client)
    page = client.get(f"/courses/{regular.id}").get_data(as_text=True)
    assert "Multidisciplinary approach" in page and "Description in English" in page
    assert "3.5" in page  # total hours
    assert "At least 80% attendance" in page and "at least 70%" in page
    assert "2 trainers" in page and "TOT-MDG" in page
    assert "/edit" not in page
    page = client.get(f"/courses/{tot.id}").get_data(as_text=True)
    assert "accredits its graduates to deliver" in page and "PTL-MDG" in page


@pytest.mark.parametrize("role", ["coordinator", "trainer", "participant"])
def test_only_admins_reach_the_course_admin_pages(client, db, role):
    course = factories.CourseFactory()
    sign_in(client, factories.UserFactory(roles=[role]))
    assert client.get("/courses/new").status_code == 403
    assert client.post("/courses/new", data=form_data()).status_code == 403
    assert client.get(f"/courses/{course.id}/edit").status_code == 403
    assert client.post(f"/courses/{course.id}/active", data={"active": "0"}).status_code == 403
    assert course.active


def test_admin_creates_a_course_through_the_form_ignoring_blank_rows(client, db, admin):
    sign_in(client, admin)
    assert client.get("/courses/new").status_code == 200
    response = client.post("/courses/new", data=form_data())
    assert response.status_code == 302
    course = db.session.scalars(select(Course).where(Course.code == "PTL-NEEDS")).one()
    assert response.headers["Location"].endswith(f"/courses/{course.id}")
    assert [(m.title, m.title_en, m.hours) for m in course.modules] == [
        ("Оцінка потреб", "Needs assessment", 1.5),
        ("План реабілітації", "", 2.0),
    ]


def test_form_shows_errors_next_to_the_fields(client, db, admin):
    factories.CourseFactory(code="PTL-NEEDS")
    sign_in(client, admin)
    english(client)
    duplicate = client.post("/courses/new", data=form_data())
    assert duplicate.status_code == 409
    assert "Another course already uses this code." in duplicate.get_data(as_text=True)
    bad = client.post(
        "/courses/new",
        data=form_data(code="NEW-1", days="0", pass_mark_percent="101", **{"modules-1-hours": "30"}),
    )
    page = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert "Enter a whole number from 1 to 60." in page
    assert "Enter a whole number from 0 to 100." in page
    assert "Module 2: hours must be more than 0 and at most 24." in page
    assert 'value="NEW-1"' in page  # what was typed stays
    blank_rows = {f"modules-{i}-{name}": "" for i in range(3) for name in ("title", "title_en", "hours")}
    no_modules = client.post("/courses/new", data=form_data(code="NEW-2", **blank_rows))
    assert "Add at least one module." in no_modules.get_data(as_text=True)
    assert db.session.scalar(select(Course.id).where(Course.code.in_(["NEW-1", "NEW-2"]))) is None


def test_modules_editor_buttons_work_without_javascript_and_save_nothing(client, db, admin):
    sign_in(client, admin)
    added = client.post("/courses/new", data=form_data(module_action="add")).get_data(as_text=True)
    assert 'name="modules-3-title"' in added
    moved = client.post("/courses/new", data=form_data(module_action="up-1")).get_data(as_text=True)
    assert module_titles(moved)[:2] == ["План реабілітації", "Оцінка потреб"]
    removed = client.post("/courses/new", data=form_data(module_action="remove-0")).get_data(as_text=True)
    assert module_titles(removed)[:2] == ["План реабілітації", ""]
    down = client.post("/courses/new", data=form_data(module_action="down-0")).get_data(as_text=True)
    assert module_titles(down)[:2] == ["План реабілітації", "Оцінка потреб"]
    assert db.session.scalar(select(Course.id).where(Course.code == "PTL-NEEDS")) is None


def test_admin_edits_a_tot_course_and_its_accredited_courses(client, db, admin):
    target = factories.CourseFactory(code="PTL-STATUS")
    tot = factories.CourseFactory(code="TOT-STATUS", is_tot=True, modules=[("Методи навчання дорослих", 2)])
    tot.accredits = [target]
    db.session.flush()
    module = tot.modules[0]
    sign_in(client, admin)
    page = client.get(f"/courses/{tot.id}/edit").get_data(as_text=True)
    assert "Методи навчання дорослих" in page and f'value="{module.id}"' in page
    data = form_data(
        code="TOT-STATUS",
        is_tot="y",
        accredits_course_ids=str(target.id),
        **{
            "modules-0-module_id": str(module.id),
            "modules-0-title": "Методи навчання дорослих",
            "modules-0-hours": "3",
        },
    )
    response = client.post(f"/courses/{tot.id}/edit", data=data)
    assert response.status_code == 302
    assert module.hours == 3 and tot.modules[0].id == module.id
    assert tot.accredits == [target] and tot.days == 1


def test_the_form_says_why_a_course_with_closed_trainings_cannot_become_tot(client, db, admin):
    target = factories.CourseFactory(code="PTL-STATUS")
    course = factories.CourseFactory(code="PTL-NEEDS", modules=[("Оцінка потреб", 2)])
    factories.CohortFactory(course=course, status="closed")
    db.session.flush()
    sign_in(client, admin)
    english(client)
    data = form_data(
        is_tot="y",
        accredits_course_ids=str(target.id),
        **{"modules-0-module_id": str(course.modules[0].id), "modules-0-title": "Оцінка потреб"},
    )
    response = client.post(f"/courses/{course.id}/edit", data=data)
    assert response.status_code == 422
    assert "so it cannot switch between ToT and regular. Create a new course instead." in response.get_data(
        as_text=True
    )
    db.session.refresh(course)
    assert course.is_tot is False and course.accredits == []


def test_admin_deactivates_and_reactivates_a_course(client, db, admin):
    course = factories.CourseFactory()
    sign_in(client, admin)
    english(client)
    page = client.get(f"/courses/{course.id}").get_data(as_text=True)
    assert "data-confirm" in page and "Deactivate" in page
    assert client.post(f"/courses/{course.id}/active", data={"active": "0"}).status_code == 302
    assert course.active is False
    client.post(f"/courses/{course.id}/active", data={"active": "1"})
    assert course.active is True
