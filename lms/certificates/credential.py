"""Each certificate as an Open Badges 3.0 ``OpenBadgeCredential`` (a W3C Verifiable Credential),
secured as a JWS (VC-JOSE, ``typ: vc+jwt``) with the organisation's Ed25519 key.

The signing keys live in files outside the database (``SIGNING_KEY_DIR``, by default
``instance/keys``), so a database dump holds no private key. The first credential generates a
key; ``lms keys rotate`` makes a new one current. Every public key stays published at
``/.well-known/jwks.json`` so that credentials signed before a rotation still verify.
Revocation shows through ``credentialStatus``, which names the public verification endpoint.
"""

import json
import os
from pathlib import Path

from flask import current_app
from joserfc import jws
from joserfc.jwk import OKPKey

from lms.certificates.models import Certificate

CONTEXTS = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]


def key_dir() -> Path:
    folder = Path(current_app.config.get("SIGNING_KEY_DIR") or Path(current_app.instance_path) / "keys")
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def rotate_key() -> str:
    """Generate a new Ed25519 key, make it current, and return its key id."""
    key = OKPKey.generate_key("Ed25519", auto_kid=True)
    kid = key.kid
    folder = key_dir()
    path = folder / f"{kid}.json"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        json.dump(key.as_dict(private=True), file)
    temporary = folder / f".current.{os.getpid()}"
    temporary.write_text(kid)
    temporary.replace(folder / "current")  # atomic: readers see the old or the new id
    return kid


def current_key() -> OKPKey:
    pointer = key_dir() / "current"
    if not pointer.exists():
        rotate_key()
    kid = pointer.read_text().strip()
    return OKPKey.import_key(json.loads((key_dir() / f"{kid}.json").read_text()))


def public_jwks() -> dict:
    """Every public key ever used for signing (current first)."""
    folder = key_dir()
    current = (folder / "current").read_text().strip() if (folder / "current").exists() else None
    keys = []
    for path in sorted(folder.glob("*.json")):
        key = OKPKey.import_key(json.loads(path.read_text()))
        public = key.as_dict(private=False) | {"use": "sig", "alg": "EdDSA"}
        keys.append(public)
    keys.sort(key=lambda item: item["kid"] != current)
    return {"keys": keys}


def _base() -> str:
    return current_app.config["BASE_URL"].rstrip("/")


def credential_of(certificate: Certificate) -> dict:
    """The unsigned OpenBadgeCredential of ``certificate``, from its snapshot."""
    base = _base()
    kind = "Trainer certificate" if certificate.kind == "trainer" else "Certificate of completion"
    return {
        "@context": CONTEXTS,
        "id": f"{base}/api/v1/certificates/{certificate.serial}/credential",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {
            "id": base,
            "type": ["Profile"],
            "name": certificate.organisation_en,
            "url": base,
        },
        "validFrom": f"{certificate.issued_on.isoformat()}T00:00:00Z",
        "name": f"{certificate.course_title_en} ({certificate.serial})",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "name": certificate.holder_name_latin,
            "achievement": {
                "id": f"{base}/courses/{certificate.course_code}",
                "type": ["Achievement"],
                "achievementType": "Certificate",
                "name": certificate.course_title_en,
                "description": f"{kind}: {certificate.course_title_en}, {certificate.hours:g} hours",
                "criteria": {
                    "narrative": "Completed the training under the course's rule (attendance and post-test)."
                },
                "creditsAvailable": certificate.ects_credits,
            },
        },
        "credentialStatus": {
            "id": f"{base}/api/v1/verify/{certificate.verification_code}",
            "type": "CascadeVerificationStatus",
        },
    }


def signed_credential(certificate: Certificate) -> str:
    """The credential secured as a compact JWS (``application/vc+jwt``)."""
    key = current_key()
    header = {"alg": "EdDSA", "kid": key.kid, "typ": "vc+jwt", "cty": "vc"}
    payload = json.dumps(credential_of(certificate), ensure_ascii=False, sort_keys=True).encode()
    return jws.serialize_compact(header, payload, key, algorithms=["EdDSA"])
