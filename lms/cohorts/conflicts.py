"""Sessions as planned (``Slot``) and what they must not run into: the training's own dates,
its other sessions, and double bookings of a trainer or a venue by another training.

``find_conflicts`` compares planned slots (plain values, checked before anything is written)
with the sessions of every other cohort that is not cancelled. ``lock_bookings`` makes two
planners who book the same trainer or venue at the same moment take turns on PostgreSQL.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import date, time

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, text
from sqlalchemy.orm import selectinload

from lms.accounts.models import User
from lms.cohorts.models import Cohort, TrainingSession
from lms.core.errors import Conflict, ValidationError
from lms.core.text import refuse_control_characters
from lms.extensions import db


@dataclass
class Slot:
    """A session as planned: when, where (empty venue: the cohort's) and which modules."""

    date: date
    starts_at: time
    ends_at: time
    module_ids: list[int] = field(default_factory=list)
    venue: str = ""
    session_id: int | None = None

    @classmethod
    def of(cls, session: TrainingSession) -> "Slot":
        return cls(
            date=session.date,
            starts_at=session.starts_at,
            ends_at=session.ends_at,
            module_ids=[module.id for module in session.modules],
            venue=session.venue,
            session_id=session.id,
        )

    def overlaps(self, other) -> bool:
        """Same day and the times intersect; back-to-back sessions (09–13, 13–17) do not."""
        return self.date == other.date and self.starts_at < other.ends_at and other.starts_at < self.ends_at


def slot_from(values) -> Slot:
    """A Slot from a dict of SESSION_FIELDS (or a Slot), with its own values checked."""
    if isinstance(values, Slot):
        values = vars(values)
    day, starts_at, ends_at = values.get("date"), values.get("starts_at"), values.get("ends_at")
    if not isinstance(day, date):
        raise ValidationError.on("date", _l("Enter the date of the session."))
    if not isinstance(starts_at, time):
        raise ValidationError.on("starts_at", _l("Enter when the session starts."))
    if not isinstance(ends_at, time):
        raise ValidationError.on("ends_at", _l("Enter when the session ends."))
    if ends_at <= starts_at:
        raise ValidationError.on("ends_at", _l("The session must end after it starts."))
    venue = " ".join(refuse_control_characters(values.get("venue") or "", "venue").split())
    if len(venue) > 255:
        raise ValidationError.on("venue", _l("At most %(n)d characters.", n=255))
    return Slot(
        date=day,
        starts_at=starts_at,
        ends_at=ends_at,
        module_ids=list(dict.fromkeys(values.get("module_ids") or [])),
        venue=venue,
        session_id=values.get("session_id"),
    )


@dataclass
class Clash:
    """One planned slot that collides with another cohort's session."""

    kind: str  # "trainer" or "venue"
    slot: Slot
    other: TrainingSession
    trainer: User | None = None

    @property
    def message(self):
        other = self.other
        details = {
            "course": other.cohort.course.code,
            "date": other.date.strftime("%d.%m.%Y"),
            "start": other.starts_at.strftime("%H:%M"),
            "end": other.ends_at.strftime("%H:%M"),
            "id": other.cohort_id,
            "district": other.cohort.district.display_name,
        }
        if self.kind == "trainer":
            return _l(
                "%(trainer)s is already training «%(course)s» on %(date)s, %(start)s–%(end)s "
                "(cohort #%(id)s, %(district)s).",
                trainer=self.trainer.full_name,
                **details,
            )
        return _l(
            "%(venue)s is already booked for «%(course)s» on %(date)s, %(start)s–%(end)s "
            "(cohort #%(id)s, %(district)s).",
            venue=other.effective_venue,
            **details,
        )


def normalized_venue(venue: str | None) -> str:
    """Venue text as compared for bookings: case-folded, runs of whitespace made one space."""
    return " ".join((venue or "").split()).casefold()


def find_conflicts(
    slots: list[Slot], *, trainer_ids, venue: str = "", cohort_id: int | None = None
) -> list[Clash]:
    """Sessions of other non-cancelled cohorts overlapping ``slots`` that share a trainer (lead or
    co-trainer) or the venue. ``venue`` is the planned cohort's; a slot's own venue overrides it."""
    dates = {slot.date for slot in slots}
    if not dates:
        return []
    query = (
        select(TrainingSession)
        .join(TrainingSession.cohort)
        .where(TrainingSession.date.in_(dates), Cohort.status != "cancelled")
        .options(
            selectinload(TrainingSession.cohort).selectinload(Cohort.co_trainers),
            selectinload(TrainingSession.cohort).selectinload(Cohort.course),
            selectinload(TrainingSession.cohort).selectinload(Cohort.district),
        )
        .order_by(TrainingSession.date, TrainingSession.starts_at, TrainingSession.id)
    )
    if cohort_id is not None:
        query = query.where(TrainingSession.cohort_id != cohort_id)
    with db.session.no_autoflush:
        others = db.session.scalars(query).all()
        trainers = {
            user.id: user for user in db.session.scalars(select(User).where(User.id.in_(trainer_ids)))
        }
    clashes = []
    for slot in slots:
        place = normalized_venue(slot.venue or venue)
        for other in others:
            if not slot.overlaps(other):
                continue
            for trainer_id in sorted(set(trainer_ids) & other.cohort.trainer_ids):
                clashes.append(Clash("trainer", slot, other, trainers.get(trainer_id)))
            if place and place == normalized_venue(other.effective_venue):
                clashes.append(Clash("venue", slot, other))
    return clashes


def overlapping_slots(slots: list[Slot]) -> tuple[Slot, Slot] | None:
    """Two slots of one cohort that overlap each other, if any."""
    ordered = sorted(slots, key=lambda slot: (slot.date, slot.starts_at))
    for first, second in zip(ordered, ordered[1:], strict=False):
        if first.overlaps(second):
            return first, second
    return None


def lock_bookings(trainer_ids, venues) -> None:
    """Make concurrent planners of the same trainer or venue take turns until commit.

    PostgreSQL: lock the trainers' rows (FOR NO KEY UPDATE, so other writes that merely refer to
    these people are not held up) and take a transaction advisory lock per normalised venue, both
    in a fixed order so two planners cannot deadlock. The second planner waits, then its conflict
    query sees the first one's committed sessions. SQLite lets one writer in at a time anyway.
    """
    if trainer_ids:
        db.session.execute(
            select(User.id)
            .where(User.id.in_(sorted(trainer_ids)))
            .order_by(User.id)
            .with_for_update(key_share=True)
        ).all()
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for key in sorted({_venue_lock_key(venue) for venue in venues if normalized_venue(venue)}):
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def _venue_lock_key(venue: str) -> int:
    digest = hashlib.blake2b(normalized_venue(venue).encode(), digest_size=8, person=b"lms-venue").digest()
    return int.from_bytes(digest, "big", signed=True)


def require_inside(slot: Slot, start: date, end: date, *, on: str) -> None:
    """The slot falls between the training's first and last day (else an error on field ``on``)."""
    if not start <= slot.date <= end:
        raise ValidationError.on(
            on,
            _l(
                "The session on %(day)s is outside the training's dates (%(start)s–%(end)s).",
                day=slot.date.strftime("%d.%m.%Y"),
                start=start.strftime("%d.%m.%Y"),
                end=end.strftime("%d.%m.%Y"),
            ),
        )


def require_no_overlap(slots: list[Slot], *, on: str) -> None:
    """No two of one training's slots overlap (else an error on field ``on``)."""
    pair = overlapping_slots(slots)
    if pair is not None:
        raise ValidationError.on(
            on,
            _l("Two sessions of this training overlap on %(day)s.", day=pair[0].date.strftime("%d.%m.%Y")),
        )


def require_free(slots: list[Slot], trainer_ids, venue: str, cohort_id, *, lead_id: int | None) -> None:
    """Raise Conflict naming the other booking when a trainer or the venue is taken.

    ``lead_id`` set: the error belongs to the cohort form's trainer fields; otherwise to a
    session's time and venue."""
    lock_bookings(trainer_ids, {slot.venue or venue for slot in slots})
    clashes = find_conflicts(slots, trainer_ids=trainer_ids, venue=venue, cohort_id=cohort_id)
    if not clashes:
        return
    fields: dict[str, list] = {}
    for clash in clashes:
        if clash.kind == "venue":
            name = "venue"
        elif lead_id is None:
            name = "starts_at"
        else:
            name = "lead_trainer_id" if clash.trainer.id == lead_id else "co_trainer_ids"
        fields.setdefault(name, []).append(clash.message)
    raise Conflict(clashes[0].message, fields=fields)
