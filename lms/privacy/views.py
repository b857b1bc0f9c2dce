"""Pages: download my data; an admin downloads or erases a person's data."""

from flask import Blueprint, Response, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.core.permissions import permission_required
from lms.extensions import db
from lms.privacy import services

bp = Blueprint("privacy", __name__)


def _download(person) -> Response:
    """Her data and certificates as a ZIP, built before the commit that records the export."""
    person_id = person.id  # read now: the commit expires her
    body = services.export_archive(person, by=current_user)
    db.session.commit()
    return Response(
        body,
        mimetype="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="personal-data-{person_id}.zip"',
            "Cache-Control": "no-store",
        },
    )


@bp.get("/account/data")
def my_data():
    return _download(current_user._get_current_object())


@bp.get("/admin/users/<int:user_id>/data")
@permission_required("user.manage")
def person_data(user_id: int):
    return _download(services.get_person(user_id, by=current_user))


@bp.post("/admin/users/<int:user_id>/erase")
@permission_required("user.manage")
def erase(user_id: int):
    person = services.get_person(user_id, by=current_user, action="privacy.erase")
    if person.id == current_user.id:
        flash(_("You cannot erase your own account."), "danger")
        return redirect(url_for("users_admin.edit", user_id=person.id))
    services.erase_person(person, by=current_user)
    db.session.commit()
    flash(_("The person's data is erased; her trainings stay in the statistics under a pseudonym."), "info")
    return redirect(url_for("users_admin.index"))
