"""Permission rules of the cascade, registered with ``lms.core.permissions``."""

from lms.core.permissions import rule


@rule("cascade.view")
def _see_cascade(user, obj) -> bool:
    """Programme figures: admins everywhere, coordinators for their regions, a trainer her subtree."""
    return user.has_role("coordinator", "trainer")


@rule("cascade.summary")
def _see_summary(user, region_id) -> bool:
    if not user.has_role("coordinator"):
        return False
    return region_id is not None and region_id in user.region_ids


@rule("stepdown.log")
def _log_event(user, obj) -> bool:
    """Trainers log their own events; coordinators log them for trainers of their regions."""
    return user.has_role("trainer", "coordinator")


@rule("cascade.nudges")
def _manage_nudges(user, obj) -> bool:
    """The reminders' page and switches: admins only (admins pass every rule)."""
    return False


@rule("cascade.export")
def _export_tree(user, obj) -> bool:
    """Exporting the tree: whoever sees it (the subtree or region is checked by the service)."""
    return user.has_role("coordinator", "trainer")
