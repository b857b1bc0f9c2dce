"""How the courses package's audit events read (see ``lms.core.audit_log``)."""

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.accounts.models import User
from lms.core.audit_log import action_text, record_kind
from lms.courses.models import Accreditation, Course
from lms.extensions import db


def _courses(ids):
    rows = db.session.execute(select(Course.id, Course.code).where(Course.id.in_(ids)))
    return {i: (code, url_for("courses.detail", course_id=i)) for i, code in rows}


def _accreditations(ids):
    rows = db.session.execute(
        select(Accreditation.id, User.full_name, Course.code)
        .join(User, Accreditation.user_id == User.id)
        .join(Course, Accreditation.course_id == Course.id)
        .where(Accreditation.id.in_(ids))
    )
    return {i: (f"{name} · {code}", url_for("courses.accreditations")) for i, name, code in rows}


def _reason(details: dict) -> str:
    return details.get("reason") or ""


record_kind("courses", label=_l("Courses"), names=_courses)
record_kind("accreditations", label=_l("Accreditations"), names=_accreditations)

action_text("course.create", label=_l("Course added"), sentence=_l("%(actor)s added a course"))
action_text("course.update", label=_l("Course changed"), sentence=_l("%(actor)s changed a course"))
action_text(
    "course.deactivate",
    label=_l("Course withdrawn"),
    sentence=_l("%(actor)s withdrew a course from the catalogue"),
)
action_text(
    "course.reactivate",
    label=_l("Course returned"),
    sentence=_l("%(actor)s returned a course to the catalogue"),
)
action_text(
    "accreditation.grant", label=_l("Trainer accredited"), sentence=_l("%(actor)s accredited a trainer")
)
action_text(
    "accreditation.regrant",
    label=_l("Accreditation renewed"),
    sentence=_l("%(actor)s renewed an accreditation"),
)
action_text(
    "accreditation.revoke",
    label=_l("Accreditation revoked"),
    sentence=_l("%(actor)s revoked an accreditation"),
    details=_reason,
)
