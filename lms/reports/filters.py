"""What a report covers: a period, regions and courses, limited to what the viewer may see.

A cohort belongs to the period in which it *ended* (its last day, which is also the date its
certificates carry), to the region of its district and to its course. Only trainings held
count: under way or closed; drafts, scheduled and cancelled ones never."""

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select

from lms.certificates.models import Certificate
from lms.cohorts.models import Cohort
from lms.core.errors import ValidationError
from lms.core.permissions import require
from lms.org.models import District

# Held: under way or closed. A scheduled training has not been held, whatever its dates say.
COUNTED_STATUSES = ("in_progress", "closed")
MAX_IDS = 100


@dataclass(frozen=True)
class ReportFilters:
    start: date | None = None
    end: date | None = None
    region_ids: tuple[int, ...] | None = None  # None: every region
    course_ids: tuple[int, ...] | None = None  # None: every course

    def cohort_conditions(self) -> list:
        """The conditions on ``Cohort`` that put a cohort in scope (ended in the period, in the
        regions, of the courses): for a query that reads the cohorts themselves."""
        conditions = [Cohort.status.in_(COUNTED_STATUSES)]
        if self.start is not None:
            conditions.append(Cohort.end_date >= self.start)
        if self.end is not None:
            conditions.append(Cohort.end_date <= self.end)
        if self.region_ids is not None:
            conditions.append(
                Cohort.district_id.in_(select(District.id).where(District.region_id.in_(self.region_ids)))
            )
        if self.course_ids is not None:
            conditions.append(Cohort.course_id.in_(self.course_ids))
        return conditions

    def cohort_ids(self) -> Select:
        """Ids of the cohorts in scope (ended in the period, in the regions, of the courses)."""
        return select(Cohort.id).where(*self.cohort_conditions())

    def trained(self) -> Select:
        """(certificate id, person, enrolment, cohort, kind) of every valid certificate in scope:
        the people *trained*. Count ``distinct user_id`` to count each person once."""
        return select(
            Certificate.id.label("certificate_id"),
            Certificate.user_id,
            Certificate.enrollment_id,
            Certificate.cohort_id,
            Certificate.kind,
        ).where(Certificate.status == "valid", Certificate.cohort_id.in_(self.cohort_ids()))

    def as_args(self) -> dict:
        """Query-string arguments that give these filters back (links, exports, drill-downs)."""
        args: dict = {}
        if self.start:
            args["from"] = self.start.isoformat()
        if self.end:
            args["to"] = self.end.isoformat()
        if self.region_ids is not None:
            args["region_id"] = list(self.region_ids)
        if self.course_ids is not None:
            args["course_id"] = list(self.course_ids)
        return args


def _date(args, name: str) -> date | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationError.on(name, _l("Enter a date as YYYY-MM-DD.")) from None


def _ids(args, name: str) -> tuple[int, ...] | None:
    values = [v for raw in args.getlist(name) for v in str(raw).split(",") if v.strip()]
    if not values:
        return None
    if len(values) > MAX_IDS:
        raise ValidationError.on(name, _l("Choose at most %(count)s.", count=MAX_IDS))
    try:
        ids = tuple(sorted({int(v) for v in values}))
    except ValueError:
        raise ValidationError.on(name, _l("Choose from the list.")) from None
    if any(not 1 <= i <= 2**31 - 1 for i in ids):
        raise ValidationError.on(name, _l("Choose from the list."))
    return ids


def filters_from_args(args, viewer) -> ReportFilters:
    """Read ``from``, ``to``, ``region_id`` and ``course_id`` (repeatable or comma-separated)
    from a request's arguments, and limit them to what ``viewer`` may see: a coordinator's
    report covers her regions unless she names some of them; naming another region is a 403."""
    start, end = _date(args, "from"), _date(args, "to")
    if start and end and start > end:
        raise ValidationError.on("to", _l("The end of the period is before its start."))
    region_ids = _ids(args, "region_id")
    require(viewer, "reports.view", region_ids)
    if region_ids is None and not viewer.has_role("admin"):
        region_ids = tuple(sorted(viewer.region_ids))
    return ReportFilters(start, end, region_ids, _ids(args, "course_id"))
