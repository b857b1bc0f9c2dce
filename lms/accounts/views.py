"""Signing in and out (with the second factor), password reset and change, and API tokens."""

import time

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from lms.accounts import onboarding, services, signin
from lms.accounts.forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    ResetPasswordForm,
    TokenForm,
    TwoFactorCodeForm,
)
from lms.accounts.models import User
from lms.core.errors import DomainError, TooManyRequests
from lms.core.forms import show_error_on_form
from lms.core.permissions import public
from lms.core.views import _safe_next
from lms.extensions import db

bp = Blueprint("accounts", __name__, template_folder="templates")

PROFILE_COLUMNS = ["full_name", "full_name_latin", "surname", "sort_name", "phone", "locale", "search_text"]

# The person who passed the password step and still owes the second factor.
PENDING = "_second_factor"
# A participant's limited test session (lms.assessments.take.SESSION_KEY): it acts as her.
TAKE_SESSION_KEY = "test_pass"


def _client_address() -> str:
    return request.remote_addr or ""


def _finish_sign_in(user: User, remember: bool):
    signin.complete_sign_in(user, remember=remember, ip=_client_address())
    # Signed in before the commit expires the person's attributes (no reload needed).
    login_user(user, remember=remember)
    session.pop(TAKE_SESSION_KEY, None)  # a test pass left by someone else on this browser acts as her
    session["lang"] = user.locale
    db.session.commit()
    return redirect(_safe_next(request.args.get("next")) or url_for("core.index"))


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("core.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = signin.authenticate(form.email.data, form.password.data, _client_address())
        except TooManyRequests as error:
            flash(str(error.message), "danger")
            status = 429
        except DomainError as error:
            show_error_on_form(form, error)
            status = 422
        else:
            if not user.two_factor_enabled:
                return _finish_sign_in(user, bool(form.remember.data))
            db.session.commit()
            session[PENDING] = {
                "id": user.id,
                "nonce": user.session_nonce,
                "remember": bool(form.remember.data),
                "at": time.time(),
            }
            return redirect(url_for("accounts.login_second_factor", next=request.args.get("next")))
    elif form.is_submitted():
        status = 422
    return render_template("accounts/login.html", form=form), status


def _pending_user() -> User | None:
    pending = session.get(PENDING)
    if not isinstance(pending, dict):
        return None
    if time.time() - float(pending.get("at", 0)) > current_app.config["TWO_FACTOR_PENDING_SECONDS"]:
        session.pop(PENDING, None)
        return None
    user = db.session.get(User, int(pending.get("id", 0)))
    if user is None or not user.active or user.session_nonce != pending.get("nonce"):
        return None
    return user


@bp.route("/login/code", methods=["GET", "POST"])
@public
def login_second_factor():
    user = _pending_user()
    if user is None:
        flash(_("Sign in again: the step with the code has expired."), "info")
        return redirect(url_for("accounts.login"))
    form = TwoFactorCodeForm()
    status = 200
    if form.validate_on_submit():
        try:
            signin.check_second_factor(user, form.code.data, _client_address())
        except TooManyRequests as error:
            session.pop(PENDING, None)
            flash(str(error.message), "danger")
            return redirect(url_for("accounts.login"))
        except DomainError as error:
            show_error_on_form(form, error)
            status = 422
        else:
            remember = bool(session.pop(PENDING)["remember"])
            return _finish_sign_in(user, remember)
    elif form.is_submitted():
        status = 422
    return render_template("accounts/login_code.html", form=form), status


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        signin.sign_out(current_user._get_current_object())
        db.session.commit()
    logout_user()
    session.pop(PENDING, None)
    session.pop(TAKE_SESSION_KEY, None)  # her test pass (take.mine) ends with her session
    flash(_("You have signed out."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@public
def forgot_password():
    form = ForgotPasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            signin.request_password_reset(form.email.data, _client_address())
        except TooManyRequests as error:
            flash(str(error.message), "danger")
            status = 429
        else:
            db.session.commit()
            flash(
                _("If this address belongs to an account, we have sent a link to reset the password."), "info"
            )
            return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot_password.html", form=form), status


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str):
    try:
        signin.user_for_reset_token(token)
    except DomainError as error:
        flash(str(error.message), "danger")
        return redirect(url_for("accounts.forgot_password"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            signin.reset_password(token, form.password.data)
        except DomainError as error:
            show_error_on_form(form, error)
        else:
            db.session.commit()
            logout_user()
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
            flash(_("Your password is saved. Welcome to Cascade LMS!"), "success")
            return _finish_sign_in(user, remember=False)
    return render_template("accounts/set_password.html", form=form, user=user)


@bp.route("/account/password", methods=["GET", "POST"])
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            signin.change_password(
                user, form.current_password.data, form.new_password.data, _client_address()
            )
        except TooManyRequests as error:
            flash(str(error.message), "danger")
        except DomainError as error:
            show_error_on_form(form, error)
        else:
            # Every session ended; this device continues in a new one.
            signin.complete_sign_in(user, remember=False, ip=_client_address())
            db.session.commit()
            login_user(user)
            flash(_("Your password is changed. Other devices have been signed out."), "success")
            return redirect(url_for("core.index"))
    return render_template("accounts/change_password.html", form=form)


@bp.route("/account/profile", methods=["GET", "POST"])
def profile():
    """Her own name (full name and which word is the surname), phone and language; recorded in
    the audit log like any change to a person. Links to her password, tokens and data."""
    user = current_user._get_current_object()
    form = ProfileForm(obj=user)
    status = 200
    if form.validate_on_submit():
        try:
            services.update_user(
                user,
                by=user,
                full_name=form.full_name.data,
                surname=form.surname.data,
                phone=form.phone.data,
                locale=form.locale.data,
            )
        except DomainError as error:
            # Nothing is saved: the page shows her name as it was (the request ends uncommitted).
            db.session.expire(user, PROFILE_COLUMNS)
            show_error_on_form(form, error)
            status = 422
        else:
            session["lang"] = user.locale
            db.session.commit()
            flash(_("Your profile is saved."), "success")
            return redirect(url_for("accounts.profile"))
    elif form.is_submitted():
        status = 422
    return render_template("accounts/profile.html", form=form, user=user), status


@bp.route("/account/tokens", methods=["GET", "POST"])
def tokens():
    form = TokenForm()
    new_token = None
    user = current_user._get_current_object()
    if form.validate_on_submit():
        try:
            if user.two_factor_enabled:
                signin.check_second_factor(user, form.code.data or "", _client_address())
        except DomainError as error:
            show_error_on_form(form, error)
        else:
            _token, new_token = services.create_token(user, name=form.name.data)
            db.session.commit()
            form = TokenForm(formdata=None)
    return render_template(
        "accounts/tokens.html",
        form=form,
        tokens=services.list_tokens(user),
        new_token=new_token,
        needs_code=user.two_factor_enabled,
    )


@bp.post("/account/tokens/<int:token_id>/revoke")
def revoke_token(token_id: int):
    services.revoke_token(token_id, by=current_user)
    db.session.commit()
    flash(_("The token is revoked."), "info")
    return redirect(url_for("accounts.tokens"))
