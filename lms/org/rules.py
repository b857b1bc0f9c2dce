"""Rules for geography, and the region scope other features' rules build on."""

from typing import Any

from lms.core.permissions import rule
from lms.org.models import Region


def region_scope(user) -> set[int] | None:
    """Region ids a user oversees as coordinator; ``None`` means every region (admin)."""
    if user.has_role("admin"):
        return None
    if user.has_role("coordinator"):
        return user.region_ids
    return set()


def region_id_of(obj: Any) -> int | None:
    """The region a record belongs to, following district links."""
    if obj is None:
        return None
    if isinstance(obj, Region):
        return obj.id
    if getattr(obj, "region_id", None) is not None:
        return obj.region_id
    district = getattr(obj, "district", None)
    return district.region_id if district is not None else None


def in_region_scope(user, obj: Any) -> bool:
    scope = region_scope(user)
    return scope is None or region_id_of(obj) in scope


def coordinates(user, obj: Any) -> bool:
    """True when ``user`` is a coordinator of the region ``obj`` belongs to."""
    return user.has_role("coordinator") and region_id_of(obj) in user.region_ids


@rule("geography.view")
def _anyone_signed_in(user, obj) -> bool:
    return True


@rule("geography.admin")
def _coordinators(user, obj) -> bool:
    return user.has_role("coordinator")


@rule("region.manage")
def _regions_admin_only(user, obj) -> bool:
    return False


@rule("region.view", "district.manage", "community.manage", "institution.manage")
def _coordinator_in_region(user, obj) -> bool:
    return user.has_role("coordinator") and obj is not None and region_id_of(obj) in user.region_ids
