"""Who may do what. ``can(user, action, obj)`` answers every check; unknown actions are denied.

Routes are closed unless marked ``@public`` (see ``register_access_control``); a route names
the action it needs with ``@permission_required``; services call ``require`` again on the
object they loaded, so a changed id in a URL never reaches another person's record.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, request
from flask_login import current_user

from lms.core.errors import NotAuthenticated, PermissionDenied

Rule = Callable[[Any, Any], bool]
_RULES: dict[str, Rule] = {}


def rule(*actions: str):
    def register(function: Rule) -> Rule:
        for action in actions:
            _RULES[action] = function
        return function

    return register


def can(user, action: str, obj: Any = None) -> bool:
    """True when ``user`` may do ``action`` (to ``obj`` when given). Deny by default."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    check = _RULES.get(action)
    if check is None:
        return False
    if user.has_role("admin"):
        return True
    return bool(check(user, obj))


def require(user, action: str, obj: Any = None) -> None:
    if user is None or not getattr(user, "is_authenticated", False):
        raise NotAuthenticated()
    if not can(user, action, obj):
        raise PermissionDenied()


def region_scope(user) -> set[int] | None:
    """Region ids a user oversees as coordinator; ``None`` means every region (admin)."""
    if user.has_role("admin"):
        return None
    if user.has_role("coordinator"):
        return user.region_ids
    return set()


def region_id_of(obj: Any) -> int | None:
    """The region a record belongs to, following district links."""
    from lms.org.models import Region

    if obj is None:
        return None
    if isinstance(obj, Region):
        return obj.id
    if getattr(obj, "region_id", None) is not None:
        return obj.region_id
    district = getattr(obj, "district", None)
    return district.region_id if district is not None else None


def in_region_scope(user, obj: Any) -> bool:
    scope = region_scope(user)
    return scope is None or region_id_of(obj) in scope


@rule("audit.view")
def _audit_admins_only(user, obj) -> bool:
    return False


@rule("user.manage")
def _admins_only(user, obj) -> bool:
    return False


@rule("user.view")
def _view_user(user, obj) -> bool:
    return obj is not None and obj.id == user.id


@rule("token.manage")
def _own_token(user, obj) -> bool:
    return obj is None or obj.user_id == user.id


@rule("job.view")
def _own_job(user, job) -> bool:
    return job is not None and job.created_by_id == user.id


@rule("geography.view")
def _anyone_signed_in(user, obj) -> bool:
    return True


@rule("geography.admin")
def _coordinators(user, obj) -> bool:
    return user.has_role("coordinator")


@rule("region.manage")
def _regions_admin_only(user, obj) -> bool:
    return False


@rule("region.view", "district.manage", "community.manage", "institution.manage")
def _coordinator_in_region(user, obj) -> bool:
    return user.has_role("coordinator") and obj is not None and region_id_of(obj) in user.region_ids


@rule("course.view")
def _catalogue_is_for_everyone_signed_in(user, obj) -> bool:
    return True


@rule("course.manage", "accreditation.grant")
def _course_admin_only(user, obj) -> bool:
    return False


@rule("accreditation.view")
def _view_accreditations(user, obj) -> bool:
    """Coordinators see accreditations; a trainer sees her own (lists are filtered by service)."""
    if obj is None:
        return user.has_role("coordinator", "trainer")
    return user.has_role("coordinator") or obj.user_id == user.id


@rule("cohort.list")
def _cohort_list(user, obj) -> bool:
    return True  # the list itself is filtered by ``visible_cohorts``


@rule("cohort.create")
def _cohort_create(user, obj) -> bool:
    return user.has_role("coordinator", "trainer")


@rule("cohort.view")
def _cohort_view(user, cohort) -> bool:
    if cohort is None:
        return False
    if _coordinates(user, cohort) or user.id in cohort.trainer_ids:
        return True
    return _is_enrolled(user, cohort, ("enrolled", "waitlisted"))


@rule("cohort.manage", "attendance.mark", "enrollment.manage")
def _cohort_manage(user, cohort) -> bool:
    """Plan sessions, enrol, mark attendance: the cohort's trainers and its region's coordinator."""
    return cohort is not None and (_coordinates(user, cohort) or user.id in cohort.trainer_ids)


@rule("cohort.change_status", "cohort.change_team")
def _cohort_change_status(user, cohort) -> bool:
    """Schedule, start, close or cancel, and choose the lead and co-trainers: the lead trainer
    and the region's coordinator (a co-trainer could otherwise add a friend who then sees the
    participants' contacts, or remove her colleagues)."""
    return cohort is not None and (_coordinates(user, cohort) or user.id == cohort.lead_trainer_id)


@rule("attendance.checkin")
def _self_checkin(user, session) -> bool:
    return session is not None and _is_enrolled(user, session.cohort, ("enrolled",))


def _is_enrolled(user, cohort, statuses: tuple[str, ...]) -> bool:
    """Whether ``user`` is in ``cohort`` with one of ``statuses``: from the loaded list when the
    caller loaded it, else one query (not the whole list)."""
    from sqlalchemy import inspect, select

    from lms.cohorts.models import Enrollment
    from lms.extensions import db

    if "enrollments" in inspect(cohort).dict:
        return any(e.user_id == user.id and e.status in statuses for e in cohort.enrollments)
    query = select(Enrollment.id).where(
        Enrollment.cohort_id == cohort.id, Enrollment.user_id == user.id, Enrollment.status.in_(statuses)
    )
    return db.session.scalar(query.limit(1)) is not None


def _coordinates(user, obj) -> bool:
    return user.has_role("coordinator") and region_id_of(obj) in user.region_ids


def visible_cohorts(user, query):
    """Narrow a ``select(Cohort)`` to what ``user`` may see: all (admin), her regions
    (coordinator), cohorts she trains, and cohorts she is enrolled in."""
    from sqlalchemy import or_, select

    from lms.cohorts.models import Cohort, Enrollment, cohort_trainers
    from lms.org.models import District

    if user.has_role("admin"):
        return query
    conditions = [
        Cohort.lead_trainer_id == user.id,
        Cohort.id.in_(select(cohort_trainers.c.cohort_id).where(cohort_trainers.c.user_id == user.id)),
        Cohort.id.in_(
            select(Enrollment.cohort_id).where(
                Enrollment.user_id == user.id, Enrollment.status != "withdrawn"
            )
        ),
    ]
    if user.has_role("coordinator") and user.region_ids:
        conditions.append(
            Cohort.district_id.in_(select(District.id).where(District.region_id.in_(user.region_ids)))
        )
    return query.where(or_(*conditions))


def public(view):
    """Open a route to people who are not signed in (sign-in page, verification, health)."""
    view.is_public = True
    return view


def permission_required(action: str):
    """Route decorator: the signed-in user must be allowed ``action`` (without an object)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            require(current_user, action)
            return view(*args, **kwargs)

        wrapped.required_action = action
        return wrapped

    return decorator


def register_access_control(app: Flask, login_manager) -> None:
    """Deny by default: every endpoint needs a signed-in user unless marked ``@public``."""

    @app.before_request
    def _require_sign_in():
        if request.endpoint is None:
            return None  # 404 follows
        view = app.view_functions.get(request.endpoint)
        if (
            view is None
            or getattr(view, "is_public", False)
            or request.endpoint in app.config["PUBLIC_ENDPOINTS"]
        ):
            return None
        if current_user.is_authenticated:
            return None
        if request.path.startswith("/api/"):
            raise NotAuthenticated()
        return login_manager.unauthorized()
