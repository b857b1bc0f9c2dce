"""The lists behind the report's figures: who was trained (or enrolled, or certified) and which
trainings were held, for the same filters, so that every number on the report can be checked
name by name. Each list is a few statements whatever its length (count, page, details)."""

from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, Select, cast, func, null, select
from sqlalchemy.orm import joinedload, undefer

from lms.accounts.models import User
from lms.cascade.models import TrainerLineage
from lms.certificates.models import Certificate
from lms.cohorts.models import Cohort, Enrollment
from lms.core.collation import by_name
from lms.core.errors import ValidationError
from lms.core.i18n import localized
from lms.courses.models import Course
from lms.extensions import db
from lms.org.models import INSTITUTION_TYPES, District, Institution
from lms.reports.filters import ReportFilters

FIGURES = ("trained", "trainers", "certificates", "participants")
NOT_STATED = "none"
PER_PAGE = 50
MAX_GENERATION = 99


@dataclass(frozen=True)
class PeopleQuery:
    """Which people a drill-down lists: a figure, narrowed by a district, an institution type or
    a position (as the report's rows are), and a name searched."""

    figure: str = "trained"
    district_id: int | None = None
    institution_type: str | None = None  # a type, or NOT_STATED
    position: str | None = None  # a position, or "" for not stated
    q: str = ""
    generation: int | None = None  # trained in trainings led by a trainer of this generation

    def as_args(self) -> dict:
        args = {"figure": self.figure}
        if self.district_id is not None:
            args["district_id"] = self.district_id
        if self.institution_type is not None:
            args["institution_type"] = self.institution_type
        if self.position is not None:
            args["position"] = self.position
        if self.generation is not None:
            args["generation"] = self.generation
        return args


def people_query_from_args(args) -> PeopleQuery:
    figure = args.get("figure") or "trained"
    if figure not in FIGURES:
        raise ValidationError.on("figure", _l("Choose from the list."))
    institution_type = args.get("institution_type") or None
    if institution_type is not None and institution_type not in (*INSTITUTION_TYPES, NOT_STATED):
        raise ValidationError.on("institution_type", _l("Choose from the list."))
    district_id = None
    if args.get("district_id"):
        try:
            district_id = int(args["district_id"])
        except ValueError:
            raise ValidationError.on("district_id", _l("Choose from the list.")) from None
        if not 1 <= district_id <= 2**31 - 1:
            raise ValidationError.on("district_id", _l("Choose from the list."))
    position = args.get("position")
    if position is not None and len(position) > 200:
        raise ValidationError.on("position", _l("Choose from the list."))
    return PeopleQuery(
        figure,
        district_id,
        institution_type,
        position,
        (args.get("q") or "").strip()[:100],
        generation_from_args(args),
    )


def generation_from_args(args) -> int | None:
    """``generation``: 0 for the master trainers, 1 for those they certified, and so on."""
    raw = args.get("generation")
    if raw in (None, ""):
        return None
    if not (raw.isascii() and raw.isdecimal()) or int(raw) > MAX_GENERATION:
        raise ValidationError.on("generation", _l("Choose from the list."))
    return int(raw)


def led_by_generation(generation: int) -> Select:
    """Ids of the trainings whose lead trainer is of ``generation`` (the report's rows)."""
    return (
        select(Cohort.id)
        .join(TrainerLineage, TrainerLineage.user_id == Cohort.lead_trainer_id)
        .where(TrainerLineage.generation == generation)
    )


def _rows(filters: ReportFilters, figure: str) -> Select:
    """(person, cohort, certificate or None) behind ``figure``."""
    if figure == "participants":
        return select(
            Enrollment.user_id, Enrollment.cohort_id, cast(null(), Integer).label("certificate_id")
        ).where(Enrollment.status == "enrolled", Enrollment.cohort_id.in_(filters.cohort_ids()))
    trained = filters.trained()
    if figure == "trainers":
        trained = trained.where(
            Certificate.kind == "trainer",
            Certificate.cohort_id.in_(
                select(Cohort.id).join(Course, Course.id == Cohort.course_id).where(Course.is_tot.is_(True))
            ),
        )
    inner = trained.subquery()
    return select(inner.c.user_id, inner.c.cohort_id, inner.c.certificate_id)


def _narrowed(filters: ReportFilters, wanted: PeopleQuery):
    rows = _rows(filters, wanted.figure).subquery("behind")
    query = select(rows.c.user_id, rows.c.cohort_id, rows.c.certificate_id).join(
        User, User.id == rows.c.user_id
    )
    if wanted.district_id is not None:
        query = query.where(
            rows.c.cohort_id.in_(select(Cohort.id).where(Cohort.district_id == wanted.district_id))
        )
    if wanted.institution_type == NOT_STATED:
        query = query.where(User.institution_id.is_(None))
    elif wanted.institution_type is not None:
        query = query.where(
            User.institution_id.in_(select(Institution.id).where(Institution.type == wanted.institution_type))
        )
    if wanted.position is not None:
        position = func.trim(User.position)
        query = query.where(
            (func.coalesce(position, "") == "")
            if wanted.position == ""
            else (position == wanted.position.strip())
        )
    if wanted.q:
        query = query.where(User.search_text.contains(wanted.q.casefold(), autoescape=True))
    if wanted.generation is not None:
        query = query.where(rows.c.cohort_id.in_(led_by_generation(wanted.generation)))
    return query.subquery("narrowed")


@dataclass
class Training:
    cohort_id: int
    course_code: str
    course_title: str
    course_title_en: str
    start_date: date
    end_date: date
    district: str
    district_en: str
    serial: str | None

    @property
    def display_course(self) -> str:
        return localized(self.course_title, self.course_title_en)

    @property
    def display_district(self) -> str:
        return localized(self.district, self.district_en)


@dataclass
class PersonRow:
    person: User
    trainings: list[Training] = field(default_factory=list)


def people_page(filters: ReportFilters, wanted: PeopleQuery, page: int):
    """A page of the people behind a figure (surname first, Ukrainian order), each with the
    trainings (and certificates) that put her there. Also the rows' total (certificates for
    that figure)."""
    narrowed = _narrowed(filters, wanted)
    pagination = db.paginate(
        select(User)
        .where(User.id.in_(select(narrowed.c.user_id)))
        .options(joinedload(User.institution).joinedload(Institution.district))
        .order_by(by_name(User.sort_name), User.id),
        page=page,
        per_page=PER_PAGE,
        error_out=False,
    )
    ids = [person.id for person in pagination.items]
    by_person: dict[int, list[Training]] = {i: [] for i in ids}
    rows_total = 0
    if ids:
        for user_id, *values in db.session.execute(
            select(
                narrowed.c.user_id,
                Cohort.id,
                Course.code,
                Course.title,
                Course.title_en,
                Cohort.start_date,
                Cohort.end_date,
                District.name,
                District.name_en,
                Certificate.serial,
            )
            .select_from(narrowed)
            .join(Cohort, Cohort.id == narrowed.c.cohort_id)
            .join(Course, Course.id == Cohort.course_id)
            .join(District, District.id == Cohort.district_id)
            .outerjoin(Certificate, Certificate.id == narrowed.c.certificate_id)
            .where(narrowed.c.user_id.in_(ids))
            .order_by(Cohort.end_date, Cohort.id)
        ):
            by_person[user_id].append(Training(*values))
    if wanted.figure == "certificates":
        rows_total = db.session.scalar(select(func.count()).select_from(narrowed)) or 0
    return pagination, [PersonRow(person, by_person[person.id]) for person in pagination.items], rows_total


@dataclass
class CohortRow:
    cohort: Cohort
    trained: int


def cohorts_page(filters: ReportFilters, page: int, generation: int | None = None):
    """A page of the trainings in scope, latest first, each with its participants and trained.
    With ``generation``: those of the report's cascade row, led by a trainer of that generation
    and with someone trained."""
    query = select(Cohort).where(Cohort.id.in_(filters.cohort_ids()))
    if generation is not None:
        trained_in = filters.trained().subquery()
        query = query.where(
            Cohort.id.in_(led_by_generation(generation)), Cohort.id.in_(select(trained_in.c.cohort_id))
        )
    pagination = db.paginate(
        query.options(
            joinedload(Cohort.course),
            joinedload(Cohort.district).joinedload(District.region),
            joinedload(Cohort.lead_trainer),
            undefer(Cohort.enrolled_count),
        ).order_by(Cohort.end_date.desc(), Cohort.id.desc()),
        page=page,
        per_page=PER_PAGE,
        error_out=False,
    )
    ids = [cohort.id for cohort in pagination.items]
    trained: dict[int, int] = {}
    if ids:
        rows = filters.trained().where(Certificate.cohort_id.in_(ids)).subquery()
        trained = dict(
            db.session.execute(
                select(rows.c.cohort_id, func.count(func.distinct(rows.c.user_id))).group_by(rows.c.cohort_id)
            ).all()
        )
    return pagination, [CohortRow(cohort, trained.get(cohort.id, 0)) for cohort in pagination.items]
