"""Each trainer's place in the cascade, and the step-down events trainers log by headcount."""

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.db import TimestampMixin, in_values
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
