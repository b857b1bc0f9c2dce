"""Signing in and out, password reset and change, and personal API tokens."""

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from lms.accounts import onboarding, services
from lms.accounts.forms import ChangePasswordForm, ForgotPasswordForm, LoginForm, ResetPasswordForm, TokenForm
from lms.core.errors import DomainError, TooManyRequests
from lms.core.forms import show_error_on_form
from lms.core.permissions import public
from lms.core.views import _safe_next
from lms.extensions import db

bp = Blueprint("accounts", __name__, template_folder="templates")


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("core.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data, request.remote_addr or "")
        except TooManyRequests as error:
            flash(str(error.message), "danger")
            status = 429
        except DomainError as error:
            show_error_on_form(form, error)
            status = 422
        else:
            db.session.commit()
            login_user(user, remember=form.remember.data)
            session["lang"] = user.locale
            return redirect(_safe_next(request.args.get("next")) or url_for("core.index"))
    elif form.is_submitted():
        status = 422
    return render_template("accounts/login.html", form=form), status


@bp.post("/logout")
def logout():
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@public
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        db.session.commit()
        flash(_("If this address belongs to an account, we have sent a link to reset the password."), "info")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str):
    try:
        services.user_for_reset_token(token)
    except DomainError as error:
        flash(str(error.message), "danger")
        return redirect(url_for("accounts.forgot_password"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(token, form.password.data)
        except DomainError as error:
            show_error_on_form(form, error)
        else:
            db.session.commit()
            flash(_("Your password is changed. Sign in with the new one."), "success")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_password.html", form=form)


@bp.route("/password/set/<token>", methods=["GET", "POST"])
@public
def set_password(token: str):
    """The link in a welcome or invitation email: a new person chooses her password, once."""
    try:
        user = onboarding.user_for_set_password_token(token)
    except DomainError as error:
        flash(str(error.message), "danger")
        return redirect(url_for("accounts.forgot_password"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            user = onboarding.set_first_password(token, form.password.data)
        except DomainError as error:
            show_error_on_form(form, error)
        else:
            # Signed in before the commit expires the person's attributes (no reload needed).
            login_user(user)
            session["lang"] = user.locale
            db.session.commit()
            flash(_("Your password is saved. Welcome to Cascade LMS!"), "success")
            return redirect(url_for("core.index"))
    return render_template("accounts/set_password.html", form=form, user=user)


@bp.route("/account/password", methods=["GET", "POST"])
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data, form.new_password.data)
        except DomainError as error:
            show_error_on_form(form, error)
        else:
            db.session.commit()
            login_user(current_user._get_current_object())  # a new session id replaces the ended one
            flash(_("Your password is changed. Other devices have been signed out."), "success")
            return redirect(url_for("core.index"))
    return render_template("accounts/change_password.html", form=form)


@bp.route("/account/tokens", methods=["GET", "POST"])
def tokens():
    form = TokenForm()
    new_token = None
    if form.validate_on_submit():
        _token, new_token = services.create_token(current_user, name=form.name.data)
        db.session.commit()
        form = TokenForm(formdata=None)
    return render_template(
        "accounts/tokens.html", form=form, tokens=services.list_tokens(current_user), new_token=new_token
    )


@bp.post("/account/tokens/<int:token_id>/revoke")
def revoke_token(token_id: int):
    services.revoke_token(token_id, by=current_user)
    db.session.commit()
    flash(_("The token is revoked."), "info")
    return redirect(url_for("accounts.tokens"))
