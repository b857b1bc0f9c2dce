"""How a request is tied to a person: the session cookie for pages, a bearer token for the API."""

from flask import Flask, g, has_request_context, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from lms.accounts import services
from lms.accounts.models import User


def init_login(app: Flask, login_manager) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please sign in to open this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(session_id: str) -> User | None:
        if request.path.startswith("/api/"):
            return None  # the API answers to tokens only, so a browser cookie cannot act there
        user_id, _, nonce = session_id.partition(":")
        if not user_id.isdigit():
            return None
        user = services.signed_in_person(int(user_id))
        # A deactivated person or a changed password ends every session at the next request.
        if user is None or not user.active or user.session_nonce != nonce:
            return None
        return user

    @login_manager.request_loader
    def load_user_from_token(req) -> User | None:
        if not req.path.startswith("/api/"):
            return None
        header = req.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        return services.user_for_token(token.strip())


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
