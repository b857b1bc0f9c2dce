"""Rules for people, their API tokens and the programme's sign-in policy."""

from lms.core.permissions import rule


@rule("security.manage")
def _admins_only(user, obj) -> bool:
    return False  # admins pass every rule before it is asked


@rule("user.manage")
def _admins_only(user, obj) -> bool:
    return False


@rule("user.view")
def _view_user(user, obj) -> bool:
    return obj is not None and obj.id == user.id


@rule("token.manage")
def _own_token(user, obj) -> bool:
    return obj is None or obj.user_id == user.id
