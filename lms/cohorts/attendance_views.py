"""Pages: the attendance grid, the self check-in QR code and its scan, the cohort's attendance
summary, the panel on the cohort page, and the printable session kit."""

import segno
from flask import Blueprint, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.routing import BuildError

from lms.cohorts import attendance, kit
from lms.cohorts import checkin as checkins
from lms.core.errors import DomainError
from lms.core.i18n import local_today
from lms.core.permissions import can
from lms.extensions import db

bp = Blueprint("attendance", __name__, template_folder="templates")


def cohort_page_url(cohort) -> str:
    """The cohort's own page when the cohorts pages are there, else its attendance summary."""
    if "cohorts.detail" in current_app.view_functions:
        try:
            return url_for("cohorts.detail", cohort_id=cohort.id)
        except BuildError:
            pass
    return url_for("attendance.cohort_attendance", cohort_id=cohort.id)


def qr_svg(text: str) -> str:
    """An inline, scalable SVG QR code for ``text`` (no image requests)."""
    return segno.make(text, error="m").svg_inline(scale=1, border=2, omitsize=True)


def breadcrumbs(cohort, *current: str, session=None) -> list[tuple[str, str | None]]:
    """Trainings → the training (its dates) → on a session's page, that session's own date."""
    trail: list[tuple[str, str | None]] = []
    if "cohorts.index" in current_app.view_functions:
        trail.append((_("Trainings"), url_for("cohorts.index")))
    trail.append(
        (
            f"{cohort.course.display_title} · {date_range(cohort.start_date, cohort.end_date)}",
            cohort_page_url(cohort),
        )
    )
    if session is not None:
        trail.append((format_date(session.date, "long"), None))
    trail.extend((label, None) for label in current)
    return trail


def date_range(start, end) -> str:
    if start == end:
        return format_date(start, "medium")
    return f"{format_date(start, 'medium')} – {format_date(end, 'medium')}"


def _grid_input(form) -> tuple[dict[int, str], dict[int, str]]:
    """Statuses and notes from the grid; "mark all present" sets everyone listed on the page."""
    listed = [int(value) for value in form.getlist("enrollment") if value.isdecimal()]
    notes = {eid: form.get(f"note-{eid}", "") for eid in listed}
    if form.get("action") == "all_present":
        return dict.fromkeys(listed, "present"), notes
    statuses = {eid: form[f"status-{eid}"] for eid in listed if form.get(f"status-{eid}")}
    return statuses, notes


@bp.route("/sessions/<int:session_id>/attendance", methods=["GET", "POST"])
def session_attendance(session_id: int):
    session = attendance.session_for(session_id, by=current_user)
    chosen, typed_notes = {}, {}
    if request.method == "POST":
        chosen, typed_notes = _grid_input(request.form)
        source = "paper" if request.form.get("paper") else "trainer"
        try:
            counts = attendance.mark_attendance(
                session, by=current_user, statuses=chosen, notes=typed_notes, source=source
            )
        except DomainError as error:
            flash(str(error.message), "danger")
        else:
            db.session.commit()
            flash(
                _(
                    "Attendance saved: %(present)s present, %(late)s late, %(absent)s absent.",
                    present=counts["present"],
                    late=counts["late"],
                    absent=counts["absent"],
                ),
                "success",
            )
            return redirect(cohort_page_url(session.cohort))
    register = attendance.session_register(session)
    return render_template(
        "attendance/grid.html",
        session=session,
        cohort=session.cohort,
        register=register,
        chosen={line.enrollment.id: line.status for line in register} | chosen,
        typed_notes={line.enrollment.id: line.attendance.note for line in register if line.attendance}
        | typed_notes,
        paper=bool(request.form.get("paper")),
        is_today=session.date == local_today(),
        breadcrumbs=breadcrumbs(session.cohort, _("Attendance"), session=session),
        back_url=cohort_page_url(session.cohort),
    ), (422 if request.method == "POST" else 200)


@bp.get("/sessions/<int:session_id>/checkin-code")
def checkin_code(session_id: int):
    session = attendance.session_for(session_id, by=current_user)
    code = checkins.current_checkin_code(session, by=current_user)
    db.session.commit()
    checkin_url = url_for("attendance.checkin", session_id=session.id, token=code.token, _external=True)
    response = make_response(
        render_template(
            "attendance/checkin_code.html",
            session=session,
            cohort=session.cohort,
            code=code,
            checkin_url=checkin_url,
            qr_svg=qr_svg(checkin_url),
            back_url=url_for("attendance.session_attendance", session_id=session.id),
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


# A GET marks the person present: one scan with the phone camera is the whole interaction.
# It only ever marks the signed-in person, only with a code shown in the room this minute.
@bp.get("/checkin/<int:session_id>/<token>")
def checkin(session_id: int, token: str):
    try:
        session, newly_marked = checkins.check_in(session_id, token, by=current_user)
    except checkins.CheckinRefused as refused:
        return render_template(
            "attendance/checkin.html", outcome=refused.reason, message=str(refused.message)
        ), refused.status
    db.session.commit()
    return render_template(
        "attendance/checkin.html",
        outcome="marked" if newly_marked else "already",
        session=session,
        cohort=session.cohort,
    )


@bp.get("/cohorts/<int:cohort_id>/attendance")
def cohort_attendance(cohort_id: int):
    cohort = attendance.cohort_for(cohort_id, by=current_user, action="attendance.mark")
    return render_template(
        "attendance/summary.html",
        cohort=cohort,
        summary=attendance.cohort_attendance_summary(cohort),
        breadcrumbs=breadcrumbs(cohort, _("Attendance")),
    )


@bp.get("/cohorts/<int:cohort_id>/kit.pdf")
def session_kit(cohort_id: int):
    cohort = attendance.cohort_for(cohort_id, by=current_user, action="cohort.manage")
    response = make_response(kit.session_kit_pdf(cohort))
    db.session.commit()  # the kit may have made personal passes for its slips
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="cohort-{cohort.id}-session-kit.pdf"'
    return response


@bp.app_context_processor
def _attendance_panel_helpers():
    def attendance_panel(cohort):
        """Per-session tallies for the panel on the cohort page; None when not the viewer's job."""
        if cohort is None or not can(current_user, "attendance.mark", cohort):
            return None
        return attendance.cohort_attendance_summary(cohort)

    return {"attendance_panel": attendance_panel}
