"""The courses API: /api/v1/courses as API.md describes it."""

import pytest

from tests import factories
from tests.conftest import api_headers


def new_course(**changes) -> dict:
    body = {
        "code": "PTL-MDG",
        "title": "Міждисциплінарний підхід до виявлення, ідентифікації та надання комплексної допомоги",
        "title_en": "Multidisciplinary approach",
        "days": 2,
        "modules": [
            {"title": "Робота МДГ району", "title_en": "The district MDG at work", "hours": 1.5},
            {"title": "Діти, які постраждали від торгівлі людьми", "hours": 2},
        ],
        "min_attendance_percent": 80,
        "pass_mark_percent": 70,
    }
    body.update(changes)
    return body


def test_admin_creates_lists_gets_and_patches_a_course(client, db, admin):
    headers = api_headers(admin)
    created = client.post("/api/v1/courses", json=new_course(), headers=headers)
    assert created.status_code == 201, created.json
    course = created.json
    assert course["code"] == "PTL-MDG" and course["is_tot"] is False and course["active"] is True
    assert [(m["position"], m["title"], m["hours"]) for m in course["modules"]] == [
        (1, "Робота МДГ району", 1.5),
        (2, "Діти, які постраждали від торгівлі людьми", 2.0),
    ]
    assert course["total_hours"] == 3.5 and course["accredits_course_ids"] == []

    tot = client.post(
        "/api/v1/courses",
        json=new_course(code="TOT-MDG", is_tot=True, accredits_course_ids=[course["id"]]),
        headers=headers,
    )
    assert tot.status_code == 201 and tot.json["accredits_course_ids"] == [course["id"]]

    listed = client.get("/api/v1/courses?is_tot=true", headers=headers).json
    assert [c["code"] for c in listed["items"]] == ["TOT-MDG"] and listed["total"] == 1
    assert client.get("/api/v1/courses?q=mdg", headers=headers).json["total"] == 2

    got = client.get(f"/api/v1/courses/{course['id']}", headers=headers)
    assert got.status_code == 200 and got.json["title_en"] == "Multidisciplinary approach"

    first_module = course["modules"][0]
    patched = client.patch(
        f"/api/v1/courses/{course['id']}",
        json={
            "days": 3,
            "active": False,
            "modules": [{"id": first_module["id"], "title": "Робота МДГ", "hours": 2}],
        },
        headers=headers,
    )
    assert patched.status_code == 200, patched.json
    assert patched.json["days"] == 3 and patched.json["active"] is False
    assert [(m["id"], m["title"]) for m in patched.json["modules"]] == [(first_module["id"], "Робота МДГ")]
    assert client.get("/api/v1/courses?active=false", headers=headers).json["total"] == 1


def test_duplicate_code_is_409_and_bad_fields_are_422(client, db, admin):
    factories.CourseFactory(code="PTL-MDG")
    headers = api_headers(admin)
    duplicate = client.post("/api/v1/courses", json=new_course(), headers=headers)
    assert duplicate.status_code == 409
    assert duplicate.json["error"]["code"] == "conflict" and "code" in duplicate.json["error"]["fields"]

    bad = client.post(
        "/api/v1/courses",
        json=new_course(
            code="NEW-1", days=0, pass_mark_percent=120, modules=[{"title": "Вступ", "hours": 30}]
        ),
        headers=headers,
    )
    assert bad.status_code == 422
    assert set(bad.json["error"]["fields"]) == {"days", "pass_mark_percent", "modules"}

    wrong_types = client.post("/api/v1/courses", json=new_course(code="NEW-2", days="many"), headers=headers)
    assert wrong_types.status_code == 422 and "days" in wrong_types.json["error"]["fields"]
    missing = client.post("/api/v1/courses", json={"code": "NEW-3"}, headers=headers)
    assert missing.status_code == 422 and {"title", "days", "modules"} <= set(missing.json["error"]["fields"])

    tot_to_tot = client.post(
        "/api/v1/courses",
        json=new_course(
            code="TOT-2", is_tot=True, accredits_course_ids=[factories.CourseFactory(is_tot=True).id]
        ),
        headers=headers,
    )
    assert tot_to_tot.status_code == 422 and "accredits_course_ids" in tot_to_tot.json["error"]["fields"]


@pytest.mark.parametrize("role", ["coordinator", "trainer", "participant"])
def test_non_admins_read_but_cannot_change_courses(client, db, role):
    course = factories.CourseFactory()
    headers = api_headers(factories.UserFactory(roles=[role]))
    assert client.get("/api/v1/courses", headers=headers).status_code == 200
    assert client.get(f"/api/v1/courses/{course.id}", headers=headers).status_code == 200
    assert client.post("/api/v1/courses", json=new_course(), headers=headers).status_code == 403
    patch = client.patch(f"/api/v1/courses/{course.id}", json={"days": 5}, headers=headers)
    assert patch.status_code == 403 and course.days == 2


def test_patch_that_drops_a_module_used_by_a_session_is_409_naming_it(client, db, admin):
    course = factories.CourseFactory(modules=[("Вступ", 1), ("Практикум: кейси", 3)])
    session = factories.TrainingSessionFactory(cohort=factories.CohortFactory(course=course))
    session.modules.append(course.modules[1])
    response = client.patch(
        f"/api/v1/courses/{course.id}",
        json={"modules": [{"title": "Вступ", "hours": 1}]},
        headers=api_headers(admin),
    )
    assert response.status_code == 409
    assert "Практикум: кейси" in response.json["error"]["message"]
    assert len(course.modules) == 2


def test_unknown_course_is_404(client, db, admin):
    assert client.get("/api/v1/courses/999999", headers=api_headers(admin)).status_code == 404
