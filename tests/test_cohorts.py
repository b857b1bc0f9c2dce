"""Planning cohorts: double bookings, accreditation, who may plan where, the status flow."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from flask_babel import force_locale
from sqlalchemy import select

from lms.cohorts import services
from lms.core.errors import Conflict, PermissionDenied, ValidationError
from lms.core.models import AuditEvent
from tests import factories

START = date.today() + timedelta(days=30)


def day(n: int) -> date:
    return START + timedelta(days=n)


def session(n: int = 0, starts: int = 9, ends: int = 17, **extra) -> dict:
    return {"date": day(n), "starts_at": time(starts), "ends_at": time(ends), **extra}


@pytest.fixture
def english(db):
    """Messages in English, the source language the assertions use."""
    with force_locale("en"):
        yield


@pytest.fixture
def course(db):
    return factories.CourseFactory(code="PTL-MDG", days=2)


@pytest.fixture
def trainer(db, course):
    person = factories.UserFactory(roles=["trainer"], full_name="Наталія Бондаренко")
    factories.AccreditationFactory(user=person, course=course, granted_on=date.today() - timedelta(days=365))
    return person


@pytest.fixture
def district(db):
    return factories.DistrictFactory(name="Уманський район")


def plan(by, course, lead, district, sessions=(), **extra):
    values = {
        "course_id": course.id,
        "lead_trainer_id": lead.id,
        "district_id": district.id,
        "venue": "Уманський районний центр соціальних служб, зала засідань",
        "start_date": START,
    }
    values.update(extra)
    return services.create_cohort(by=by, sessions=list(sessions), **values)


def booked(lead, *, venue="Інша зала", co_trainers=(), status="scheduled", starts=9, ends=17, district=None):
    """Another cohort with one session on START, led by ``lead``."""
    other = factories.CohortFactory(
        lead_trainer=lead,
        venue=venue,
        start_date=START,
        status=status,
        accredited=False,
        **({"district": district} if district else {}),
    )
    other.co_trainers = list(co_trainers)
    factories.TrainingSessionFactory(cohort=other, date=START, starts_at=time(starts), ends_at=time(ends))
    return other


def test_trainer_booked_in_another_cohort_at_the_same_time_is_a_conflict_naming_it(
    english, admin, course, trainer, district
):
    other = booked(trainer)
    with pytest.raises(Conflict) as caught:
        plan(admin, course, trainer, district, [session(0)])
    message = str(caught.value.message)
    assert message == (
        f"Наталія Бондаренко is already training «{other.course.code}» on {START:%d.%m.%Y}, 09:00–17:00 "
        f"(cohort #{other.id}, {other.district.name_en})."
    )
    assert "lead_trainer_id" in caught.value.fields


def test_co_trainer_booked_elsewhere_is_a_conflict_both_ways(english, admin, course, trainer, district):
    lead_elsewhere = factories.UserFactory(roles=["trainer"])
    booked(lead_elsewhere, co_trainers=[trainer])
    with pytest.raises(Conflict):
        plan(admin, course, trainer, district, [session(0)])

    other_lead = factories.UserFactory(roles=["trainer"])
    factories.AccreditationFactory(user=other_lead, course=course, granted_on=date.today())
    with pytest.raises(Conflict) as caught:
        plan(admin, course, other_lead, district, [session(0, 13, 15)], co_trainer_ids=[trainer.id])
    assert "co_trainer_ids" in caught.value.fields
    assert trainer.full_name in str(caught.value.message)


def test_same_venue_at_overlapping_times_is_a_conflict_whatever_the_spacing_and_case(
    english, admin, course, trainer, district
):
    other = booked(factories.UserFactory(roles=["trainer"]), venue="Зала засідань  РДА, вул. Садова 10")
    with pytest.raises(Conflict) as caught:
        plan(
            admin,
            course,
            trainer,
            district,
            [session(0, 10, 12)],
            venue=" зала засідань рда,  вул. садова 10 ",
        )
    assert "venue" in caught.value.fields
    assert f"cohort #{other.id}" in str(caught.value.message)


def test_session_venue_override_is_what_counts(admin, course, trainer, district):
    booked(factories.UserFactory(roles=["trainer"]), venue="Актова зала ліцею")
    with pytest.raises(Conflict):
        plan(admin, course, trainer, district, [session(0, venue="актова зала ліцею")], venue="Інше місце")


def test_back_to_back_sessions_do_not_conflict(admin, course, trainer, district):
    booked(trainer, venue="Зала 1", starts=9, ends=13)
    cohort = plan(admin, course, trainer, district, [session(0, 13, 17)], venue="Зала 1")
    assert [(s.starts_at, s.ends_at) for s in cohort.sessions] == [(time(13), time(17))]


def test_cancelled_cohorts_do_not_block_trainers_or_venues(admin, course, trainer, district):
    booked(trainer, venue="Зала 1", status="cancelled")
    cohort = plan(admin, course, trainer, district, [session(0)], venue="Зала 1")
    assert cohort.id is not None


def test_sessions_of_one_cohort_must_not_overlap_each_other(admin, course, trainer, district):
    with pytest.raises(ValidationError):
        plan(admin, course, trainer, district, [session(0, 9, 13), session(0, 12, 17)])


def test_session_outside_the_cohorts_dates_is_refused(english, admin, course, trainer, district):
    with pytest.raises(ValidationError) as caught:
        plan(admin, course, trainer, district, [session(5)])
    assert "outside the training's dates" in str(caught.value.message)
    cohort = plan(admin, course, trainer, district, [session(0)])
    with pytest.raises(ValidationError) as caught:
        services.add_session(cohort, by=admin, **session(-1))
    assert "date" in caught.value.fields


def test_session_must_end_after_it_starts(admin, course, trainer, district):
    cohort = plan(admin, course, trainer, district, [session(0)])
    with pytest.raises(ValidationError) as caught:
        services.add_session(cohort, by=admin, **session(1, 13, 9))
    assert "ends_at" in caught.value.fields


def test_lead_trainer_must_be_accredited_for_the_course_on_the_first_day(admin, course, district):
    newcomer = factories.UserFactory(roles=["trainer"], full_name="Оксана Мельник")
    with pytest.raises(ValidationError) as caught:
        plan(admin, course, newcomer, district)
    assert "lead_trainer_id" in caught.value.fields
    factories.AccreditationFactory(user=newcomer, course=course, granted_on=START + timedelta(days=1))
    with pytest.raises(ValidationError):
        plan(admin, course, newcomer, district)
    assert plan(admin, course, newcomer, district, start_date=START + timedelta(days=1)).id


def test_changing_the_lead_requires_an_accredited_trainer(admin, course, trainer, district):
    cohort = plan(admin, course, trainer, district, [session(0)])
    unaccredited = factories.UserFactory(roles=["trainer"])
    with pytest.raises(ValidationError) as caught:
        services.update_cohort(cohort, by=admin, lead_trainer_id=unaccredited.id)
    assert "lead_trainer_id" in caught.value.fields
    assert cohort.lead_trainer_id == trainer.id


def test_adding_a_busy_co_trainer_or_moving_dates_onto_a_booking_is_checked(admin, course, trainer, district):
    cohort = plan(admin, course, trainer, district, [session(0)], start_date=START)
    busy = factories.UserFactory(roles=["trainer"])
    booked(busy)
    with pytest.raises(Conflict):
        services.update_cohort(cohort, by=admin, co_trainer_ids=[busy.id])
    with pytest.raises(ValidationError) as caught:
        services.update_cohort(cohort, by=admin, start_date=day(1), end_date=day(2))
    assert "start_date" in caught.value.fields
    assert cohort.co_trainers == [] and cohort.start_date == START


def test_editing_a_session_onto_a_trainers_other_booking_is_a_conflict(admin, course, trainer, district):
    booked(trainer, starts=9, ends=12)
    cohort = plan(admin, course, trainer, district, [session(0, 13, 17)], venue="Своя зала")
    with pytest.raises(Conflict) as caught:
        services.update_session(cohort.sessions[0], by=admin, starts_at=time(11))
    assert "starts_at" in caught.value.fields
    assert cohort.sessions[0].starts_at == time(13)


def test_proposed_sessions_are_one_a_day_with_modules_spread_in_order(db):
    course = factories.CourseFactory(days=2, modules=[(f"М{i}", h) for i, h in enumerate([2, 2, 3, 1, 4, 2])])
    slots = services.propose_sessions(course, START)
    ids = [m.id for m in course.modules]
    assert [(s.date, s.starts_at, s.ends_at) for s in slots] == [
        (day(0), time(9), time(17)),
        (day(1), time(9), time(17)),
    ]
    assert slots[0].module_ids == ids[:3] and slots[1].module_ids == ids[3:]


def test_coordinator_plans_only_in_districts_of_her_regions(db, course, trainer):
    home = factories.RegionFactory()
    coordinator = factories.UserFactory(roles=["coordinator"], regions=[home])
    own = factories.DistrictFactory(region=home)
    elsewhere = factories.DistrictFactory()
    with pytest.raises(PermissionDenied) as caught:
        plan(coordinator, course, trainer, elsewhere)
    assert "district_id" in caught.value.fields
    assert plan(coordinator, course, trainer, own).district_id == own.id


def test_trainer_plans_only_cohorts_she_leads(db, course, trainer, district):
    colleague = factories.UserFactory(roles=["trainer"])
    factories.AccreditationFactory(user=colleague, course=course, granted_on=date.today())
    with pytest.raises(PermissionDenied):
        plan(trainer, course, colleague, district)
    assert plan(trainer, course, trainer, district).lead_trainer_id == trainer.id


def test_status_moves_along_the_flow_and_each_change_is_audited(db, admin, course, trainer, district):
    cohort = plan(admin, course, trainer, district)
    with pytest.raises(ValidationError):
        services.change_status(cohort, "scheduled", by=admin)  # no session yet
    services.add_session(cohort, by=admin, **session(0))
    for status in ("scheduled", "in_progress"):
        services.change_status(cohort, status, by=admin)
        assert cohort.status == status
    # A training closes once its last session is over (tests/test_certificates.py has the rest).
    after = datetime.combine(cohort.end_date + timedelta(days=1), time(12), tzinfo=UTC)
    with time_machine.travel(after, tick=False):
        services.change_status(cohort, "closed", by=admin)
    assert cohort.status == "closed"
    events = (
        select(AuditEvent)
        .where(AuditEvent.action == "cohort.status", AuditEvent.object_id == cohort.id)
        .order_by(AuditEvent.id)
    )
    trail = [(e.actor_id, e.details["before"], e.details["after"]) for e in db.session.scalars(events)]
    assert trail == [
        (admin.id, "draft", "scheduled"),
        (admin.id, "scheduled", "in_progress"),
        (admin.id, "in_progress", "closed"),
    ]


@pytest.mark.parametrize(
    ("start", "wanted"),
    [
        ("draft", "in_progress"),
        ("draft", "closed"),
        ("scheduled", "closed"),
        ("closed", "cancelled"),
        ("cancelled", "draft"),
        ("in_progress", "scheduled"),
    ],
)
def test_status_changes_outside_the_flow_are_refused(admin, course, trainer, district, start, wanted):
    cohort = plan(admin, course, trainer, district, [session(0)])
    cohort.status = start
    with pytest.raises(Conflict):
        services.change_status(cohort, wanted, by=admin, reason="Причина")
    assert cohort.status == start


def test_cancelling_needs_a_reason(admin, course, trainer, district):
    cohort = plan(admin, course, trainer, district, [session(0)])
    with pytest.raises(ValidationError) as caught:
        services.change_status(cohort, "cancelled", by=admin, reason="  ")
    assert "cancelled_reason" in caught.value.fields
    services.change_status(cohort, "cancelled", by=admin, reason="Зала недоступна")
    assert (cohort.status, cohort.cancelled_reason) == ("cancelled", "Зала недоступна")


@pytest.mark.parametrize("final", ["closed", "cancelled"])
def test_sessions_of_closed_or_cancelled_cohorts_cannot_change(admin, course, trainer, district, final):
    cohort = plan(admin, course, trainer, district, [session(0)])
    cohort.status = final
    with pytest.raises(Conflict):
        services.add_session(cohort, by=admin, **session(1))
    with pytest.raises(Conflict):
        services.update_session(cohort.sessions[0], by=admin, starts_at=time(10))
    with pytest.raises(Conflict):
        services.delete_session(cohort.sessions[0], by=admin)
    with pytest.raises(Conflict):
        services.update_cohort(cohort, by=admin, venue="Нова зала")


def test_co_trainer_manages_sessions_but_cannot_change_status_or_hand_over(db, course, trainer, district):
    co_trainer = factories.UserFactory(roles=["trainer"])
    cohort = plan(trainer, course, trainer, district, [session(0)], co_trainer_ids=[co_trainer.id])
    services.add_session(cohort, by=co_trainer, **session(1))
    with pytest.raises(PermissionDenied):
        services.change_status(cohort, "scheduled", by=co_trainer)
    successor = factories.UserFactory(roles=["trainer"])
    factories.AccreditationFactory(user=successor, course=course, granted_on=date.today())
    with pytest.raises(PermissionDenied):
        services.update_cohort(cohort, by=co_trainer, lead_trainer_id=successor.id)
    services.update_cohort(cohort, by=trainer, lead_trainer_id=successor.id)
    assert cohort.lead_trainer_id == successor.id


@pytest.mark.postgres_only
def test_planners_of_the_same_trainer_or_venue_take_turns_on_postgresql(app, db, backend):
    """The locks taken before the conflict check make a second planner wait for the first.
    (SQLite lets one writer in at a time, so it needs no such locks.)"""
    import sqlalchemy as sa
    from sqlalchemy.exc import OperationalError

    from lms.accounts.models import User
    from lms.cohorts.conflicts import _venue_lock_key, lock_bookings

    with db.engine.connect() as other:
        other = other.execution_options(isolation_level="AUTOCOMMIT")
        trainer_id = other.execute(
            sa.insert(User).values(email="race@example.org", full_name="Race").returning(User.id)
        ).scalar_one()
        try:
            lock_bookings({trainer_id}, ["Зала  засідань"])
            with pytest.raises(OperationalError):
                other.execute(
                    sa.text("SELECT id FROM users WHERE id = :id FOR NO KEY UPDATE NOWAIT"),
                    {"id": trainer_id},
                )
            taken = other.execute(
                sa.text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _venue_lock_key("зала засідань")}
            ).scalar_one()
            assert taken is False
        finally:
            db.session.rollback()
            other.execute(sa.text("DELETE FROM users WHERE id = :id"), {"id": trainer_id})
