"""Two-factor sign-in pages: enrolment with a QR code and recovery codes for admins and
coordinators, the programme's policy for admins, and an admin's reset for a lost phone."""

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.accounts import services, signin, two_factor
from lms.accounts.forms import EnableTwoFactorForm, SecuritySettingsForm, TwoFactorCodeForm
from lms.core.errors import DomainError, TooManyRequests
from lms.core.forms import show_error_on_form
from lms.core.permissions import permission_required
from lms.extensions import db

bp = Blueprint("security", __name__, template_folder="templates")

# The secret being set up, kept until the first code proves the app has it.
TOTP_SETUP = "_totp_setup"


@bp.route("/account/two-factor", methods=["GET", "POST"])
def two_factor_page():
    user = current_user._get_current_object()
    if not two_factor.may_use(user):
        abort(404)
    if user.two_factor_enabled:
        return _manage(user)
    secret = session.get(TOTP_SETUP) or two_factor.new_secret()
    session[TOTP_SETUP] = secret
    form = EnableTwoFactorForm()
    status = 200
    if form.validate_on_submit():
        try:
            codes = two_factor.enable(user, secret, form.code.data)
        except DomainError as error:
            show_error_on_form(form, error)
            status = 422
        else:
            db.session.commit()
            session.pop(TOTP_SETUP, None)
            flash(_("Two-factor sign-in is on."), "success")
            return render_template("accounts/recovery_codes.html", codes=codes)
    elif form.is_submitted():
        status = 422
    return render_template(
        "accounts/two_factor_setup.html",
        form=form,
        secret=secret,
        qr=two_factor.qr_svg(user, secret),
        required=two_factor.must_use(user),
    ), status


def _manage(user):
    form = TwoFactorCodeForm()
    status = 200
    if form.validate_on_submit():
        action = request.form.get("action")
        try:
            signin.check_second_factor(user, form.code.data, request.remote_addr or "")
            if action == "disable":
                two_factor.disable(user, by=user)
            elif action == "regenerate":
                codes = two_factor.regenerate_recovery_codes(user)
                db.session.commit()
                return render_template("accounts/recovery_codes.html", codes=codes)
            else:
                abort(400)
        except TooManyRequests as error:
            flash(str(error.message), "danger")
            status = 429
        except DomainError as error:
            db.session.rollback()
            show_error_on_form(form, error)
            status = 422
        else:
            db.session.commit()
            flash(_("Two-factor sign-in is off."), "info")
            return redirect(url_for("core.index"))
    elif form.is_submitted():
        status = 422
    return render_template(
        "accounts/two_factor_manage.html",
        form=form,
        unused=two_factor.unused_recovery_codes(user),
        required=two_factor.must_use(user),
    ), status


@bp.route("/admin/security", methods=["GET", "POST"])
@permission_required("security.manage")
def settings():
    current = two_factor.current_settings()
    form = SecuritySettingsForm(obj=current)
    if form.validate_on_submit():
        two_factor.set_required(bool(form.require_two_factor.data), by=current_user)
        db.session.commit()
        flash(_("The sign-in policy is saved."), "success")
        return redirect(url_for(".settings"))
    return render_template("accounts/admin/security.html", form=form)


@bp.post("/admin/users/<int:user_id>/two-factor/reset")
@permission_required("user.manage")
def reset_two_factor(user_id: int):
    user = services.get_user(user_id)
    if user.two_factor_enabled:
        two_factor.disable(user, by=current_user)
        db.session.commit()
        flash(_("Two-factor sign-in of %(name)s is reset.", name=user.full_name), "info")
    return redirect(url_for("users_admin.edit", user_id=user.id))
