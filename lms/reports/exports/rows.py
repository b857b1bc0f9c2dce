"""The "People trained" table: one row per valid certificate in a report's scope.

The rows come from one query, read through a server-side cursor in batches (``yield_per``), so
a million rows stream through in constant memory; they are ordered by surname (Ukrainian
alphabetical order, ``by_name``) and then by certificate, so two exports of the same data list
people in the same order. The district and region are those of the training (what the
report's region filter selects), the institution is the person's."""

from collections.abc import Iterator
from contextlib import contextmanager

from flask_babel import lazy_gettext as _l
from sqlalchemy import Connection, and_, func, select
from sqlalchemy.orm import aliased

from lms.accounts.models import User
from lms.assessments.models import Attempt, CohortTest
from lms.certificates.models import Certificate
from lms.cohorts.models import Cohort
from lms.core.collation import by_name
from lms.core.db import reading
from lms.core.i18n import current_language
from lms.courses.models import Course
from lms.extensions import db
from lms.org.forms import INSTITUTION_TYPE_LABELS
from lms.org.models import District, Institution, Region
from lms.reports.filters import ReportFilters
from lms.reports.tables import DEFINITIONS, Table, table_source

KEY = "people_trained"
BATCH = 2000
KIND_LABELS = {"participation": _l("Participant"), "trainer": _l("Trainer")}


def headers() -> list[str]:
    return [
        str(_l("Name")),
        str(_l("Position")),
        str(_l("Institution")),
        str(_l("Institution type")),
        str(_l("District of the training")),
        str(_l("Region of the training")),
        str(_l("Course code")),
        str(_l("Course")),
        str(_l("Training start")),
        str(_l("Training end")),
        str(_l("Pre-test, %")),
        str(_l("Post-test, %")),
        str(_l("Certificate")),
        str(_l("Certificate kind")),
    ]


def _statement(filters: ReportFilters):
    trained = filters.trained().subquery()
    pre_test, post_test = aliased(CohortTest), aliased(CohortTest)
    pre, post = aliased(Attempt), aliased(Attempt)
    english = current_language() == "en"
    name = func.coalesce(func.nullif(User.sort_name, ""), User.full_name)
    return (
        select(
            name,
            User.position,
            Institution.name_en if english else Institution.name,
            Institution.type,
            District.name_en if english else District.name,
            Region.name_en if english else Region.name,
            Course.code,
            Course.title_en if english else Course.title,
            Course.title,
            Cohort.start_date,
            Cohort.end_date,
            pre.score_percent,
            post.score_percent,
            Certificate.serial,
            Certificate.kind,
        )
        .select_from(trained)
        .join(Certificate, Certificate.id == trained.c.certificate_id)
        .join(User, User.id == trained.c.user_id)
        .outerjoin(Institution, Institution.id == User.institution_id)
        .join(Cohort, Cohort.id == trained.c.cohort_id)
        .join(Course, Course.id == Cohort.course_id)
        .join(District, District.id == Cohort.district_id)
        .join(Region, Region.id == District.region_id)
        .outerjoin(pre_test, and_(pre_test.cohort_id == Cohort.id, pre_test.phase == "pre"))
        .outerjoin(
            pre,
            and_(
                pre.test_id == pre_test.id,
                pre.enrollment_id == trained.c.enrollment_id,
                pre.submitted_at.is_not(None),
            ),
        )
        .outerjoin(post_test, and_(post_test.cohort_id == Cohort.id, post_test.phase == "post"))
        .outerjoin(
            post,
            and_(
                post.test_id == post_test.id,
                post.enrollment_id == trained.c.enrollment_id,
                post.submitted_at.is_not(None),
            ),
        )
        .order_by(by_name(name), Certificate.id)
    )


def count(filters: ReportFilters) -> int:
    trained = filters.trained().subquery()
    return db.session.scalar(select(func.count()).select_from(trained)) or 0


@contextmanager
def _reading_connection() -> Iterator[Connection]:
    """A connection to stream on. In production a connection of its own, so that the job may
    commit its progress on the session's connection while the cursor stays open (a commit
    would close a server-side cursor); a session bound to one connection (tests) reads on it."""
    db.session.flush()  # the rows are read past the session: it must hold nothing unwritten
    bind = db.session.get_bind()
    if isinstance(bind, Connection):
        yield bind
        return
    with bind.connect() as connection:
        with reading():  # only its BEGIN: the task's own transactions still take the write lock
            connection.begin()
        yield connection


def stream(filters: ReportFilters, batch: int = BATCH) -> Iterator[tuple]:
    """Every row of the table, read ``batch`` rows at a time (a server-side cursor on
    PostgreSQL): memory holds one batch, however many rows there are."""
    labels = {key: str(label) for key, label in INSTITUTION_TYPE_LABELS.items()}
    kinds = {key: str(label) for key, label in KIND_LABELS.items()}
    statement = _statement(filters)
    with _reading_connection() as connection:
        result = connection.execute(statement, execution_options={"yield_per": batch})
        try:
            for row in result:
                (name, position, institution, itype, district, region, code, title, title_uk) = row[:9]
                (start, end, pre, post, serial, kind) = row[9:]
                yield (
                    name,
                    position or "",
                    institution or "",
                    labels.get(itype, itype or ""),
                    district,
                    region,
                    code,
                    title or title_uk,
                    start,
                    end,
                    pre,
                    post,
                    serial,
                    kinds.get(kind, kind),
                )
        finally:
            result.close()


@table_source
def people_trained(filters: ReportFilters) -> list[Table]:
    """The big table: its rows are read only when a writer iterates them."""
    return [
        Table(
            key=KEY,
            title=str(_l("People trained")),
            headers=headers(),
            rows=_Lazy(filters),
            definition=str(DEFINITIONS["trained"]),
            notes=[str(_l("One row per valid certificate: a person trained twice appears twice."))],
            count=lambda: count(filters),
        )
    ]


class _Lazy:
    """Rows that run their query each time they are iterated (and not before)."""

    def __init__(self, filters: ReportFilters):
        self.filters = filters

    def __iter__(self) -> Iterator[tuple]:
        return stream(self.filters)
