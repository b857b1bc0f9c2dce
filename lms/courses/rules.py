"""Rules for the course catalogue and trainers' accreditations."""

from lms.core.permissions import rule


@rule("course.view")
def _catalogue_is_for_everyone_signed_in(user, obj) -> bool:
    return True


@rule("course.manage", "accreditation.grant")
def _course_admin_only(user, obj) -> bool:
    return False


@rule("accreditation.view")
def _view_accreditations(user, obj) -> bool:
    """Coordinators see accreditations; a trainer sees her own (lists are filtered by service)."""
    if obj is None:
        return user.has_role("coordinator", "trainer")
    return user.has_role("coordinator") or obj.user_id == user.id
