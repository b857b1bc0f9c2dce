"""Rules for people and their API tokens."""

from lms.core.permissions import rule


@rule("user.manage")
def _admins_only(user, obj) -> bool:
    return False


@rule("user.view")
def _view_user(user, obj) -> bool:
    return obj is not None and obj.id == user.id


@rule("token.manage")
def _own_token(user, obj) -> bool:
    return obj is None or obj.user_id == user.id
