"""Each trainer's place in the cascade, the step-down events trainers log by headcount, and the
reminders (nudges) sent to dormant trainers and their coordinators."""

import datetime as dt
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.db import TimestampMixin, in_values, utcnow
from lms.extensions import db

AUDIENCES = (
    "pupils",
    "parents",
    "teachers",
    "civil_servants",
    "social_workers",
    "police",
    "community",
    "other",
)


class TrainerLineage(db.Model):
    """A trainer's edge in the cascade forest: the trainer who certified her (none for a master
    trainer), the master trainer at the root, and her generation (0 for master trainers).

    Stored rather than recomputed, so that every figure for any subtree or region is one query;
    ``lms.cascade.lineage`` keeps it in step with accreditations."""

    __tablename__ = "trainer_lineage"
    __table_args__ = (
        CheckConstraint("generation >= 0", name="generation"),
        CheckConstraint("parent_id IS NULL OR parent_id <> user_id", name="not_own_parent"),
        Index("ix_trainer_lineage_root_generation", "root_id", "generation"),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    root_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    generation: Mapped[int]
    accreditation_id: Mapped[int | None] = mapped_column(ForeignKey("accreditations.id", ondelete="SET NULL"))
    source_cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohorts.id", ondelete="SET NULL"))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id", ondelete="SET NULL"), index=True)
    accredited_on: Mapped[dt.date]
    # False once every accreditation she holds is revoked (a revoked trainer certificate).
    active: Mapped[bool] = mapped_column(default=True)

    user = relationship("User", foreign_keys=[user_id])
    parent = relationship("User", foreign_keys=[parent_id])


class StepDownEvent(TimestampMixin, db.Model):
    """A delivery counted by headcount, not by name: a trained teacher's lesson for 28 pupils,
    an information session in a village."""

    __tablename__ = "step_down_events"
    __table_args__ = (
        CheckConstraint("headcount > 0", name="headcount"),
        CheckConstraint("headcount_female BETWEEN 0 AND headcount", name="female"),
        CheckConstraint("headcount_under_18 BETWEEN 0 AND headcount", name="under_18"),
        CheckConstraint("materials_distributed >= 0", name="materials"),
        CheckConstraint(in_values("audience", AUDIENCES), name="audience"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    trainer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="SET NULL"))
    date: Mapped[dt.date] = mapped_column(index=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id", ondelete="RESTRICT"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id", ondelete="SET NULL"))
    audience: Mapped[str] = mapped_column(String(20))
    headcount: Mapped[int]
    headcount_female: Mapped[int] = mapped_column(default=0)
    headcount_under_18: Mapped[int] = mapped_column(default=0)
    materials_distributed: Mapped[int] = mapped_column(default=0)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    trainer = relationship("User", foreign_keys=[trainer_id])
    course = relationship("Course")
    district = relationship("District")
    community = relationship("Community")

    @property
    def region_id(self) -> int:
        return self.district.region_id


# Who gets which reminder, how often (``lms.cascade.nudges``).
NUDGE_KINDS = (
    "trainer_dormant",  # weekly, to a dormant trainer: how to plan a training or log an event
    "coordinator_dormant",  # weekly, to a coordinator: her regions' dormant trainers
    "coordinator_digest",  # monthly, to a coordinator: her regions' cascade figures
)
NUDGE_STATUSES = ("queued", "sent", "skipped", "failed")


class Nudge(db.Model):
    """One reminder to one person for one period (a week or a month).

    The unique key ``(user_id, kind, period_start)`` is what makes sending idempotent: a re-run,
    a duplicated beat or two workers at once insert the same row, and only the first insert wins.
    """

    __tablename__ = "cascade_nudges"
    __table_args__ = (
        UniqueConstraint("user_id", "kind", "period_start"),  # once per person, kind and period
        CheckConstraint(in_values("kind", NUDGE_KINDS), name="kind"),
        CheckConstraint(in_values("status", NUDGE_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    period_start: Mapped[dt.date]
    status: Mapped[str] = mapped_column(String(10), default="queued")
    # What the reminder was about when it was decided, for the admins' page (counts, ids).
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    sent_at: Mapped[dt.datetime | None]
    error: Mapped[str | None] = mapped_column(Text)

    user = relationship("User")


class CascadeSettings(db.Model):
    """The programme's switches for reminders: one row, changed by admins."""

    __tablename__ = "cascade_settings"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    weekly_nudges: Mapped[bool] = mapped_column(default=True)
    monthly_digest: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
