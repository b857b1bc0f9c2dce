"""What a certificate prints, taken from the training and the person once, at issue."""

from flask import current_app

from lms.cohorts.models import Enrollment
from lms.org.translit import transliterate


def organisation() -> tuple[str, str]:
    config = current_app.config
    uk = config.get("CERTIFICATE_ORGANISATION") or "Cascade LMS"
    return uk, config.get("CERTIFICATE_ORGANISATION_EN") or transliterate(uk)


def snapshot_of(enrollment: Enrollment) -> dict:
    """The printed fields of a certificate for ``enrollment`` (cohort, course, modules, lead
    trainer and holder loaded by the caller)."""
    cohort = enrollment.cohort
    course = cohort.course
    holder = enrollment.user
    lead = cohort.lead_trainer
    org_uk, org_en = organisation()
    modules = [
        {"title": module.title, "title_en": module.title_en or "", "hours": float(module.hours)}
        for module in course.modules
    ]
    return {
        "holder_name": holder.full_name,
        "holder_name_latin": holder.full_name_latin or transliterate(holder.full_name),
        "course_code": course.code,
        "course_title": course.title,
        "course_title_en": course.title_en or transliterate(course.title),
        "start_date": cohort.start_date,
        "issued_on": cohort.end_date,
        "hours": float(sum(module["hours"] for module in modules)),
        "modules": modules,
        "lead_trainer_name": lead.full_name,
        "lead_trainer_name_latin": lead.full_name_latin or transliterate(lead.full_name),
        "organisation": org_uk,
        "organisation_en": org_en,
        "district_name": cohort.district.name,
    }
