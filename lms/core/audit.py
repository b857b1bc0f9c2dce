"""Record audit events; the caller's transaction commits them with the change."""

from flask import has_request_context, request

from lms.core.models import AuditEvent
from lms.extensions import db


def record(actor, action: str, obj=None, **details) -> AuditEvent:
    """Append ``action`` by ``actor`` on ``obj`` (a model instance, or None) to the audit trail."""
    obj = _unproxied(obj)
    event = AuditEvent(
        actor_id=getattr(actor, "id", None),
        action=action,
        object_type=type(obj).__tablename__ if obj is not None else "",
        object_id=getattr(obj, "id", None),
        details={k: _plain(v) for k, v in details.items()},
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(event)
    return event


def _unproxied(obj):
    """``current_user`` is a proxy; the trail wants the record behind it."""
    getter = getattr(obj, "_get_current_object", None)
    return getter() if getter is not None else obj


def _plain(value):
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)
