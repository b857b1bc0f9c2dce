"""Permission rules of the reports, registered with ``lms.core.permissions``."""

from lms.core.permissions import rule


@rule("reports.view")
def _see_reports(user, region_ids) -> bool:
    """Admins see the whole programme; a coordinator the regions she coordinates, never another.
    ``region_ids`` is the set a report asks for (``None``: the viewer's whole scope)."""
    if not user.has_role("coordinator"):
        return False
    return region_ids is None or set(region_ids) <= user.region_ids
