"""Admins' page of reminders: the switches, a run now, and every reminder sent or pending."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField

from lms.cascade.nudges import services
from lms.core import audit
from lms.core.outbox import enqueue
from lms.core.permissions import permission_required
from lms.extensions import db

bp = Blueprint("cascade_nudges", __name__, url_prefix="/cascade/nudges", template_folder="../templates")
PER_PAGE = 50


class SwitchesForm(FlaskForm):
    weekly_nudges = BooleanField(_l("Weekly: remind dormant trainers, and send their coordinators the list"))
    monthly_digest = BooleanField(_l("Monthly: send each coordinator her regions' cascade figures"))


class RunForm(FlaskForm):
    pass


@bp.route("/", methods=["GET", "POST"])
@permission_required("cascade.nudges")
def index():
    current = services.current_settings()
    form = SwitchesForm(obj=current)
    if form.validate_on_submit():
        services.set_switches(
            weekly=bool(form.weekly_nudges.data), monthly=bool(form.monthly_digest.data), by=current_user
        )
        db.session.commit()
        flash(_("The reminder settings are saved."), "success")
        return redirect(url_for(".index"))
    kind = request.args.get("kind") or None
    status = request.args.get("status") or None
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    pagination = db.paginate(
        services.nudges_query(kind, status), page=page, per_page=PER_PAGE, error_out=False, count=True
    )
    return render_template(
        "cascade/nudges.html",
        form=form,
        run_form=RunForm(),
        pagination=pagination,
        kind=kind,
        status=status,
        kinds=services.KIND_LABELS,
        statuses=services.STATUS_LABELS,
        reminders_max=services.reminders_max(),
    )


@bp.post("/run")
@permission_required("cascade.nudges")
def run():
    """Queue the run now (what is due this week and month, once): the beat does it every morning."""
    form = RunForm()
    if form.validate_on_submit():
        enqueue("lms.cascade.send_nudges")
        audit.record(current_user, "cascade.nudges_run", None)
        db.session.commit()
        flash(
            _("The reminders due are being sent: reminders already sent this period are not sent again."),
            "info",
        )
    return redirect(url_for(".index"))
