"""Home, language switch and health check."""

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import text

from lms.core.permissions import public
from lms.extensions import db

bp = Blueprint("core", __name__)


@bp.get("/")
@public
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login"))
    return render_template("core/home.html")


@bp.post("/language")
@public
def set_language():
    language = request.form.get("language", "")
    if language in current_app.config["LANGUAGES"]:
        session["lang"] = language
        if current_user.is_authenticated and current_user.locale != language:
            current_user.locale = language
            db.session.commit()
    return redirect(_safe_next(request.form.get("next")) or url_for("core.index"))


@bp.get("/health")
@public
def health():
    db.session.execute(text("SELECT 1"))
    return jsonify({"status": "ok"})


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths, so a crafted link cannot send people elsewhere after a switch."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None
