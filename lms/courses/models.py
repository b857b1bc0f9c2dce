"""Courses, their ordered modules, and trainer accreditation ("may deliver course X")."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.db import TimestampMixin, in_values
from lms.core.i18n import localized
from lms.extensions import db

ACCREDITATION_SOURCES = ("admin", "certificate")

# A ToT course names the courses its graduates become accredited to deliver.
course_accredits = Table(
    "course_accredits",
    db.metadata,
    Column("tot_course_id", ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True),
    Column("course_id", ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True),
)


class Course(TimestampMixin, db.Model):
    __tablename__ = "courses"
    __table_args__ = (
        CheckConstraint("days BETWEEN 1 AND 60", name="days"),
        CheckConstraint("min_attendance_percent BETWEEN 0 AND 100", name="min_attendance"),
        CheckConstraint("pass_mark_percent BETWEEN 0 AND 100", name="pass_mark"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    title: Mapped[str] = mapped_column(String(255))
    title_en: Mapped[str] = mapped_column(String(255), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    audience: Mapped[str] = mapped_column(String(255), default="")
    audience_en: Mapped[str] = mapped_column(String(255), default="")
    days: Mapped[int] = mapped_column(default=1)
    is_tot: Mapped[bool] = mapped_column(default=False)
    min_attendance_percent: Mapped[int] = mapped_column(default=80)
    pass_mark_percent: Mapped[int] = mapped_column(default=70)
    certificate_text: Mapped[str] = mapped_column(Text, default="")
    certificate_text_en: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(default=True)

    modules: Mapped[list["CourseModule"]] = relationship(
        back_populates="course", order_by="CourseModule.position", cascade="all, delete-orphan"
    )
    accredits: Mapped[list["Course"]] = relationship(
        secondary=course_accredits,
        primaryjoin=lambda: Course.id == course_accredits.c.tot_course_id,
        secondaryjoin=lambda: Course.id == course_accredits.c.course_id,
        order_by=lambda: Course.code,
    )

    def __repr__(self) -> str:
        return f"<Course {self.code}>"

    @property
    def display_title(self) -> str:
        return localized(self.title, self.title_en)

    @property
    def display_description(self) -> str:
        return localized(self.description, self.description_en)

    @property
    def display_audience(self) -> str:
        return localized(self.audience, self.audience_en)

    @property
    def display_certificate_text(self) -> str:
        return localized(self.certificate_text, self.certificate_text_en)

    @property
    def total_hours(self) -> float:
        return sum(module.hours for module in self.modules)


class CourseModule(db.Model):
    __tablename__ = "course_modules"
    __table_args__ = (
        UniqueConstraint("course_id", "position"),
        CheckConstraint("hours > 0 AND hours <= 24", name="hours"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(255))
    title_en: Mapped[str] = mapped_column(String(255), default="")
    hours: Mapped[float]

    course: Mapped[Course] = relationship(back_populates="modules")

    @property
    def display_title(self) -> str:
        return localized(self.title, self.title_en)


class Accreditation(TimestampMixin, db.Model):
    """A trainer may deliver a course. Granted by an admin (master trainers, generation 0) or
    by a trainer certificate from a ToT cohort — the cohort is the edge of the cascade."""

    __tablename__ = "accreditations"
    __table_args__ = (
        UniqueConstraint("user_id", "course_id"),
        CheckConstraint(in_values("source", ACCREDITATION_SOURCES), name="source"),
        CheckConstraint("source = 'admin' OR source_cohort_id IS NOT NULL", name="certificate_has_cohort"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(12), default="admin")
    # Set when a trainer certificate granted it (the certificates feature adds the foreign key).
    certificate_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id", ondelete="SET NULL"))
    source_cohort_id: Mapped[int | None] = mapped_column(
        ForeignKey("cohorts.id", ondelete="SET NULL"), index=True
    )
    granted_on: Mapped[date]
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(String(255), default="")
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(String(255))

    user = relationship("User", foreign_keys=[user_id])
    course: Mapped[Course] = relationship()
    granted_by = relationship("User", foreign_keys=[granted_by_id])

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
