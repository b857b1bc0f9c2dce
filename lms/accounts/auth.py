"""How a request is tied to a person: the session cookie for pages, a bearer token for the API."""

from flask import Flask, request
from flask_babel import lazy_gettext as _l

from lms.accounts import services
from lms.accounts.models import User
from lms.extensions import db


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
        user = db.session.get(User, int(user_id))
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
