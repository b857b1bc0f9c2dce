"""The audit trail for admins: who did what to which record, when."""

from flask import Blueprint, render_template, request
from sqlalchemy import select

from lms.accounts.models import User
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
    query = select(AuditEvent).order_by(AuditEvent.id.desc())
    if action:
        query = query.where(AuditEvent.action.startswith(action, autoescape=True))
    if object_type:
        query = query.where(AuditEvent.object_type == object_type)
    if actor:
        people = select(User.id).where(User.search_text.contains(actor.casefold(), autoescape=True))
        query = query.where(AuditEvent.actor_id.in_(people))
    page = db.paginate(query, per_page=50, error_out=False)
    actors = {
        user.id: user
        for user in db.session.scalars(
            select(User).where(User.id.in_({e.actor_id for e in page.items if e.actor_id}))
        )
    }
    object_types = db.session.scalars(
        select(AuditEvent.object_type).distinct().order_by(AuditEvent.object_type)
    )
    return render_template(
        "core/audit.html",
        page=page,
        actors=actors,
        action=action,
        actor=actor,
        object_type=object_type,
        object_types=[t for t in object_types if t],
    )
