"""Certificates as printed (a snapshot) and the per-year serial counters."""

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.db import in_values, utcnow
from lms.extensions import db

CERTIFICATE_KINDS = ("participation", "trainer")
CERTIFICATE_STATUSES = ("valid", "revoked", "superseded")


class Certificate(db.Model):
    """One certificate of an enrolment. What is printed is stored here, never re-read from the
    profile, so the PDF renders byte-identical from these fields alone."""

    __tablename__ = "certificates"
    __table_args__ = (
        CheckConstraint(in_values("kind", CERTIFICATE_KINDS), name="kind"),
        CheckConstraint(in_values("status", CERTIFICATE_STATUSES), name="status"),
        CheckConstraint("status <> 'revoked' OR revoked_reason IS NOT NULL", name="revoked_has_reason"),
        # One live certificate per enrolment and kind; a reissue supersedes the old one first.
        Index(
            "uq_certificates_enrollment_kind_live",
            "enrollment_id",
            "kind",
            unique=True,
            sqlite_where=text("status <> 'superseded'"),
            postgresql_where=text("status <> 'superseded'"),
        ),
        UniqueConstraint("prefix", "year", "number"),
        # Who holds a valid certificate of which cohorts: the cascade's and the reports' "trained"
        # counts read this index alone (an index-only scan) instead of the wide snapshot rows.
        Index(
            "ix_certificates_valid_cohort_user",
            "cohort_id",
            "user_id",
            postgresql_include=["kind"],  # the trainers trained: a trainer certificate
            sqlite_where=text("status = 'valid'"),
            postgresql_where=text("status = 'valid'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id", ondelete="RESTRICT"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(14))
    prefix: Mapped[str] = mapped_column(String(12))
    year: Mapped[int]
    number: Mapped[int]
    serial: Mapped[str] = mapped_column(String(40), unique=True)
    verification_code: Mapped[str] = mapped_column(String(32), unique=True)
    status: Mapped[str] = mapped_column(String(12), default="valid", index=True)
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    revoked_at: Mapped[datetime | None]
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id", ondelete="SET NULL"))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    emailed_at: Mapped[datetime | None]
    # The snapshot: what the document says.
    holder_name: Mapped[str] = mapped_column(String(200))
    holder_name_latin: Mapped[str] = mapped_column(String(200))
    course_code: Mapped[str] = mapped_column(String(20))
    course_title: Mapped[str] = mapped_column(String(255))
    course_title_en: Mapped[str] = mapped_column(String(255))
    start_date: Mapped[date]
    issued_on: Mapped[date]  # the cohort's last day
    hours: Mapped[float]
    modules: Mapped[list] = mapped_column(JSON, default=list)  # [{"title", "title_en", "hours"}]
    lead_trainer_name: Mapped[str] = mapped_column(String(200))
    lead_trainer_name_latin: Mapped[str] = mapped_column(String(200), default="")
    organisation: Mapped[str] = mapped_column(String(255))
    organisation_en: Mapped[str] = mapped_column(String(255))
    district_name: Mapped[str] = mapped_column(String(255), default="")
    verification_url: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64), default="")

    enrollment = relationship("Enrollment")
    user = relationship("User", foreign_keys=[user_id])
    cohort = relationship("Cohort")
    superseded_by = relationship("Certificate", remote_side=[id])

    def __repr__(self) -> str:
        return f"<Certificate {self.serial} {self.status}>"

    @property
    def ects_credits(self) -> float:
        """ECTS credits of the training: 1 credit = 30 hours (CMU Resolution No. 106 of 2019)."""
        return round(self.hours / 30, 2)


class SerialCounter(db.Model):
    """The last serial number given for a prefix and year; taken with an atomic increment."""

    __tablename__ = "certificate_serials"

    prefix: Mapped[str] = mapped_column(String(12), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(default=0)


class CertificateFlag(db.Model):
    """A holder who no longer meets the rule after a late change: flagged for the coordinator,
    never revoked automatically."""

    __tablename__ = "certificate_flags"
    __table_args__ = (UniqueConstraint("certificate_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id", ondelete="CASCADE"))
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    flagged_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]

    certificate = relationship("Certificate")
