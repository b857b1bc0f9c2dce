"""Pages: closing a training, its certificates, a person's certificates, public verification."""

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from lms.certificates import closing, credential, issuance, services
from lms.certificates.models import Certificate
from lms.cohorts import lookup
from lms.core.collation import sort_key
from lms.core.errors import DomainError
from lms.core.permissions import public, require
from lms.extensions import db

bp = Blueprint("certificates", __name__, template_folder="templates")
JOB_REFRESH_SECONDS = 2
PER_PAGE = 50


@bp.get("/verify")
@public
def verify_form():
    code = (request.args.get("code") or "").strip()
    if code:
        return redirect(url_for(".verify", code=code))
    return render_template("certificates/verify.html", certificate=None, code="")


@bp.get("/verify/<code>")
@public
def verify(code: str):
    certificate = services.verify_code(code.strip(), request.remote_addr or "")
    return render_template("certificates/verify.html", certificate=certificate, code=code), (
        200 if certificate else 404
    )


@bp.get("/.well-known/jwks.json")
@public
def jwks():
    """The public keys that sign the certificates' Open Badges credentials."""
    credential.current_key()  # the first visitor finds a key even before the first credential
    return credential.public_jwks()


@bp.get("/certificates/<serial>/credential.jwt")
def credential_download(serial: str):
    certificate = services.by_serial(serial, by=current_user)
    response = Response(credential.signed_credential(certificate), mimetype="application/vc+jwt")
    response.headers["Content-Disposition"] = f'attachment; filename="{certificate.serial}.jwt"'
    return response


@bp.get("/certificates/")
def index():
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    query = services.certificates_query(current_user)
    pagination = db.paginate(query, page=page, per_page=PER_PAGE, error_out=False)
    return render_template("certificates/index.html", pagination=pagination)


@bp.get("/certificates/<serial>")
def detail(serial: str):
    certificate = services.by_serial(serial, by=current_user)
    return render_template("certificates/detail.html", certificate=certificate)


@bp.get("/certificates/<serial>.pdf")
def pdf(serial: str):
    certificate = services.by_serial(serial, by=current_user)
    response = Response(services.pdf_of(certificate), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{certificate.serial}.pdf"'
    return response


@bp.post("/certificates/<serial>/revoke")
def revoke(serial: str):
    certificate = services.by_serial(serial, by=current_user)
    require(current_user, "certificate.revoke", certificate)  # 403 to the holder, not a message
    try:
        services.revoke(certificate, by=current_user, reason=request.form.get("reason", ""))
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "danger")
    else:
        db.session.commit()
        flash(_("Certificate %(serial)s is revoked.", serial=serial), "success")
    return redirect(url_for(".detail", serial=serial))


@bp.post("/certificates/<serial>/reissue")
def reissue(serial: str):
    certificate = services.by_serial(serial, by=current_user)
    require(current_user, "certificate.revoke", certificate)  # 403 to the holder, not a message
    try:
        new = services.reissue(certificate, by=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "danger")
        return redirect(url_for(".detail", serial=serial))
    db.session.commit()
    flash(_("Reissued as %(serial)s.", serial=new.serial), "success")
    return redirect(url_for(".detail", serial=new.serial))


@bp.route("/cohorts/<int:cohort_id>/close", methods=["GET", "POST"])
def close(cohort_id: int):
    cohort = lookup.get_cohort(cohort_id, by=current_user, action="cohort.change_status")
    if cohort.status == "closed":
        return redirect(url_for(".cohort_certificates", cohort_id=cohort.id))
    status = 200
    if request.method == "POST":
        try:
            closing.close_cohort(cohort, by=current_user)
        except DomainError as error:
            db.session.rollback()
            flash(str(error.message), "danger")
            status = error.status
        else:
            db.session.commit()
            return redirect(url_for(".cohort_certificates", cohort_id=cohort.id))
    sessions = sorted(cohort.sessions, key=lambda s: (s.date, s.starts_at))
    return render_template(
        "certificates/close.html", cohort=cohort, gaps=closing.closing_gaps(cohort), sessions=sessions
    ), status


@bp.post("/cohorts/<int:cohort_id>/sessions/<int:session_id>/attendance-not-taken")
def attendance_not_taken(cohort_id: int, session_id: int):
    session = lookup.get_session(session_id, by=current_user, action="attendance.mark")
    if session.cohort_id != cohort_id:
        abort(404)
    try:
        closing.record_attendance_not_taken(session, by=current_user, taken=request.form.get("taken") == "1")
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "danger")
    else:
        db.session.commit()
    return redirect(url_for(".close", cohort_id=cohort_id))


@bp.get("/cohorts/<int:cohort_id>/certificates")
def cohort_certificates(cohort_id: int):
    cohort = lookup.get_cohort(cohort_id, by=current_user, action="cohort.manage")
    job = closing.issuance_job(cohort)
    # The training's list reads like its roster: surname first, in alphabetical order.
    certificates = sorted(
        db.session.scalars(
            services.certificates_query(current_user, cohort_id=cohort.id).options(
                joinedload(Certificate.user)
            )
        ).unique(),
        key=lambda c: (sort_key(c.user.sort_name), c.id),
    )
    flags = services.open_flags(cohort.id)
    running = job is not None and job.status in ("queued", "running")
    response = Response(
        render_template(
            "certificates/cohort.html",
            cohort=cohort,
            job=job,
            running=running,
            certificates=certificates,
            flags=flags,
            refresh=JOB_REFRESH_SECONDS,
        )
    )
    if running:
        response.headers["Refresh"] = str(JOB_REFRESH_SECONDS)
    return response


@bp.post("/cohorts/<int:cohort_id>/certificates/zip")
def start_zip(cohort_id: int):
    cohort = lookup.get_cohort(cohort_id, by=current_user, action="cohort.manage")
    job = closing.start_zip(cohort, by=current_user)
    db.session.commit()
    return redirect(url_for(".zip_status", cohort_id=cohort.id, job_id=job.id))


@bp.get("/cohorts/<int:cohort_id>/certificates/zip/<int:job_id>")
def zip_status(cohort_id: int, job_id: int):
    cohort = lookup.get_cohort(cohort_id, by=current_user, action="cohort.manage")
    job = closing.zip_job(cohort, job_id)
    running = job.status in ("queued", "running")
    response = Response(render_template("certificates/zip.html", cohort=cohort, job=job, running=running))
    if running:
        response.headers["Refresh"] = str(JOB_REFRESH_SECONDS)
    return response


@bp.get("/cohorts/<int:cohort_id>/certificates/zip/<int:job_id>/download")
def zip_download(cohort_id: int, job_id: int):
    cohort = lookup.get_cohort(cohort_id, by=current_user, action="cohort.manage")
    job = closing.zip_job(cohort, job_id)
    path = issuance.zip_path(job)
    if job.status != "done" or not path.exists():
        abort(404)
    return send_file(
        path,
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"certificates-{cohort.course.code}-{cohort.id}.zip",
    )
