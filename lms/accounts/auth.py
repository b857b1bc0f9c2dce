"""How a request is tied to a person: the session cookie for pages, a bearer token for the API."""

from flask import Flask, g, has_request_context, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from lms.accounts import services, sessions, two_factor
from lms.accounts.models import User
from lms.core.page_cache import register_identity

# Pages an admin or coordinator may open before setting up a required second factor.
ENROLMENT_ENDPOINTS = {
    "security.two_factor_page",
    "accounts.logout",
    "static",
    "bootstrap.static",
    "core.set_language",
}


def init_login(app: Flask, login_manager) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please sign in to open this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    # A kept page is sent without loading the person: the clock's part of her sign-in is checked here.
    register_identity(sessions.kept_identity, sessions.still_signed_in)

    @login_manager.user_loader
    def load_user(cookie_value: str) -> User | None:
        if request.path.startswith("/api/"):
            return None  # the API answers to tokens only, so a browser cookie cannot act there
        return sessions.load(cookie_value)

    @login_manager.request_loader
    def load_user_from_token(req) -> User | None:
        if not req.path.startswith("/api/"):
            return None
        header = req.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        return services.user_for_token(token.strip())

    @app.before_request
    def _require_second_factor_setup():
        """While the programme requires two-factor, an admin or coordinator without it can only
        set it up (or sign out)."""
        if request.path.startswith("/api/") or request.endpoint in ENROLMENT_ENDPOINTS:
            return None
        if current_user.is_authenticated and two_factor.must_enrol(current_user):
            return redirect(url_for("security.two_factor_page"))
        return None


@event.listens_for(Session, "after_soft_rollback")
def _reload_signed_in_person(session, previous_transaction) -> None:
    """A view that rolls back (a refused form) expires everything, the signed-in person too; the
    page it then renders asks her roles again. Read her back with them in one statement, as the
    user loader does, rather than lazily."""
    if not has_request_context() or not session.is_active:
        return
    user = g.get("_login_user")
    if not isinstance(user, User):
        return
    state = inspect(user)
    if state.session is session and state.expired_attributes:
        services.person(user.id)
