"""Who may export or erase a person's data (admins pass every rule in ``can``)."""

from lms.core.permissions import rule


@rule("privacy.export")
def _own_data(user, person) -> bool:
    return person is not None and person.id == user.id


@rule("privacy.erase")
def _admins_erase(user, person) -> bool:
    return False
