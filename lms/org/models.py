"""Geography (region → district → community) and the institutions people work for."""

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.collation import by_name
from lms.core.db import TimestampMixin, in_values
from lms.core.i18n import Localized
from lms.extensions import db
from lms.org.translit import transliterate

REGION_KINDS = ("oblast", "ar", "city")
COMMUNITY_KINDS = ("urban", "rural")
INSTITUTION_TYPES = (
    "family_youth_sports",
    "social_services_centre",
    "children_service",
    "social_protection",
    "education_department",
    "school",
    "boarding_school",
    "health",
    "police",
    "employment_centre",
    "local_administration",
    "ngo",
    "other",
)


class Region(Localized, TimestampMixin, db.Model):
    __tablename__ = "regions"
    __table_args__ = (CheckConstraint(in_values("kind", REGION_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    name_en: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(10), default="oblast")

    districts: Mapped[list["District"]] = relationship(
        back_populates="region",
        order_by=lambda: by_name(District.name, language="uk"),
        cascade="all, delete-orphan",
    )

    def __repr__(self) -> str:
        return f"<Region {self.code}>"


class District(Localized, TimestampMixin, db.Model):
    __tablename__ = "districts"
    __table_args__ = (UniqueConstraint("region_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))

    region: Mapped[Region] = relationship(back_populates="districts")
    communities: Mapped[list["Community"]] = relationship(
        back_populates="district",
        order_by=lambda: by_name(Community.name, language="uk"),
        cascade="all, delete-orphan",
    )


class Community(Localized, TimestampMixin, db.Model):
    __tablename__ = "communities"
    __table_args__ = (
        UniqueConstraint("district_id", "name"),
        CheckConstraint(in_values("kind", COMMUNITY_KINDS), name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(160))
    name_en: Mapped[str] = mapped_column(String(160))
    kind: Mapped[str] = mapped_column(String(10))

    district: Mapped[District] = relationship(back_populates="communities")


def _transliterated_name(context) -> str:
    return transliterate(context.get_current_parameters()["name"])[:255]


class Institution(Localized, TimestampMixin, db.Model):
    __tablename__ = "institutions"
    __table_args__ = (
        UniqueConstraint("district_id", "name"),
        CheckConstraint(in_values("type", INSTITUTION_TYPES), name="type"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    # Institutions are named in Ukrainian; English pages show the official transliteration.
    name_en: Mapped[str] = mapped_column(String(255), default=_transliterated_name)
    type: Mapped[str] = mapped_column(String(40))
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id", ondelete="RESTRICT"), index=True)

    district: Mapped[District] = relationship()

    @property
    def region_id(self) -> int:
        return self.district.region_id
