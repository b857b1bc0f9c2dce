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


@rule("user.manage")
def _admins_only(user, obj) -> bool:
    return False


@rule("user.view")
def _view_user(user, obj) -> bool:
    return obj is not None and obj.id == user.id


@rule("token.manage")
def _own_token(user, obj) -> bool:
    return obj is None or obj.user_id == user.id


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
