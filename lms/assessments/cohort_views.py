"""Pages for a cohort's tests: open and close in the room (QR code and short link), who has
started and submitted, extra time, paper entry in a keyboard grid, slips, and results."""

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from lms.assessments import access, analytics, delivery, paper, room
from lms.assessments.charts import pre_post_svg
from lms.assessments.lookup import cohort_for as get_cohort
from lms.assessments.models import Attempt
from lms.assessments.views_common import personal_url, qr_svg, room_url
from lms.cohorts.attendance import roster
from lms.core.errors import DomainError, NotFound
from lms.core.permissions import can
from lms.extensions import db

bp = Blueprint("cohort_tests", __name__, url_prefix="/cohorts", template_folder="templates")


def _back(cohort_id: int):
    return redirect(url_for("cohort_tests.tests_page", cohort_id=cohort_id))


@bp.get("/<int:cohort_id>/tests")
def tests_page(cohort_id: int):
    cohort = get_cohort(cohort_id, by=current_user, action="test.manage")
    overviews = delivery.tests_overview(cohort)
    live = {o.phase: room.live_status(o.test) for o in overviews if o.test and o.test.status != "not_open"}
    rooms = {
        o.phase: (room_url(o.test), qr_svg(room_url(o.test)))
        for o in overviews
        if o.test and o.test.status == "open"
    }
    return render_template(
        "assessments/tests.html", cohort=cohort, overviews=overviews, live=live, rooms=rooms
    )


@bp.post("/<int:cohort_id>/tests/<phase>/open")
def open_test(cohort_id: int, phase: str):
    cohort = get_cohort(cohort_id, by=current_user, action="test.manage")
    limit = request.form.get("time_limit_minutes", "").strip()
    try:
        delivery.open_test(
            cohort,
            delivery.check_phase(phase),
            by=current_user,
            time_limit_minutes=int(limit) if limit.isdecimal() else None,
            form=request.form.get("form") or None,
        )
    except DomainError as error:
        flash(str(error.message), "danger")
    else:
        db.session.commit()
        flash(_("The test is open."), "success")
    return _back(cohort.id)


@bp.post("/<int:cohort_id>/tests/<phase>/close")
def close_test(cohort_id: int, phase: str):
    cohort = get_cohort(cohort_id, by=current_user, action="test.manage")
    try:
        delivery.close_test(cohort, delivery.check_phase(phase), by=current_user)
    except DomainError as error:
        flash(str(error.message), "danger")
    else:
        db.session.commit()
        flash(_("The test is closed; answers saved so far are scored."), "success")
    return _back(cohort.id)


@bp.post("/<int:cohort_id>/tests/<phase>/release")
def release_results(cohort_id: int, phase: str):
    cohort = get_cohort(cohort_id, by=current_user, action="test.manage")
    test = delivery.test_of(cohort, delivery.check_phase(phase))
    test.results_released = request.form.get("release") == "1"
    from lms.core import audit

    audit.record(current_user, "test.release_results", test, released=test.results_released)
    db.session.commit()
    return _back(cohort.id)


@bp.post("/<int:cohort_id>/attempts/<int:attempt_id>/extend")
def extend_time(cohort_id: int, attempt_id: int):
    cohort = get_cohort(cohort_id, by=current_user, action="test.manage")
    attempt = db.session.scalar(
        select(Attempt).where(Attempt.id == attempt_id).options(joinedload(Attempt.test))
    )
    if attempt is None or attempt.test.cohort_id != cohort.id:
        raise NotFound()
    minutes = request.form.get("minutes", "")
    try:
        room.extend_time(attempt, int(minutes) if minutes.isdecimal() else 0, by=current_user)
    except DomainError as error:
        flash(str(error.message), "danger")
    else:
        db.session.commit()
        flash(_("Extra time given."), "success")
    return _back(cohort.id)


@bp.get("/<int:cohort_id>/tests/slips")
def slips(cohort_id: int):
    """Printable personal slips: her name, her link as a QR code, and her short code."""
    cohort = get_cohort(cohort_id, by=current_user, action="test.manage")
    people = roster(cohort)
    passes, created = access.passes_for(people)
    if created:
        # Passes are made on first need; committing expires what the page would show, so
        # show it from a fresh request.
        db.session.commit()
        return redirect(url_for("cohort_tests.slips", cohort_id=cohort_id))
    slips = [(e, passes[e.id], personal_url(passes[e.id])) for e in people]
    return render_template(
        "assessments/slips.html", cohort=cohort, slips=[(e, p, url, qr_svg(url)) for e, p, url in slips]
    )


@bp.route("/<int:cohort_id>/tests/<phase>/paper", methods=["GET", "POST"])
def paper_grid(cohort_id: int, phase: str):
    """A keyboard grid: one row per participant, one column per item (1–4 or А–Г)."""
    cohort = get_cohort(cohort_id, by=current_user, action="scores.enter")
    test = delivery.test_of(cohort, delivery.check_phase(phase))
    form = request.values.get("form") if request.values.get("form") in ("A", "B") else test.form
    columns = paper.grid_columns(cohort, form)
    people = roster(cohort)
    errors: dict = {}
    typed: dict[int, list[str]] = {}
    if request.method == "POST":
        typed = {
            e.id: [request.form.get(f"a-{e.id}-{q.id}", "") for q in columns]
            for e in people
            if any(request.form.get(f"a-{e.id}-{q.id}", "").strip() for q in columns)
        }
        try:
            paper.enter_grid(cohort, phase, form, typed, by=current_user)
        except DomainError as error:
            errors = error.fields
            flash(str(error.message), "danger")
        else:
            db.session.commit()
            flash(_("Paper answers saved and scored."), "success")
            return redirect(url_for("cohort_tests.paper_grid", cohort_id=cohort.id, phase=phase, form=form))
    return (
        render_template(
            "assessments/paper.html",
            cohort=cohort,
            test=test,
            form=form,
            columns=columns,
            people=people,
            typed=typed,
            errors=errors,
        ),
        422 if errors else 200,
    )


@bp.get("/<int:cohort_id>/results")
def results_page(cohort_id: int):
    cohort = get_cohort(cohort_id, by=current_user, action="results.view")
    figures = analytics.results_for([cohort])
    chart = pre_post_svg(
        figures.participants,
        title=_("Pre-test and post-test per participant"),
        pre_label=_("Pre"),
        post_label=_("Post"),
    )
    return render_template(
        "assessments/results.html",
        cohort=cohort,
        figures=figures,
        chart=chart,
        items=analytics.item_analysis([cohort]),
        thresholds=analytics.THRESHOLDS,
    )


@bp.app_context_processor
def _tests_panel_helpers():
    def tests_panel(cohort):
        """The tests card on the cohort page; None when it is not the viewer's job."""
        if cohort is None or not can(current_user, "test.manage", cohort):
            return None
        return delivery.tests_overview(cohort)

    return {"tests_panel": tests_panel}


@bp.get("/<int:cohort_id>/results.xlsx")
def results_xlsx(cohort_id: int):
    """Per participant pre, post, gain, normalized gain and passed; names are neutralised
    against formula injection."""
    from lms.assessments.bank_files import xlsx_bytes

    cohort = get_cohort(cohort_id, by=current_user, action="results.view")
    figures = analytics.results_for([cohort])
    header = [_("Participant"), _("Pre"), _("Post"), _("Gain"), _("Normalized gain"), _("Passed")]
    rows = [
        [
            p.enrollment.user.full_name,
            p.pre,
            p.post,
            p.gain,
            p.normalized_gain,
            "" if p.passed is None else p.passed,
        ]
        for p in figures.participants
    ]
    response = make_response(xlsx_bytes(header, rows))
    response.headers["Content-Type"] = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response.headers["Content-Disposition"] = f'attachment; filename="cohort-{cohort.id}-results.xlsx"'
    return response


@bp.get("/<int:cohort_id>/tests/<phase>/<kind>.pdf")
def paper_pdf(cohort_id: int, phase: str, kind: str):
    """The printable booklet or the participants' answer sheets for a phase."""
    from lms.assessments import printouts

    cohort = get_cohort(cohort_id, by=current_user, action="test.manage")
    test = delivery.test_of(cohort, delivery.check_phase(phase))
    form = request.args.get("form") if request.args.get("form") in ("A", "B") else test.form
    if kind == "booklet":
        data = printouts.booklet_pdf(cohort, phase, form)
    elif kind == "answer-sheets":
        data = printouts.answer_sheets_pdf(cohort, phase, form)
    else:
        raise NotFound()
    response = make_response(data)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="cohort-{cohort.id}-{phase}-{kind}.pdf"'
    return response
