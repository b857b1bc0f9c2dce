"""Who may change the programme's sign-in policy (imported by the accounts package)."""

from lms.core.permissions import rule


@rule("security.manage")
def _admins_only(user, obj) -> bool:
    return False  # admins pass every rule before it is asked
