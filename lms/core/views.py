"""Home, language switch and health check."""

from datetime import timedelta

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import text

from lms.cohorts.calendar import calendar_sessions
from lms.core.i18n import local_today
from lms.core.page_cache import cached_page
from lms.core.permissions import public
from lms.core.templating import STAFF_ROLES
from lms.extensions import db

bp = Blueprint("core", __name__)

HOME_DAYS_AHEAD = 30
HOME_SESSIONS = 8
TRAINING_STATUS_LABELS = {
    "upcoming": _l("Upcoming"),
    "in_progress": _l("In progress"),
    "completed": _l("Completed"),
    "cancelled": _l("Cancelled"),
    "waitlisted": _l("On the waitlist"),
    "withdrawn": _l("Withdrawn"),
}


@bp.get("/")
@public
@cached_page
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login"))
    today = local_today()
    upcoming = [
        s
        for s in calendar_sessions(current_user, today, today + timedelta(days=HOME_DAYS_AHEAD))
        if s.cohort.status in ("scheduled", "in_progress")
    ]
    return render_template(
        "core/home.html",
        upcoming=upcoming[:HOME_SESSIONS],
        today=today,
        trainings=_my_trainings(today),
        training_status_labels=TRAINING_STATUS_LABELS,
    )


def _my_trainings(today):
    """Her own trainings (a participant's section of the page): for a participant, and for
    anyone else enrolled in a training; None for staff who are in none (a trainer who also has
    the participant role would otherwise read "you take part in no training" above the
    trainings she leads)."""
    from lms.me.services import my_trainings

    page = request.args.get("page", 1, type=int) or 1
    trainings = my_trainings(current_user, page=max(page, 1), today=today)
    if trainings.total or not current_user.has_role(*STAFF_ROLES):
        return trainings
    return None


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


@bp.get("/health/live")
@public
def health_live():
    """The process answers: for a supervisor deciding whether to restart it."""
    return jsonify({"status": "ok"})


@bp.get("/health/ready")
@public
def health_ready():
    """The database and the broker answer: for a load balancer deciding whether to send traffic.
    The body names which check failed, never why (addresses and errors go to the log)."""
    checks = {"database": _database_ready(), "broker": _broker_ready()}
    ready = all(checks.values())
    body = {
        "status": "ok" if ready else "unavailable",
        "checks": {k: "ok" if v else "fail" for k, v in checks.items()},
    }
    return jsonify(body), 200 if ready else 503


def _database_ready() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except Exception:
        db.session.rollback()
        current_app.logger.exception("Readiness: the database does not answer")
        return False


def _broker_ready() -> bool:
    celery = current_app.extensions["celery"]
    try:
        with celery.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:
        current_app.logger.exception("Readiness: the broker does not answer")
        return False


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths, so a crafted link cannot send people elsewhere after a switch.

    Control characters are refused too: browsers drop tabs and newlines from a URL, so
    ``/<TAB>/evil.example`` would become ``//evil.example``, another site."""
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and not any(ord(character) < 32 or ord(character) == 127 for character in target)
    ):
        return target
    return None
