"""Properties of session overlaps and booking conflicts, checked by Hypothesis against a plain
model: two sessions overlap when they share a day and at least one minute."""

from datetime import date, time, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lms.cohorts.conflicts import (
    Slot,
    find_conflicts,
    normalized_venue,
    overlapping_slots,
    require_free,
    require_inside,
    require_no_overlap,
    slot_from,
)
from lms.core.errors import Conflict, ValidationError
from tests import factories

DAY = date(2026, 3, 2)


def at(minute: int) -> time:
    return time(minute // 60, minute % 60)


@st.composite
def slots(draw, days=3):
    """A session on one of a few days, between 06:00 and 22:00, at least 15 minutes long."""
    start = draw(st.integers(6 * 60, 22 * 60 - 15))
    end = draw(st.integers(start + 15, 22 * 60))
    return Slot(
        date=DAY + timedelta(days=draw(st.integers(0, days - 1))), starts_at=at(start), ends_at=at(end)
    )


def minutes(slot: Slot) -> set[tuple[date, int]]:
    first = slot.starts_at.hour * 60 + slot.starts_at.minute
    last = slot.ends_at.hour * 60 + slot.ends_at.minute
    return {(slot.date, m) for m in range(first, last)}


@given(slots(), slots())
def test_two_sessions_overlap_exactly_when_they_share_a_minute(first, second):
    assert first.overlaps(second) is bool(minutes(first) & minutes(second))
    assert first.overlaps(second) is second.overlaps(first)


@given(slots())
def test_a_session_overlaps_itself_and_not_the_one_right_after_it(slot):
    after = Slot(date=slot.date, starts_at=slot.ends_at, ends_at=time(23, 59))
    assert slot.overlaps(slot)
    assert not slot.overlaps(after) and not after.overlaps(slot)
    assert not slot.overlaps(
        Slot(date=slot.date + timedelta(days=1), starts_at=slot.starts_at, ends_at=slot.ends_at)
    )


@given(st.lists(slots(), max_size=6))
def test_a_training_has_overlapping_sessions_exactly_when_some_pair_shares_a_minute(plan):
    expected = any(minutes(a) & minutes(b) for i, a in enumerate(plan) for b in plan[i + 1 :])
    pair = overlapping_slots(plan)
    assert (pair is not None) is expected
    if pair is not None:
        assert pair[0].overlaps(pair[1])
        with pytest.raises(ValidationError) as error:
            require_no_overlap(plan, on="sessions")
        assert "sessions" in error.value.fields
    else:
        require_no_overlap(plan, on="sessions")


@given(slots(), st.integers(-3, 3), st.integers(0, 4))
def test_a_session_lies_inside_the_training_exactly_between_its_first_and_last_day(slot, offset, length):
    start = DAY + timedelta(days=offset)
    end = start + timedelta(days=length)
    if start <= slot.date <= end:
        require_inside(slot, start, end, on="date")
    else:
        with pytest.raises(ValidationError) as error:
            require_inside(slot, start, end, on="date")
        assert "date" in error.value.fields


@given(st.integers(0, 23 * 60 + 58), st.integers(0, 23 * 60 + 58))
def test_a_session_must_end_after_it_starts(start, end):
    values = {"date": DAY, "starts_at": at(start), "ends_at": at(end)}
    if end > start:
        slot = slot_from(values)
        assert (slot.starts_at, slot.ends_at) == (at(start), at(end))
    else:
        with pytest.raises(ValidationError) as error:
            slot_from(values)
        assert "ends_at" in error.value.fields


@given(st.lists(st.integers(1, 5), max_size=8), st.text(alphabet=" \tЗала№1", max_size=20))
def test_a_slot_keeps_each_module_once_in_order_and_tidies_its_venue(module_ids, venue):
    values = {
        "date": DAY,
        "starts_at": time(9),
        "ends_at": time(10),
        "module_ids": module_ids,
        "venue": venue,
    }
    if "\t" in venue:  # a control character in a name is refused, not tidied away
        with pytest.raises(ValidationError) as error:
            slot_from(values)
        assert "venue" in error.value.fields
        return
    slot = slot_from(values)
    assert slot.module_ids == list(dict.fromkeys(module_ids))
    assert slot.venue == " ".join(venue.split())
    assert slot_from(slot) == slot


@given(st.text(max_size=30))
def test_venues_compare_without_case_or_extra_spaces(venue):
    tidy = normalized_venue(venue)
    assert normalized_venue(tidy) == tidy
    assert normalized_venue("  " + venue.upper() + "\t") == normalized_venue(venue.upper())
    assert "  " not in tidy and tidy == tidy.strip()


@pytest.fixture
def booked(db):
    """Another training's session 10:00–13:00 on DAY, its trainer and its venue."""
    trainer = factories.UserFactory(roles=["trainer"])
    other = factories.CohortFactory(
        lead_trainer=trainer, start_date=DAY, venue="Зала № 1", accredited=False, status="scheduled"
    )
    session = factories.TrainingSessionFactory(cohort=other, date=DAY, starts_at=time(10), ends_at=time(13))
    return trainer, session


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(slot=slots(days=2), same_trainer=st.booleans(), venue=st.sampled_from(["", "зала  № 1", "Інша зала"]))
def test_a_booking_conflicts_exactly_when_it_overlaps_and_shares_the_trainer_or_the_venue(
    booked, slot, same_trainer, venue
):
    trainer, session = booked
    someone_else = 10**9  # an id nobody has: trains nowhere
    clashes = find_conflicts([slot], trainer_ids=[trainer.id if same_trainer else someone_else], venue=venue)
    overlaps = slot.overlaps(session)
    expected = set()
    if overlaps and same_trainer:
        expected.add("trainer")
    if overlaps and normalized_venue(venue) == normalized_venue(session.cohort.venue):
        expected.add("venue")
    assert {clash.kind for clash in clashes} == expected
    assert all(clash.other.id == session.id for clash in clashes)
    # The training itself is never in conflict with its own sessions.
    assert find_conflicts([slot], trainer_ids=[trainer.id], venue=venue, cohort_id=session.cohort_id) == []


def test_a_cancelled_training_books_nobody(db, booked):
    trainer, session = booked
    session.cohort.status = "cancelled"
    db.session.flush()
    slot = Slot(date=DAY, starts_at=time(9), ends_at=time(11))
    assert find_conflicts([slot], trainer_ids=[trainer.id], venue="Зала № 1") == []


def test_a_planned_slot_is_read_from_a_session_with_its_modules_venue_and_id(db):
    cohort = factories.CohortFactory(start_date=DAY)
    module = cohort.course.modules[0]
    session = factories.TrainingSessionFactory(
        cohort=cohort, date=DAY, starts_at=time(9), ends_at=time(12), venue="Актова зала"
    )
    session.modules.append(module)
    db.session.flush()
    assert Slot.of(session) == Slot(
        date=DAY,
        starts_at=time(9),
        ends_at=time(12),
        module_ids=[module.id],
        venue="Актова зала",
        session_id=session.id,
    )


def test_a_sessions_own_venue_is_booked_instead_of_the_trainings(db, booked):
    _trainer, session = booked
    session.venue = "Мала зала"
    db.session.flush()
    slot = Slot(date=DAY, starts_at=time(11), ends_at=time(12))
    assert [c.kind for c in find_conflicts([slot], trainer_ids=[], venue="мала  ЗАЛА")] == ["venue"]
    assert find_conflicts([slot], trainer_ids=[], venue="Зала № 1") == []
    own_venue = Slot(date=DAY, starts_at=time(11), ends_at=time(12), venue="Мала зала")
    assert [c.kind for c in find_conflicts([own_venue], trainer_ids=[], venue="Інша")] == ["venue"]


def test_a_venue_of_255_characters_is_accepted_and_256_refused():
    base = {"date": DAY, "starts_at": time(9), "ends_at": time(10)}
    assert len(slot_from(base | {"venue": "з" * 255}).venue) == 255
    with pytest.raises(ValidationError) as error:
        slot_from(base | {"venue": "з" * 256})
    assert "venue" in error.value.fields


def test_a_slot_made_from_values_keeps_the_session_it_stands_for():
    values = {"date": DAY, "starts_at": time(9), "ends_at": time(10), "session_id": 41}
    assert slot_from(values).session_id == 41
    assert slot_from({k: v for k, v in values.items() if k != "session_id"}).session_id is None


def test_clashes_come_in_the_order_of_the_other_sessions_dates_and_times(db):
    trainer = factories.UserFactory(roles=["trainer"])
    first = factories.CohortFactory(lead_trainer=trainer, start_date=DAY, accredited=False)
    second = factories.CohortFactory(lead_trainer=trainer, start_date=DAY, accredited=False)
    late_day_early = factories.TrainingSessionFactory(
        cohort=first, date=DAY + timedelta(days=1), starts_at=time(9), ends_at=time(10)
    )
    first_day_late = factories.TrainingSessionFactory(
        cohort=first, date=DAY, starts_at=time(14), ends_at=time(15)
    )
    first_day_early = factories.TrainingSessionFactory(
        cohort=second, date=DAY, starts_at=time(9), ends_at=time(10)
    )
    same_time_later_id = factories.TrainingSessionFactory(
        cohort=second, date=DAY, starts_at=time(14), ends_at=time(15)
    )
    whole_days = [Slot(date=DAY + timedelta(days=d), starts_at=time(8), ends_at=time(18)) for d in (1, 0)]
    clashes = find_conflicts(whole_days, trainer_ids=[trainer.id])
    assert [c.slot for c in clashes] == [whole_days[0]] + [whole_days[1]] * 3
    assert [c.other.id for c in clashes] == [
        late_day_early.id,
        first_day_early.id,
        first_day_late.id,
        same_time_later_id.id,
    ]


def test_finding_conflicts_takes_the_same_queries_for_one_or_many_bookings(db):
    from tests.queries import count_queries

    def queries_for(bookings: int) -> int:
        trainer = factories.UserFactory(roles=["trainer"])
        for hour in range(bookings):
            factories.TrainingSessionFactory(
                cohort=factories.CohortFactory(
                    lead_trainer=trainer, start_date=DAY, accredited=False, venue=f"Зала для {bookings}"
                ),
                date=DAY,
                starts_at=time(8 + hour % 12),
                ends_at=time(9 + hour % 12),
            )
        db.session.flush()
        db.session.expire_all()
        slot = Slot(date=DAY, starts_at=time(7), ends_at=time(22))
        with count_queries() as statements:
            clashes = find_conflicts([slot], trainer_ids=[trainer.id], venue=f"Зала для {bookings}")
            assert all(c.message for c in clashes)
        assert len(clashes) == 2 * bookings  # the trainer and the (shared) venue
        return len(statements)

    assert queries_for(1) == queries_for(6)


def test_a_conflict_names_the_booking_on_the_field_it_belongs_to(booked):
    trainer, session = booked
    slot = Slot(date=DAY, starts_at=time(12), ends_at=time(14))
    with pytest.raises(Conflict) as on_session:
        require_free([slot], [trainer.id], "Зала № 1", None, lead_id=None)
    fields = on_session.value.fields
    assert set(fields) == {"starts_at", "venue"}
    assert all(session.cohort.course.code in str(m) for ms in fields.values() for m in ms)
    with pytest.raises(Conflict) as on_cohort:
        require_free([slot], [trainer.id], "", None, lead_id=trainer.id)
    assert list(on_cohort.value.fields) == ["lead_trainer_id"]
    with pytest.raises(Conflict) as as_co_trainer:
        require_free([slot], [trainer.id], "", None, lead_id=trainer.id + 1)
    assert list(as_co_trainer.value.fields) == ["co_trainer_ids"]
    require_free([slot], [trainer.id], "Зала № 1", session.cohort_id, lead_id=None)
