"""Rows written directly for fixtures that must build in a fraction of a second (the mutation
run reruns their tests for every mutant): what the services would write, without them."""

from datetime import date, timedelta

from lms.certificates.models import Certificate
from lms.cohorts.models import Cohort


def two_day_training(lead, course, district, status: str, start: date) -> Cohort:
    """A two-day training from ``start`` (not added to the session)."""
    return Cohort(
        lead_trainer=lead,
        course=course,
        district=district,
        venue="Зала",
        status=status,
        start_date=start,
        end_date=start + timedelta(days=1),
    )


def certificate_row(
    enrollment, cohort, *, number: int, prefix: str, year: int, kind="participation", status="valid"
) -> Certificate:
    """A certificate of ``enrollment`` with a snapshot of blanks (not added to the session)."""
    return Certificate(
        enrollment=enrollment,
        user=enrollment.user,
        cohort=cohort,
        kind=kind,
        prefix=prefix,
        year=year,
        number=number,
        serial=f"{prefix}-{year}-{number:06d}",
        verification_code=f"{prefix.lower()}{number:06d}",
        status=status,
        revoked_reason="Помилка в даних" if status == "revoked" else None,
        holder_name=enrollment.user.full_name,
        holder_name_latin="",
        course_code="",
        course_title="",
        course_title_en="",
        start_date=cohort.start_date,
        issued_on=cohort.end_date,
        hours=15,
        lead_trainer_name="",
        organisation="",
        organisation_en="",
        verification_url="",
    )
