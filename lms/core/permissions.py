"""Who may do what. ``can(user, action, obj)`` answers every check; unknown actions are denied.

Each feature registers its own rules with ``@rule`` in its ``rules.py`` (imported when the app
is built, see ``lms.RULE_MODULES``); this module knows no feature.

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
