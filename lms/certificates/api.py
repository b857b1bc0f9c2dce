"""API: closing a training, certificates, public verification."""

import marshmallow as ma
from flask import Response, request, url_for
from flask_login import current_user
from flask_smorest import Blueprint

from lms.api.common import ErrorSchema, JobSchema, PageArgs, page_of, paginate
from lms.certificates import closing, credential, services
from lms.cohorts import lookup
from lms.core.errors import NotFound
from lms.core.permissions import public
from lms.extensions import db

blp = Blueprint("certificates_api", __name__, description="Certificates: issue, verify, revoke")


class CertificateSchema(ma.Schema):
    serial = ma.fields.String()
    kind = ma.fields.String(metadata={"enum": ["participation", "trainer"]})
    status = ma.fields.String(metadata={"enum": ["valid", "revoked", "superseded"]})
    holder_name = ma.fields.String()
    holder_name_latin = ma.fields.String()
    user_id = ma.fields.Integer()
    cohort_id = ma.fields.Integer()
    enrollment_id = ma.fields.Integer()
    course_title = ma.fields.String()
    course_title_en = ma.fields.String()
    issued_on = ma.fields.Date()
    hours = ma.fields.Float()
    ects_credits = ma.fields.Float()
    verification_url = ma.fields.String()
    sha256 = ma.fields.String()
    revoked_reason = ma.fields.String(allow_none=True)
    superseded_by = ma.fields.Function(lambda c: c.superseded_by.serial if c.superseded_by else None)


CertificatePage = page_of(CertificateSchema)


class CertificateFilters(PageArgs):
    cohort_id = ma.fields.Integer(load_default=None, validate=ma.validate.Range(min=1, max=2**31 - 1))
    user_id = ma.fields.Integer(load_default=None, validate=ma.validate.Range(min=1, max=2**31 - 1))


class CertificateRevokeSchema(ma.Schema):
    reason = ma.fields.String(required=True)


class CloseResponseSchema(ma.Schema):
    job = ma.fields.Nested(JobSchema)


class VerificationSchema(ma.Schema):
    valid = ma.fields.Boolean()
    status = ma.fields.String()
    holder_name = ma.fields.String()
    course_title = ma.fields.String()
    issued_on = ma.fields.Date()
    hours = ma.fields.Float()
    ects_credits = ma.fields.Float()
    revoked_reason = ma.fields.String(allow_none=True)
    superseded_by = ma.fields.String(allow_none=True, metadata={"description": "The serial of the new one."})


@blp.route("/cohorts/<int:cohort_id>/close", methods=["POST"])
@blp.alt_response(
    409,
    schema=ErrorSchema,
    description="The cohort is already closed, or attendance or scores are missing (`fields.missing`)",
)
@blp.response(202, CloseResponseSchema)
def close_cohort(cohort_id: int):
    """Close the training (409 with what is missing) and start issuing certificates."""
    cohort = lookup.get_cohort(cohort_id, by=current_user, action="cohort.change_status")
    job = closing.close_cohort(cohort, by=current_user)
    db.session.commit()
    return {"job": job}


@blp.route("/certificates", methods=["GET"])
@blp.arguments(CertificateFilters, location="query")
@blp.response(200, CertificatePage)
def list_certificates(args):
    """Certificates you may see: your own, your trainings', your regions'."""
    query = services.certificates_query(
        current_user, cohort_id=args.pop("cohort_id"), user_id=args.pop("user_id")
    )
    return paginate(query, args)


@blp.route("/me/certificates", methods=["GET"])
@blp.arguments(PageArgs, location="query")
@blp.response(200, CertificatePage)
def my_certificates(args):
    """The signed-in person's own certificates."""
    return paginate(services.certificates_query(current_user, user_id=current_user.id), args)


@blp.route("/certificates/<serial>", methods=["GET"])
@blp.response(200, CertificateSchema)
def get_certificate(serial: str):
    return services.by_serial(serial, by=current_user)


@blp.route("/certificates/<serial>/pdf", methods=["GET"])
@blp.response(200, description="The PDF")
@blp.doc(
    responses={
        "200": {
            "description": "The PDF",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
)
def get_pdf(serial: str):
    certificate = services.by_serial(serial, by=current_user)
    return Response(services.pdf_of(certificate), mimetype="application/pdf")


@blp.route("/certificates/<serial>/revoke", methods=["POST"])
@blp.alt_response(409, schema=ErrorSchema, description="Only a valid certificate can be revoked")
@blp.arguments(CertificateRevokeSchema)
@blp.response(200, CertificateSchema)
def revoke(body, serial: str):
    """Revoke with a reason (coordinators of the region, admins)."""
    certificate = services.revoke(
        services.by_serial(serial, by=current_user), by=current_user, reason=body["reason"]
    )
    db.session.commit()
    return certificate


@blp.route("/certificates/<serial>/reissue", methods=["POST"])
@blp.alt_response(409, schema=ErrorSchema, description="Only a valid certificate can be reissued")
@blp.response(201, CertificateSchema)
def reissue(serial: str):
    """Issue a corrected certificate; the old one is superseded and points to it."""
    certificate = services.reissue(services.by_serial(serial, by=current_user), by=current_user)
    db.session.commit()
    return certificate


class CredentialSchema(ma.Schema):
    credential = ma.fields.Dict(metadata={"description": "The OpenBadgeCredential (unsigned form)."})
    jwt = ma.fields.String(
        metadata={"description": "The credential secured as a compact JWS (vc+jwt, EdDSA)."}
    )
    jwks_url = ma.fields.String(metadata={"description": "Where the issuer's public keys are published."})


@blp.route("/certificates/<serial>/credential", methods=["GET"])
@blp.response(200, CredentialSchema)
def get_credential(serial: str):
    """The certificate as a signed Open Badges 3.0 credential."""
    certificate = services.by_serial(serial, by=current_user)
    return {
        "credential": credential.credential_of(certificate),
        "jwt": credential.signed_credential(certificate),
        "jwks_url": url_for("certificates.jwks", _external=True),
    }


@blp.route("/verify/<code>", methods=["GET"])
@blp.alt_response(429, schema=ErrorSchema, description="Too many verification attempts from the address")
@blp.response(200, VerificationSchema)
@public
def verify(code: str):
    """Public: whether a certificate is valid, with the holder, course and date — nothing more."""
    certificate = services.verify_code(code, request.remote_addr or "")
    if certificate is None:
        raise NotFound("No certificate has this code.")
    if certificate.user.erased_at is not None:  # erased on request: the status alone
        return {"valid": certificate.status == "valid", "status": certificate.status}
    return {
        "valid": certificate.status == "valid",
        "status": certificate.status,
        "holder_name": certificate.holder_name,
        "course_title": certificate.course_title,
        "issued_on": certificate.issued_on,
        "hours": certificate.hours,
        "ects_credits": certificate.ects_credits,
        "revoked_reason": certificate.revoked_reason if certificate.status == "revoked" else None,
        "superseded_by": certificate.superseded_by.serial if certificate.superseded_by else None,
    }
