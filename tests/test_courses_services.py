"""Course services: the catalogue's validation rules, modules that sessions use, and audit."""

import pytest
from sqlalchemy import select

from lms.core.errors import Conflict, PermissionDenied, ValidationError
from lms.core.models import AuditEvent
from lms.courses import services
from lms.courses.models import CourseModule
from tests import factories


def course_values(**changes) -> dict:
    values = {
        "code": "ptl-status",
        "title": "Порядок встановлення статусу особи, яка постраждала від торгівлі людьми",
        "title_en": "Procedure for establishing the status of a victim of trafficking",
        "days": 1,
        "modules": [
            {"title": "Нормативна база", "title_en": "Legal framework", "hours": 1.5},
            {"title": "Практикум: кейси", "title_en": "Practice: cases", "hours": 2},
        ],
    }
    values.update(changes)
    return values


def problems(excinfo) -> set[str]:
    return set(excinfo.value.fields)


def test_admin_creates_a_course_with_ordered_modules_and_an_audit_event(db, admin):
    course = services.create_course(by=admin, **course_values())
    assert course.code == "PTL-STATUS"
    assert [(m.position, m.title, m.hours) for m in course.modules] == [
        (1, "Нормативна база", 1.5),
        (2, "Практикум: кейси", 2.0),
    ]
    assert course.total_hours == 3.5
    assert (course.min_attendance_percent, course.pass_mark_percent, course.active) == (80, 70, True)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "course.create")).one()
    assert event.object_id == course.id and event.actor_id == admin.id


@pytest.mark.parametrize("role", ["coordinator", "trainer", "participant"])
def test_only_admins_manage_courses(db, role):
    person = factories.UserFactory(roles=[role])
    with pytest.raises(PermissionDenied):
        services.create_course(by=person, **course_values())
    course = factories.CourseFactory()
    with pytest.raises(PermissionDenied):
        services.update_course(course, by=person, days=3)
    with pytest.raises(PermissionDenied):
        services.set_course_active(course, False, by=person)


def test_course_code_is_unique_whatever_the_case(db, admin):
    factories.CourseFactory(code="PTL-NEEDS")
    with pytest.raises(Conflict) as excinfo:
        services.create_course(by=admin, **course_values(code="ptl-needs"))
    assert problems(excinfo) == {"code"}
    other = factories.CourseFactory(code="PTL-MDG")
    with pytest.raises(Conflict):
        services.update_course(other, by=admin, code="PTL-NEEDS")


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"code": ""}, "code"),
        ({"code": "PTL STATUS"}, "code"),
        ({"title": "  "}, "title"),
        ({"days": 0}, "days"),
        ({"days": 61}, "days"),
        ({"days": 1.5}, "days"),
        ({"min_attendance_percent": 101}, "min_attendance_percent"),
        ({"pass_mark_percent": -1}, "pass_mark_percent"),
        ({"modules": []}, "modules"),
        ({"modules": [{"title": "Вступ", "hours": 0}]}, "modules"),
        ({"modules": [{"title": "Вступ", "hours": 24.5}]}, "modules"),
        ({"modules": [{"title": "", "hours": 2}]}, "modules"),
        ({"modules": [{"title": "Вступ", "hours": None}]}, "modules"),
    ],
)
def test_invalid_course_values_are_refused_on_the_field(db, admin, changes, field):
    with pytest.raises(ValidationError) as excinfo:
        services.create_course(by=admin, **course_values(**changes))
    assert field in problems(excinfo)


def test_boundary_values_are_accepted(db, admin):
    course = services.create_course(
        by=admin,
        **course_values(
            days=60,
            min_attendance_percent=0,
            pass_mark_percent=100,
            modules=[{"title": "Весь день", "hours": 24}],
        ),
    )
    assert (course.days, course.modules[0].hours) == (60, 24)


def test_all_problems_are_reported_at_once(db, admin):
    with pytest.raises(ValidationError) as excinfo:
        services.create_course(by=admin, **course_values(days=0, pass_mark_percent=200, modules=[]))
    assert problems(excinfo) == {"days", "pass_mark_percent", "modules"}


def test_tot_course_accredits_regular_courses_only(db, admin):
    regular = factories.CourseFactory(code="PTL-STATUS")
    tot = services.create_course(
        by=admin, **course_values(code="TOT-STATUS", is_tot=True, accredits_course_ids=[regular.id])
    )
    assert tot.accredits == [regular]
    assert services.tot_courses_accrediting(regular) == [tot]

    other_tot = factories.CourseFactory(code="TOT-NEEDS", is_tot=True)
    with pytest.raises(ValidationError) as excinfo:
        services.update_course(tot, by=admin, accredits_course_ids=[regular.id, other_tot.id])
    assert "TOT-NEEDS" in excinfo.value.fields["accredits_course_ids"][0]
    with pytest.raises(ValidationError):
        services.update_course(tot, by=admin, accredits_course_ids=[999999])


def test_a_tot_course_may_accredit_itself_so_its_graduates_train_trainers(db, admin):
    regular = factories.CourseFactory(code="PTL-STATUS")
    tot = services.create_course(
        by=admin, **course_values(code="TOT-STATUS", is_tot=True, accredits_course_ids=[regular.id])
    )
    services.update_course(tot, by=admin, accredits_course_ids=[regular.id, tot.id])
    assert {course.code for course in tot.accredits} == {"PTL-STATUS", "TOT-STATUS"}
    assert tot in services.accreditable_courses(tot.id)
    assert tot not in services.accreditable_courses(None)


def test_tot_course_must_name_what_it_accredits(db, admin):
    with pytest.raises(ValidationError) as excinfo:
        services.create_course(by=admin, **course_values(is_tot=True))
    assert problems(excinfo) == {"accredits_course_ids"}


def test_regular_course_accredits_nothing(db, admin):
    target = factories.CourseFactory()
    with pytest.raises(ValidationError) as excinfo:
        services.create_course(by=admin, **course_values(accredits_course_ids=[target.id]))
    assert problems(excinfo) == {"accredits_course_ids"}


def test_a_tot_course_that_becomes_regular_stops_accrediting(db, admin):
    target = factories.CourseFactory()
    tot = factories.CourseFactory(is_tot=True)
    tot.accredits = [target]
    services.update_course(tot, by=admin, is_tot=False)
    assert tot.accredits == []


def test_a_course_accredited_by_a_tot_course_cannot_become_tot(db, admin):
    target = factories.CourseFactory()
    tot = factories.CourseFactory(code="TOT-X", is_tot=True)
    tot.accredits = [target]
    db.session.flush()
    with pytest.raises(ValidationError) as excinfo:
        services.update_course(
            target, by=admin, is_tot=True, accredits_course_ids=[factories.CourseFactory().id]
        )
    assert "TOT-X" in excinfo.value.fields["is_tot"][0]


@pytest.mark.parametrize("was_tot", [False, True])
def test_a_course_whose_trainings_closed_cannot_switch_between_tot_and_regular(db, admin, was_tot):
    course = factories.CourseFactory(is_tot=was_tot)
    course.accredits = [course] if was_tot else []
    factories.CohortFactory(course=course, status="closed")
    db.session.flush()
    with pytest.raises(ValidationError) as excinfo:
        services.update_course(course, by=admin, is_tot=not was_tot, accredits_course_ids=[course.id])
    assert "не може стати курсом ToT чи перестати ним бути" in str(excinfo.value.fields["is_tot"][0])
    db.session.refresh(course)
    assert course.is_tot is was_tot
    services.update_course(course, by=admin, is_tot=was_tot, title="Нова назва")  # the same kind: fine


@pytest.mark.parametrize("status", ["scheduled", "in_progress", "cancelled"])
def test_a_course_whose_trainings_have_not_closed_may_become_tot(db, admin, status):
    course = factories.CourseFactory()
    factories.CohortFactory(course=course, status=status)
    db.session.flush()
    services.update_course(course, by=admin, is_tot=True, accredits_course_ids=[course.id])
    assert course.is_tot is True


def test_reordering_modules_keeps_their_ids(db, admin):
    course = factories.CourseFactory(modules=[("Перший", 1), ("Другий", 2), ("Третій", 3)])
    db.session.flush()
    first, second, third = course.modules
    services.update_course(
        course,
        by=admin,
        modules=[
            {"id": third.id, "title": "Третій", "hours": 3},
            {"id": first.id, "title": "Перший (оновлено)", "hours": 1.5},
            {"title": "Новий", "hours": 2},
            {"title": "Другий", "hours": 2},
        ],
    )
    db.session.flush()
    db.session.expire_all()
    assert [(m.id, m.position, m.title) for m in course.modules][:2] == [
        (third.id, 1, "Третій"),
        (first.id, 2, "Перший (оновлено)"),
    ]
    assert course.modules[3].id == second.id  # matched by the same title
    assert course.modules[2].title == "Новий"


def test_removing_a_module_that_sessions_use_is_a_conflict_naming_it(db, admin):
    course = factories.CourseFactory(modules=[("Вступ", 1), ("Практикум", 3)])
    intro, practice = course.modules
    session = factories.TrainingSessionFactory(cohort=factories.CohortFactory(course=course))
    session.modules.append(practice)
    db.session.flush()
    with pytest.raises(Conflict) as excinfo:
        services.update_course(course, by=admin, modules=[{"id": intro.id, "title": "Вступ", "hours": 1}])
    assert "Практикум" in str(excinfo.value.message)
    services.update_course(course, by=admin, modules=[{"id": practice.id, "title": "Практикум", "hours": 4}])
    db.session.flush()
    assert db.session.get(CourseModule, intro.id) is None
    assert session.modules == [practice] and practice.position == 1


def test_a_module_id_of_another_course_is_refused(db, admin):
    course = factories.CourseFactory()
    stranger = factories.CourseFactory().modules[0]
    db.session.flush()
    with pytest.raises(ValidationError) as excinfo:
        services.update_course(course, by=admin, modules=[{"id": stranger.id, "title": "Чужий", "hours": 1}])
    assert problems(excinfo) == {"modules"}


def test_unknown_fields_are_refused(db, admin):
    with pytest.raises(ValidationError):
        services.create_course(by=admin, **course_values(colour="red"))


def test_update_is_audited_with_what_changed(db, admin):
    course = factories.CourseFactory(days=2)
    services.update_course(course, by=admin, days=3, title=course.title)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "course.update")).one()
    assert event.details["before"] == {"days": 2} and event.details["after"] == {"days": 3}


def test_deactivating_and_reactivating_a_course_is_audited_once_each(db, admin):
    course = factories.CourseFactory()
    services.set_course_active(course, False, by=admin)
    services.set_course_active(course, False, by=admin)
    services.set_course_active(course, True, by=admin)
    actions = db.session.scalars(
        select(AuditEvent.action).where(
            AuditEvent.object_id == course.id, AuditEvent.object_type == "courses"
        )
    ).all()
    assert sorted(actions) == ["course.deactivate", "course.reactivate"]
    assert course.active is True


def test_catalogue_search_finds_cyrillic_titles_whatever_the_case(db):
    factories.CourseFactory(code="PTL-MDG", title="Міждисциплінарний підхід", title_en="Multidisciplinary")
    factories.CourseFactory(code="SCH-DIGNITY", title="Особиста гідність", title_en="Personal dignity")

    def found(q):
        return [c.code for c in db.session.scalars(services.list_courses(q=q))]

    assert found("міждисциплінарний") == ["PTL-MDG"]
    assert found("ГІДНІСТЬ") == ["SCH-DIGNITY"]
    assert found("sch-") == ["SCH-DIGNITY"]
    assert found("personal") == ["SCH-DIGNITY"]
