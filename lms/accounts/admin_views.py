"""Admin pages for people: search, create, edit roles and scope, deactivate."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from lms.accounts import (
    names,
    onboarding,
    services,
    signin,
)
from lms.accounts.forms import ROLE_LABELS, UserForm
from lms.accounts.models import ROLES, User, UserRole
from lms.accounts.scope import people_in_scope
from lms.accounts.services import with_person
from lms.core.collation import by_name
from lms.core.errors import Conflict, DomainError, NotFound
from lms.core.forms import show_error_on_form
from lms.core.permissions import can, permission_required
from lms.extensions import db
from lms.org.models import District, Institution, Region

bp = Blueprint("users_admin", __name__, url_prefix="/admin/users", template_folder="templates")

PER_PAGE = 25


def _fill_choices(form: UserForm) -> None:
    institutions = db.session.execute(
        select(Institution.id, Institution.name, District.name)
        .join(District, Institution.district_id == District.id)
        .order_by(by_name(Institution.name, Institution.name_en), Institution.id)
    ).all()
    form.institution_id.choices = [(0, "—")] + [
        (i, f"{name} ({district})") for i, name, district in institutions
    ]
    form.region_ids.choices = [
        (r.id, r.display_name)
        for r in db.session.scalars(select(Region).order_by(by_name(Region.name, Region.name_en)))
    ]


def _warn_about_name(user: User) -> None:
    warning = names.one_word_warning(user.full_name)
    if warning:
        flash(str(warning), "warning")


@bp.get("/")
@permission_required("user.list")
def index():
    """People, surname first in Ukrainian order: everyone for admins; for a coordinator the
    people of her regions (``lms.accounts.scope``)."""
    q = request.args.get("q", "").strip()
    role = request.args.get("role", "")
    query = people_in_scope(
        current_user,
        select(User)
        .options(selectinload(User.role_rows), selectinload(User.regions), joinedload(User.institution))
        .order_by(by_name(User.sort_name), User.id),
    )
    if q:
        query = query.where(User.search_text.contains(q.casefold(), autoescape=True))
    if role in ROLES:
        query = query.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == role)))
    page = db.paginate(query, per_page=PER_PAGE, max_per_page=100, error_out=False)
    return render_template(
        "accounts/admin/users.html",
        page=page,
        q=q,
        role=role,
        roles=ROLES,
        role_labels=ROLE_LABELS,
        manage=can(current_user, "user.manage"),
    )


@bp.get("/<int:user_id>/view")
def person(user_id: int):
    """A person's profile, read only: for a coordinator, the people of her regions (others are
    not found); admins edit instead."""
    user = (
        db.session.scalars(
            with_person(select(User).where(User.id == user_id)).options(joinedload(User.institution))
        )
        .unique()
        .one_or_none()
    )
    if user is None or not can(current_user, "user.view", user):
        raise NotFound(_("No such person."))
    return render_template(
        "accounts/admin/person.html",
        user=user,
        roles=ROLES,
        role_labels=ROLE_LABELS,
        manage=can(current_user, "user.manage"),
    )


@bp.route("/new", methods=["GET", "POST"])
@permission_required("user.manage")
def create():
    form = UserForm()
    _fill_choices(form)
    if request.method == "GET":
        form.roles.data = ["participant"]
    existing = None
    if form.validate_on_submit():
        try:
            user = services.create_user(
                by=current_user,
                email=form.email.data,
                full_name=form.full_name.data,
                surname=form.surname.data,
                full_name_latin=form.full_name_latin.data,
                phone=form.phone.data,
                position=form.position.data,
                institution_id=form.institution_id.data or None,
                roles=form.roles.data,
                region_ids=form.region_ids.data,
                password=form.password.data or None,
            )
            onboarding.queue_welcome(user, by=current_user)
        except DomainError as error:
            db.session.rollback()
            show_error_on_form(form, error)
            if isinstance(error, Conflict):  # offer the person who has this email, not a dead end
                existing = services.find_user_by_email(form.email.data or "")
        else:
            db.session.commit()
            flash(_("%(name)s is added.", name=user.full_name), "success")
            _warn_about_name(user)
            return redirect(url_for(".index"))
    return render_template("accounts/admin/user_form.html", form=form, user=None, existing=existing)


@bp.route("/<int:user_id>", methods=["GET", "POST"])
@permission_required("user.manage")
def edit(user_id: int):
    user = services.get_user(user_id)
    form = UserForm(obj=user)
    _fill_choices(form)
    if request.method == "GET":
        form.roles.data = sorted(user.roles)
        form.region_ids.data = sorted(user.region_ids)
        form.institution_id.data = user.institution_id or 0
    if form.validate_on_submit():
        try:
            services.update_user(
                user,
                by=current_user,
                email=form.email.data,
                full_name=form.full_name.data,
                surname=form.surname.data,
                full_name_latin=form.full_name_latin.data,
                phone=form.phone.data,
                position=form.position.data,
                institution_id=form.institution_id.data or None,
                roles=form.roles.data,
                region_ids=form.region_ids.data,
                active=form.active.data,
            )
            if form.password.data:
                signin.set_new_password(user, form.password.data, by=current_user, action="user.password_set")
        except DomainError as error:
            db.session.rollback()
            show_error_on_form(form, error)
        else:
            db.session.commit()
            flash(_("Changes to %(name)s are saved.", name=user.full_name), "success")
            _warn_about_name(user)
            return redirect(url_for(".index"))
    return render_template("accounts/admin/user_form.html", form=form, user=user)


@bp.post("/<int:user_id>/active")
@permission_required("user.manage")
def set_active(user_id: int):
    user = services.get_user(user_id)
    active = request.form.get("active") == "1"
    try:
        services.update_user(user, by=current_user, active=active)
    except DomainError as error:
        flash(str(error.message), "danger")
        return redirect(url_for(".edit", user_id=user.id))
    db.session.commit()
    flash(
        _("%(name)s is now active.", name=user.full_name)
        if active
        else _("%(name)s is deactivated and signed out.", name=user.full_name),
        "info",
    )
    return redirect(url_for(".index"))
