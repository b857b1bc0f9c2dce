"""Permission rules of certificates, registered with ``lms.core.permissions``."""

from lms.core.permissions import rule
from lms.org.rules import region_id_of


def _coordinates(user, certificate) -> bool:
    return user.has_role("coordinator") and region_id_of(certificate.cohort) in user.region_ids


@rule("certificate.view")
def _see_certificate(user, certificate) -> bool:
    """The holder, the training's trainers and the region's coordinator."""
    if certificate is None:
        return False
    return (
        certificate.user_id == user.id
        or user.id in certificate.cohort.trainer_ids
        or _coordinates(user, certificate)
    )


@rule("certificate.revoke")
def _revoke_certificate(user, certificate) -> bool:
    """Revoke or reissue: the region's coordinator (and admins)."""
    return certificate is not None and _coordinates(user, certificate)


@rule("certificate.list")
def _list_certificates(user, obj) -> bool:
    return True
