"""The audit trail for admins: who did what to which record, when, in words."""

from flask import Blueprint, render_template, request
from sqlalchemy import select

from lms.accounts.models import User
from lms.core import audit_log
from lms.core.i18n import localized
from lms.core.models import AuditEvent
from lms.core.permissions import permission_required
from lms.extensions import db

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")


@bp.get("/")
@permission_required("audit.view")
def index():
    action = request.args.get("action", "").strip()
    actor = request.args.get("actor", "").strip()
    object_type = request.args.get("object_type", "").strip()
    actions = audit_log.action_choices()
    query = select(AuditEvent).order_by(AuditEvent.id.desc())
    if action in dict(actions):
        query = query.where(AuditEvent.action == action)
    elif action:  # a prefix such as "cohort." from an older link
        query = query.where(AuditEvent.action.startswith(action, autoescape=True))
    if object_type:
        query = query.where(AuditEvent.object_type == object_type)
    if actor:
        people = select(User.id).where(User.search_text.contains(actor.casefold(), autoescape=True))
        query = query.where(AuditEvent.actor_id.in_(people))
    page = db.paginate(query, per_page=50, error_out=False)
    actor_ids = {e.actor_id for e in page.items if e.actor_id}
    actor_names = (
        {
            i: localized(name, latin)
            for i, name, latin in db.session.execute(
                select(User.id, User.full_name, User.full_name_latin).where(User.id.in_(actor_ids))
            )
        }
        if actor_ids
        else {}
    )
    object_types = db.session.scalars(select(AuditEvent.object_type).distinct())
    return render_template(
        "core/audit.html",
        page=page,
        lines=audit_log.describe(page.items, actor_names),
        action=action,
        actor=actor,
        object_type=object_type,
        actions=actions,
        object_types=audit_log.record_choices(t for t in object_types if t),
    )
