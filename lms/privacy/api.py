"""API: a person's data export and erasure."""

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_smorest import Blueprint

from lms.core.errors import ValidationError
from lms.extensions import db
from lms.privacy import services

blp = Blueprint("privacy_api", __name__, description="Personal data: export and erasure")

EXPORT_DOC = {
    "responses": {
        "200": {
            "description": "Everything held about the person",
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "format": {"type": "string", "example": "cascade-lms-personal-data/1"},
                            "generated_at": {"type": "string", "format": "date-time"},
                            "person_id": {"type": "integer"},
                            "tables": {
                                "type": "object",
                                "description": "Each table holding her data: a list of its rows.",
                                "additionalProperties": {"type": "array", "items": {"type": "object"}},
                            },
                            "certificates": {
                                "type": "array",
                                "description": "Her certificates, valid, revoked and superseded, oldest first.",
                                "items": {
                                    "type": "object",
                                    "properties": {
                                        "serial": {"type": "string", "example": "CAS-2026-000042"},
                                        "kind": {"type": "string", "enum": ["participation", "trainer"]},
                                        "status": {
                                            "type": "string",
                                            "enum": ["valid", "revoked", "superseded"],
                                        },
                                        "course_title": {"type": "string"},
                                        "issued_on": {"type": "string", "format": "date"},
                                        "revoked_reason": {"type": "string", "nullable": True},
                                        "superseded_by": {
                                            "type": "string",
                                            "nullable": True,
                                            "description": "The serial of the certificate that replaced it.",
                                        },
                                        "pdf_url": {
                                            "type": "string",
                                            "format": "uri",
                                            "description": "GET /api/v1/certificates/{serial}/pdf",
                                        },
                                        "verification_url": {
                                            "type": "string",
                                            "format": "uri",
                                            "description": "The public verification page.",
                                        },
                                    },
                                },
                            },
                        },
                    }
                }
            },
        }
    }
}


@blp.route("/me/data-export", methods=["GET"])
@blp.response(200, description="Everything held about the person")
@blp.doc(**EXPORT_DOC)
def export_my_data():
    """Everything the platform holds about you, as JSON, with the list of your certificates (the
    page /account/data gives a ZIP with their PDFs too)."""
    data = services.export_person(current_user._get_current_object(), by=current_user)
    db.session.commit()
    return data


@blp.route("/users/<int:user_id>/data-export", methods=["GET"])
@blp.response(200, description="Everything held about the person")
@blp.doc(**EXPORT_DOC)
def export_person_data(user_id: int):
    """A person's data (admins; yourself)."""
    person = services.get_person(user_id, by=current_user)
    data = services.export_person(person, by=current_user)
    db.session.commit()
    return data


@blp.route("/users/<int:user_id>/erase", methods=["POST"])
@blp.response(204)
def erase_person(user_id: int):
    """Pseudonymise a person everywhere (admins). Statistics keep her trainings."""
    person = services.get_person(user_id, by=current_user, action="privacy.erase")
    if person.id == current_user.id:
        raise ValidationError.on("user_id", _l("You cannot erase your own account."))
    services.erase_person(person, by=current_user)
    db.session.commit()
