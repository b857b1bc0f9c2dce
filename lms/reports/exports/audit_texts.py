"""How report exports read in the audit trail (see ``lms.core.audit_log``)."""

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select

from lms.core.audit_log import action_text, record_kind
from lms.core.models import Job
from lms.extensions import db
from lms.reports.exports.services import AUDIT_ACTION, FORMAT_LABELS, KIND


def _jobs(ids):
    kinds = dict(db.session.execute(select(Job.id, Job.kind).where(Job.id.in_(ids))).all())
    return {
        i: (_("Report export #%(id)s", id=i), url_for("reports_exports.status", job_id=i))
        if kinds.get(i) == KIND
        else (_("Job #%(id)s", id=i), None)
        for i in ids
    }


def _details(details: dict) -> str:
    rows = int(details.get("rows") or 0)
    parts = [FORMAT_LABELS.get(details.get("format"), str(details.get("format") or ""))]
    parts.append(ngettext("%(num)d row", "%(num)d rows", rows))
    words = details.get("filters_text") or {}
    parts.extend(f"{label}: {value}" for label, value in words.items())
    return "; ".join(parts)


record_kind("jobs", label=_l("Background jobs"), names=_jobs)
action_text(
    AUDIT_ACTION,
    label=_l("Report exported"),
    sentence=_l("%(actor)s exported a report"),
    details=_details,
)
