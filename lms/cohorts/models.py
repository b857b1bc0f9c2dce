"""Cohorts (one delivery of a course), their sessions, enrolments and attendance."""

from datetime import date, datetime, time

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    func,
    select,
    text,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from lms.accounts.models import User
from lms.core.collation import by_name
from lms.core.db import TimestampMixin, in_values, utcnow
from lms.extensions import db

COHORT_STATUSES = ("draft", "scheduled", "in_progress", "closed", "cancelled")
ENROLLMENT_STATUSES = ("enrolled", "waitlisted", "withdrawn")
ATTENDANCE_STATUSES = ("present", "late", "absent")
ATTENDANCE_SOURCES = ("trainer", "self_checkin", "paper", "api")

cohort_trainers = Table(
    "cohort_trainers",
    db.metadata,
    Column("cohort_id", ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)

session_modules = Table(
    "session_modules",
    db.metadata,
    Column("session_id", ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True),
    Column("module_id", ForeignKey("course_modules.id", ondelete="CASCADE"), primary_key=True),
)


class Cohort(TimestampMixin, db.Model):
    """One delivery of a course ("a training"): who leads it, where, when, for how many."""

    __tablename__ = "cohorts"
    __table_args__ = (
        CheckConstraint("end_date >= start_date", name="dates"),
        CheckConstraint("capacity > 0", name="capacity"),
        CheckConstraint(in_values("status", COHORT_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="RESTRICT"), index=True)
    lead_trainer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id", ondelete="RESTRICT"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id", ondelete="SET NULL"))
    venue: Mapped[str] = mapped_column(String(255))
    start_date: Mapped[date] = mapped_column(index=True)
    end_date: Mapped[date]
    capacity: Mapped[int] = mapped_column(default=25)
    status: Mapped[str] = mapped_column(String(12), default="draft", index=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    cancelled_reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Private token for the iCal feed of this cohort's sessions is per user (see accounts); this
    # one rotates the self check-in QR code.
    checkin_secret: Mapped[str] = mapped_column(String(64), default="")

    course = relationship("Course")
    lead_trainer = relationship("User", foreign_keys=[lead_trainer_id])
    co_trainers = relationship(
        "User", secondary=cohort_trainers, order_by=lambda: by_name(User.sort_name, language="uk")
    )
    district = relationship("District")
    community = relationship("Community")
    created_by = relationship("User", foreign_keys=[created_by_id])
    sessions: Mapped[list["TrainingSession"]] = relationship(
        back_populates="cohort",
        order_by="(TrainingSession.date, TrainingSession.starts_at)",
        cascade="all, delete-orphan",
    )
    enrollments: Mapped[list["Enrollment"]] = relationship(
        back_populates="cohort", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Cohort {self.id} {self.status}>"

    @property
    def region_id(self) -> int:
        return self.district.region_id

    @property
    def trainer_ids(self) -> set[int]:
        return {self.lead_trainer_id} | {trainer.id for trainer in self.co_trainers}


class TrainingSession(db.Model):
    """One day or half-day of a cohort. (Named so as not to be confused with a database session.)"""

    __tablename__ = "sessions"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="times"),
        Index("ix_sessions_date_times", "date", "starts_at", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    date: Mapped[date]
    starts_at: Mapped[time]
    ends_at: Mapped[time]
    venue: Mapped[str] = mapped_column(String(255), default="")  # empty: the cohort's venue
    # The trainer recorded that no register was kept (audited); closing does not wait for marks.
    attendance_not_taken: Mapped[bool] = mapped_column(default=False, server_default=false())

    cohort: Mapped[Cohort] = relationship(back_populates="sessions")
    modules = relationship("CourseModule", secondary=session_modules, order_by="CourseModule.position")
    # The database deletes the marks with their session (ON DELETE CASCADE): no need to load them.
    attendance: Mapped[list["Attendance"]] = relationship(
        back_populates="session", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def effective_venue(self) -> str:
        return self.venue or self.cohort.venue


class Enrollment(TimestampMixin, db.Model):
    """A person in a cohort: enrolled, on the waitlist, or withdrawn."""

    __tablename__ = "enrollments"
    __table_args__ = (
        UniqueConstraint("cohort_id", "user_id"),
        CheckConstraint(in_values("status", ENROLLMENT_STATUSES), name="status"),
        # Who is enrolled in which cohorts, from the index alone (the reports' participants).
        Index(
            "ix_enrollments_enrolled_cohort",
            "cohort_id",
            "id",
            postgresql_include=["user_id"],
            sqlite_where=text("status = 'enrolled'"),
            postgresql_where=text("status = 'enrolled'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="enrolled")
    # Order on the waitlist: the earliest moves up first.
    waitlisted_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]
    enrolled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    cohort: Mapped[Cohort] = relationship(back_populates="enrollments")
    user = relationship("User", foreign_keys=[user_id])
    attendance: Mapped[list["Attendance"]] = relationship(
        back_populates="enrollment", cascade="all, delete-orphan"
    )


class Attendance(db.Model):
    __tablename__ = "attendance"
    __table_args__ = (
        UniqueConstraint("session_id", "enrollment_id"),
        CheckConstraint(in_values("status", ATTENDANCE_STATUSES), name="status"),
        CheckConstraint(in_values("source", ATTENDANCE_SOURCES), name="source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(8))
    note: Mapped[str] = mapped_column(String(255), default="")
    source: Mapped[str] = mapped_column(String(14), default="trainer")
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    marked_at: Mapped[datetime] = mapped_column(default=utcnow)

    session: Mapped[TrainingSession] = relationship(back_populates="attendance")
    enrollment: Mapped[Enrollment] = relationship(back_populates="attendance")


# Counts a list or an API shows with each cohort, computed by the database in the same statement
# (``undefer`` them in the query) instead of loading every enrolment and session.
Cohort.enrolled_count = column_property(
    select(func.count(Enrollment.id))
    .where(Enrollment.cohort_id == Cohort.id, Enrollment.status == "enrolled")
    .correlate_except(Enrollment)
    .scalar_subquery(),
    deferred=True,
)
Cohort.session_count = column_property(
    select(func.count(TrainingSession.id))
    .where(TrainingSession.cohort_id == Cohort.id)
    .correlate_except(TrainingSession)
    .scalar_subquery(),
    deferred=True,
)
