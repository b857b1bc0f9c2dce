"""Question bank (versioned questions and their choices), a cohort's pre/post tests, attempts,
responses, and the personal passes that open a participant's own tests without a password."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.db import TimestampMixin, in_values, utcnow
from lms.core.i18n import localized
from lms.extensions import db

QUESTION_KINDS = ("single", "multiple", "true_false")
QUESTION_FORMS = ("A", "B", "both")
TEST_FORMS = ("A", "B")
PHASES = ("pre", "post")
TEST_STATUSES = ("not_open", "open", "closed")
ATTEMPT_SOURCES = ("online", "paper", "score_only")
# Parallel forms: the post-test is not the pre-test remembered.
DEFAULT_FORM = {"pre": "A", "post": "B"}


class Question(TimestampMixin, db.Model):
    """A question of a course's bank. What it asks lives in its versions: editing a question
    somebody has answered adds a version, so old answers keep scoring against what they saw."""

    __tablename__ = "questions"
    __table_args__ = (
        CheckConstraint(in_values("form", QUESTION_FORMS), name="form"),
        CheckConstraint("version >= 1", name="version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[int | None] = mapped_column(ForeignKey("course_modules.id", ondelete="SET NULL"))
    topic: Mapped[str] = mapped_column(String(120), default="")
    form: Mapped[str] = mapped_column(String(4), default="both")
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    # Number of the current version.
    version: Mapped[int] = mapped_column(default=1)

    course = relationship("Course")
    module = relationship("CourseModule")
    versions: Mapped[list["QuestionVersion"]] = relationship(
        back_populates="question", order_by="QuestionVersion.number", cascade="all, delete-orphan"
    )

    @property
    def current(self) -> "QuestionVersion":
        return next(v for v in self.versions if v.number == self.version)

    def on_form(self, form: str) -> bool:
        return self.form in (form, "both")


class QuestionVersion(db.Model):
    __tablename__ = "question_versions"
    __table_args__ = (
        UniqueConstraint("question_id", "number"),
        CheckConstraint(in_values("kind", QUESTION_KINDS), name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    kind: Mapped[str] = mapped_column(String(12))
    text: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    question: Mapped[Question] = relationship(back_populates="versions")
    choices: Mapped[list["Choice"]] = relationship(
        back_populates="version", order_by="Choice.position", cascade="all, delete-orphan"
    )

    @property
    def display_text(self) -> str:
        return localized(self.text, self.text_en)

    @property
    def correct_ids(self) -> set[int]:
        return {c.id for c in self.choices if c.correct}


class Choice(db.Model):
    __tablename__ = "question_choices"
    __table_args__ = (UniqueConstraint("version_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("question_versions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    text: Mapped[str] = mapped_column(String(500))
    text_en: Mapped[str] = mapped_column(String(500), default="")
    correct: Mapped[bool] = mapped_column(default=False)

    version: Mapped[QuestionVersion] = relationship(back_populates="choices")

    @property
    def display_text(self) -> str:
        return localized(self.text, self.text_en)


class CohortTest(TimestampMixin, db.Model):
    """A cohort's pre-test or post-test: which form, whether it is open, until when."""

    __tablename__ = "cohort_tests"
    __table_args__ = (
        UniqueConstraint("cohort_id", "phase"),
        CheckConstraint(in_values("phase", PHASES), name="phase"),
        CheckConstraint(in_values("status", TEST_STATUSES), name="status"),
        CheckConstraint(in_values("form", TEST_FORMS), name="form"),
        CheckConstraint("time_limit_minutes IS NULL OR time_limit_minutes BETWEEN 1 AND 600", name="limit"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    phase: Mapped[str] = mapped_column(String(4))
    form: Mapped[str] = mapped_column(String(1))
    status: Mapped[str] = mapped_column(String(8), default="not_open")
    opened_at: Mapped[datetime | None]
    closes_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    time_limit_minutes: Mapped[int | None]
    # The short code in the room's link and QR code.
    room_code: Mapped[str] = mapped_column(String(16), unique=True)
    results_released: Mapped[bool] = mapped_column(default=False)

    cohort = relationship("Cohort")
    attempts: Mapped[list["Attempt"]] = relationship(back_populates="test", cascade="all, delete-orphan")


class Attempt(db.Model):
    """One participant's answers to one phase's test: online, from paper, or a score only."""

    __tablename__ = "attempts"
    __table_args__ = (
        UniqueConstraint("test_id", "enrollment_id"),
        CheckConstraint(in_values("source", ATTEMPT_SOURCES), name="source"),
        CheckConstraint(in_values("form", TEST_FORMS), name="form"),
        CheckConstraint("score_percent IS NULL OR score_percent BETWEEN 0 AND 100", name="score"),
        # Each enrolment's score in a test, from the index alone (the reports' pre/post means).
        Index(
            "ix_attempts_scored_test",
            "test_id",
            "enrollment_id",
            postgresql_include=["score_percent"],
            sqlite_where=text("submitted_at IS NOT NULL AND score_percent IS NOT NULL"),
            postgresql_where=text("submitted_at IS NOT NULL AND score_percent IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    test_id: Mapped[int] = mapped_column(ForeignKey("cohort_tests.id", ondelete="CASCADE"), index=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(10), default="online")
    form: Mapped[str] = mapped_column(String(1))
    # Seeds the order of items and choices, so that reopening shows the same order.
    shuffle_seed: Mapped[int] = mapped_column(default=0)
    # The question ids she was given, in the order shown: the scoring denominator, fixed at start.
    item_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    deadline: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    score_percent: Mapped[float | None]
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    test: Mapped[CohortTest] = relationship(back_populates="attempts")
    enrollment = relationship("Enrollment")
    responses: Mapped[list["Response"]] = relationship(back_populates="attempt", cascade="all, delete-orphan")

    @property
    def phase(self) -> str:
        return self.test.phase


class Response(db.Model):
    """The choices given to one question in one attempt, against the version that was shown."""

    __tablename__ = "responses"
    __table_args__ = (
        # Also the index of an attempt's responses (its first column).
        UniqueConstraint("attempt_id", "question_id"),
        # Room on each page for the row's later versions (a changed answer, the credit at
        # submission): they stay on the page without new index entries (migration 0016).
        {"postgresql_with": {"fillfactor": 80}},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="RESTRICT"), index=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("question_versions.id", ondelete="RESTRICT"), index=True
    )
    choice_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)
    credit: Mapped[float | None]

    attempt: Mapped[Attempt] = relationship(back_populates="responses")
    version: Mapped[QuestionVersion] = relationship()


class AccessPass(db.Model):
    """A participant's personal access to her own tests: an unguessable link for the QR slip,
    and a short code to confirm her name on the room's link."""

    __tablename__ = "access_passes"

    enrollment_id: Mapped[int] = mapped_column(
        ForeignKey("enrollments.id", ondelete="CASCADE"), primary_key=True
    )
    token: Mapped[str] = mapped_column(String(64), unique=True)
    code: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    enrollment = relationship("Enrollment")


class CodeFailure(db.Model):
    """A wrong personal code, kept briefly to throttle guessing by person and by address."""

    __tablename__ = "test_code_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id", ondelete="CASCADE"), index=True)
    ip: Mapped[str] = mapped_column(String(64), default="", index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
