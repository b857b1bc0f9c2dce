"""Pages for the participant taking a test, opened by her personal link or by the room's link
with her name and code. They run in a limited session (her enrolment id, not her account):
they show her own tests and results and nothing else."""

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from lms.assessments import access, delivery
from lms.assessments.completion import completion_status
from lms.assessments.models import PHASES, Attempt, CohortTest
from lms.cohorts.attendance import roster
from lms.cohorts.models import Cohort, Enrollment
from lms.core.errors import DomainError, NotFound, ValidationError
from lms.core.permissions import public
from lms.extensions import db

bp = Blueprint("take", __name__, url_prefix="/t", template_folder="templates")

SESSION_KEY = "test_pass"


def _open_pass(enrollment: Enrollment) -> None:
    session[SESSION_KEY] = enrollment.id
    session.permanent = False


def current_enrollment() -> Enrollment:
    """The enrolment of this limited session, still valid today; else 404 (and the pass ends)."""
    enrollment_id = session.get(SESSION_KEY)
    enrollment = None
    if isinstance(enrollment_id, int):
        enrollment = db.session.scalars(
            select(Enrollment)
            .options(joinedload(Enrollment.user), joinedload(Enrollment.cohort).joinedload(Cohort.course))
            .where(Enrollment.id == enrollment_id)
        ).first()
    if enrollment is None or not access._usable(enrollment, None):
        session.pop(SESSION_KEY, None)
        raise NotFound(_("Open your personal link again, or ask the trainer for your code."))
    return enrollment


@bp.get("/p/<token>")
@public
def personal_link(token: str):
    enrollment = access.enrollment_from_token(token)
    _open_pass(enrollment)
    return redirect(url_for("take.home"))


@bp.get("/mine/<int:enrollment_id>")
def mine(enrollment_id: int):
    """A signed-in participant opens her own tests from her home page (``?phase=pre|post`` goes
    straight to one). Only her own enrolment, still enrolled, during the training's dates; any
    other (also for admins: a pass acts as her) is not found."""
    enrollment = db.session.scalars(
        select(Enrollment).options(joinedload(Enrollment.cohort)).where(Enrollment.id == enrollment_id)
    ).first()
    if enrollment is None or enrollment.user_id != current_user.id or not access._usable(enrollment, None):
        raise NotFound(_("This test is not open for you."))
    _open_pass(enrollment)
    phase = request.args.get("phase")
    if phase in PHASES:
        return redirect(url_for("take.attempt_page", phase=phase))
    return redirect(url_for("take.home"))


@bp.route("/r/<room_code>", methods=["GET", "POST"])
@public
def room(room_code: str):
    """The room's link: pick your name, confirm with the code on your slip."""
    test = access.test_from_room_code(room_code)
    people = roster(test.cohort)
    error = None
    status = 200
    if request.method == "POST":
        try:
            enrollment_id = int(request.form.get("enrollment_id", ""))
        except ValueError:
            enrollment_id = 0
        try:
            enrollment = access.confirm_code(
                test, enrollment_id, request.form.get("code", ""), ip=request.remote_addr or ""
            )
        except DomainError as refused:
            db.session.commit()  # a wrong code is recorded for the throttle
            error, status = str(refused.message), refused.status
        else:
            _open_pass(enrollment)
            return redirect(url_for("take.attempt_page", phase=test.phase))
    return (
        render_template("assessments/take/room.html", test=test, people=people, error=error),
        status,
    )


@bp.get("/")
@public
def home():
    enrollment = current_enrollment()
    tests = {
        t.phase: t
        for t in db.session.scalars(select(CohortTest).where(CohortTest.cohort_id == enrollment.cohort_id))
    }
    attempts = {
        a.test_id: a
        for a in db.session.scalars(select(Attempt).where(Attempt.enrollment_id == enrollment.id))
    }
    rows = [
        (phase, tests.get(phase), attempts.get(tests[phase].id) if phase in tests else None)
        for phase in ("pre", "post")
    ]
    return render_template("assessments/take/home.html", enrollment=enrollment, rows=rows)


def _test_and_attempt(phase: str, *, start: bool):
    enrollment = current_enrollment()
    test = delivery.test_of(enrollment.cohort, delivery.check_phase(phase), create=False)
    if test is None:
        raise NotFound(_("This test has not been opened yet."))
    attempt = delivery.start_attempt(test, enrollment) if start else delivery.attempt_of(test, enrollment)
    if attempt is None:
        raise NotFound(_("You have not started this test."))
    return enrollment, test, attempt


def _own_target(phase: str, question_id: int | None = None) -> delivery.AnswerTarget:
    """Her attempt at ``phase`` for the limited session (with the version of ``question_id``
    she answers), read in one statement: answers are saved one request each, so this path is
    kept short."""
    enrollment_id = session.get(SESSION_KEY)
    target = None
    if isinstance(enrollment_id, int):
        phase = delivery.check_phase(phase)
        target = (
            delivery.attempt_target(enrollment_id, phase)
            if question_id is None
            else delivery.answer_target(enrollment_id, phase, question_id)
        )
    if target is None or not target.usable:
        raise NotFound(_("You have not started this test."))
    return target


@bp.get("/<phase>")
@public
def attempt_page(phase: str):
    enrollment = current_enrollment()
    test = delivery.test_of(enrollment.cohort, delivery.check_phase(phase), create=False)
    attempt = delivery.attempt_of(test, enrollment) if test is not None else None
    if attempt is None:
        try:
            _test_and_attempt(phase, start=True)
        except delivery.TestUnavailable as unavailable:
            flash(str(unavailable.message), "warning")
            return redirect(url_for("take.home"))
        db.session.commit()
        # Started: show it from a fresh request, as every later visit will be.
        return redirect(url_for("take.attempt_page", phase=phase, mode=request.args.get("mode")))
    if attempt.submitted_at is not None:
        return render_template(
            "assessments/take/done.html", enrollment=enrollment, test=test, attempt=attempt
        )
    items = delivery.items_of(attempt)
    saved = delivery.saved_answers(attempt)
    return render_template(
        "assessments/take/test.html",
        enrollment=enrollment,
        test=test,
        attempt=attempt,
        items=items,
        saved=saved,
        mode="all" if request.args.get("mode") == "all" else "one",
    )


@bp.post("/<phase>/answer")
@public
def save_answer(phase: str):
    """Save one answer (JSON ``{"question_id", "choice_ids"}``) as soon as it is given: one
    statement reads her attempt and the question's version, one keeps the answer."""
    if not isinstance(session.get(SESSION_KEY), int):
        raise NotFound(_("You have not started this test."))  # no pass: before reading the body
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ValidationError(_("Send the answer as JSON."))
    question_id, choice_ids = data.get("question_id"), data.get("choice_ids")
    if (
        not isinstance(question_id, int)
        or not isinstance(choice_ids, list)
        or not all(isinstance(c, int) for c in choice_ids)
    ):
        raise ValidationError(_("An answer names a question and a list of options."))
    delivery.save_to(_own_target(phase, question_id), question_id, choice_ids[:10])
    db.session.commit()
    return jsonify({"saved": True, "question_id": question_id})


@bp.post("/<phase>/submit")
@public
def submit(phase: str):
    """Score and close her attempt: one statement reads it, three score it."""
    outcome = delivery.submit_target(_own_target(phase))
    db.session.commit()
    if outcome == "late":
        message = _(
            "Time was up before you submitted. The answers you saved before the deadline are counted."
        )
        if request.is_json:
            return jsonify({"error": {"code": "deadline_passed", "message": message, "fields": {}}}), 409
        flash(message, "warning")
    elif request.is_json:
        return jsonify({"submitted": True})
    return redirect(url_for("take.attempt_page", phase=phase))


@bp.get("/results")
@public
def results():
    """Her pre and post score and topics, once the trainer has released the results."""
    from lms.assessments.personal import personal_results

    enrollment = current_enrollment()
    report = personal_results(enrollment)
    if report is None:
        abort(404)
    return render_template(
        "assessments/take/results.html",
        enrollment=enrollment,
        report=report,
        status=completion_status(enrollment),
    )


@bp.post("/leave")
@public
def leave():
    session.pop(SESSION_KEY, None)
    flash(_("You have left the test pages."), "info")
    return redirect(url_for("take.left"))


@bp.get("/left")
@public
def left():
    return render_template("assessments/take/left.html")
