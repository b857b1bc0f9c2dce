"""The kept figures' tables: the stamps the triggers bump, and what is computed from the rows."""

from sqlalchemy import BigInteger, CheckConstraint, Float, ForeignKey, LargeBinary
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.page_cache import written_with
from lms.extensions import db


class CohortStamp(db.Model):
    """How many times a cohort's report figures changed; written only by triggers. No row: 0."""

    __tablename__ = "report_cohort_stamps"
    __table_args__ = (CheckConstraint("version >= 0", name="version"),)

    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)


class CohortFigures(db.Model):
    """A cohort's figures as of its stamp's ``version``: its enrolled, the holders of a valid
    certificate, of a valid trainer certificate (sets of user ids, ``lms.reports.kept.cohorts.pack``),
    its valid certificates, and the sums and counts its participants' pre/post means need."""

    __tablename__ = "report_cohort_figures"
    __table_args__ = (
        CheckConstraint("version >= 0", name="version"),
        CheckConstraint("certificates >= 0", name="certificates"),
        CheckConstraint("pre_n >= 0 AND post_n >= 0 AND gain_n >= 0", name="counts"),
    )

    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)
    enrolled: Mapped[bytes] = mapped_column(LargeBinary)
    trained: Mapped[bytes] = mapped_column(LargeBinary)
    trainers: Mapped[bytes] = mapped_column(LargeBinary)  # any course: a ToT's is chosen when read
    certificates: Mapped[int]
    pre_sum: Mapped[float] = mapped_column(Float)
    pre_n: Mapped[int]
    post_sum: Mapped[float] = mapped_column(Float)
    post_n: Mapped[int]
    gain_sum: Mapped[float] = mapped_column(Float)
    gain_n: Mapped[int]


class PeopleStamp(db.Model):
    """How many times anyone's institution, position or institution type changed (one row,
    written only by triggers; no row: 0)."""

    __tablename__ = "report_people_stamp"
    __table_args__ = (
        CheckConstraint("id = 1", name="single"),
        CheckConstraint("version >= 0", name="version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger)


class PeopleGroups(db.Model):
    """Everyone grouped by (institution type, trimmed position) as of the people stamp's
    ``version``: one serialized row (see ``lms.reports.kept.people``)."""

    __tablename__ = "report_people_groups"
    __table_args__ = (
        CheckConstraint("id = 1", name="single"),
        CheckConstraint("version >= 0", name="version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger)
    groups: Mapped[bytes] = mapped_column(LargeBinary)


# The triggers of migration 0017: a page that read only the kept figures is rendered again after
# a write to what they are made of (lms.core.page_cache).
for _table in ("enrollments", "certificates", "attempts", "cohort_tests"):
    written_with(_table, CohortStamp.__tablename__)
for _table in ("users", "institutions"):
    written_with(_table, PeopleStamp.__tablename__)
