"""Rules for people, their API tokens and the programme's sign-in policy."""

from lms.core.permissions import rule


@rule("security.manage")
def _admins_only(user, obj) -> bool:
    return False  # admins pass every rule before it is asked


@rule("user.manage")
def _admins_only(user, obj) -> bool:
    return False


@rule("user.edit_profile")
def _edit_own_profile(user, obj) -> bool:
    """Her own name, phone, position and language; another person's only an admin's."""
    return obj is not None and obj.id == user.id


@rule("user.list")
def _list_people(user, obj) -> bool:
    """The people list: admins (everyone) and coordinators (``people_in_scope``)."""
    return user.has_role("coordinator")


@rule("user.view")
def _view_user(user, obj) -> bool:
    """Herself; a coordinator also the people of her regions (``people_in_scope``)."""
    if obj is None:
        return False
    if obj.id == user.id:
        return True
    if not user.has_role("coordinator") or not user.region_ids:
        return False
    from lms.accounts.scope import in_coordinator_scope

    return in_coordinator_scope(user, obj)


@rule("token.manage")
def _own_token(user, obj) -> bool:
    return obj is None or obj.user_id == user.id
