"""Certificates in pages and the API: closing, downloading, verifying by anyone."""

import base64
import json

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select

from lms.certificates import credential, issuance
from lms.certificates.models import Certificate
from lms.core.jobs import run_job
from lms.core.models import Job
from lms.extensions import db as _db
from tests import factories
from tests.certificate_fixtures import finished_cohort
from tests.conftest import api_headers, sign_in
from tests.queries import count_queries


def _closed(scores=(90,)):
    from lms.certificates.closing import close_cohort

    cohort, enrollments = finished_cohort(scores=scores)
    job = close_cohort(cohort, by=factories.UserFactory(roles=["admin"]))
    _db.session.flush()
    run_job(job.id, issuance.run_issuance_job)
    certificates = list(
        _db.session.scalars(
            select(Certificate).where(Certificate.cohort_id == cohort.id).order_by(Certificate.id)
        )
    )
    return cohort, enrollments, certificates


def test_anyone_verifies_a_valid_certificate_by_its_link_without_signing_in(client, db):
    _cohort, (person,), (certificate,) = _closed()
    page = client.get(f"/verify/{certificate.verification_code}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-status="valid"' in html
    assert certificate.holder_name in html and certificate.serial in html
    assert person.user.email not in html


def test_a_typed_code_from_the_sign_in_page_leads_to_the_verification(client, db):
    _cohort, _people, (certificate,) = _closed()
    assert 'data-testid="verify-form"' in client.get("/login").get_data(as_text=True)
    answer = client.get(f"/verify?code={certificate.verification_code}")
    assert answer.status_code == 302 and answer.headers["Location"].endswith(
        f"/verify/{certificate.verification_code}"
    )


def test_a_wrong_code_says_so_plainly(client, db):
    page = client.get("/verify/not-a-real-code")
    assert page.status_code == 404
    assert 'data-status="unknown"' in page.get_data(as_text=True)
    assert client.get("/api/v1/verify/not-a-real-code").status_code == 404


def test_the_verification_api_answers_with_the_named_fields_only(client, db):
    _cohort, _people, (certificate,) = _closed()
    body = client.get(f"/api/v1/verify/{certificate.verification_code}").get_json()
    assert set(body) == {
        "valid",
        "status",
        "holder_name",
        "course_title",
        "issued_on",
        "hours",
        "ects_credits",
        "revoked_reason",
        "superseded_by",
    }
    assert body["valid"] is True and body["hours"] == 15.0 and body["ects_credits"] == 0.5


def test_a_revoked_certificate_shows_its_reason_to_verifiers(client, db):
    cohort, _people, (certificate,) = _closed()
    admin = factories.UserFactory(roles=["admin"])
    answer = client.post(
        f"/api/v1/certificates/{certificate.serial}/revoke",
        json={"reason": "Видано помилково"},
        headers=api_headers(admin),
    )
    assert answer.status_code == 200 and answer.get_json()["status"] == "revoked"
    body = client.get(f"/api/v1/verify/{certificate.verification_code}").get_json()
    assert body == body | {"valid": False, "status": "revoked", "revoked_reason": "Видано помилково"}
    assert "Видано помилково" in client.get(f"/verify/{certificate.verification_code}").get_data(as_text=True)


def test_closing_through_the_api_lists_what_is_missing_with_409(client, db):
    cohort, (person,) = finished_cohort(scores=(90,))
    _db.session.delete(person.attendance[0])
    answer = client.post(f"/api/v1/cohorts/{cohort.id}/close", headers=api_headers(cohort.lead_trainer))
    assert answer.status_code == 409
    assert len(answer.get_json()["error"]["fields"]["missing"]) == 1


def test_closing_through_the_api_answers_202_with_the_job(client, db):
    cohort, _people = finished_cohort(scores=(90, 40))
    answer = client.post(f"/api/v1/cohorts/{cohort.id}/close", headers=api_headers(cohort.lead_trainer))
    assert answer.status_code == 202
    job = answer.get_json()["job"]
    assert job["status"] in ("queued", "done") and job["total"] == 2
    assert _db.session.get(Job, job["id"]).params["cohort_id"] == cohort.id


def test_a_participant_cannot_close_the_training(client, db):
    cohort, (person,) = finished_cohort(scores=(90,))
    assert (
        client.post(f"/api/v1/cohorts/{cohort.id}/close", headers=api_headers(person.user)).status_code == 403
    )


def test_the_close_page_lists_gaps_and_closing_leads_to_the_certificates(client, db):
    cohort, (person,) = finished_cohort(scores=(90,))
    sign_in(client, cohort.lead_trainer)
    page = client.get(f"/cohorts/{cohort.id}/close")
    assert page.status_code == 200 and 'data-testid="gaps"' not in page.get_data(as_text=True)
    answer = client.post(f"/cohorts/{cohort.id}/close")
    assert answer.status_code == 302 and answer.headers["Location"].endswith(
        f"/cohorts/{cohort.id}/certificates"
    )
    assert 'data-testid="job"' in client.get(f"/cohorts/{cohort.id}/certificates").get_data(as_text=True)


def test_the_holder_downloads_her_pdf_and_a_fellow_participant_cannot(client, db):
    _cohort, (mine, theirs), (first, second) = _closed(scores=(90, 90))
    own = first if first.enrollment_id == mine.id else second
    other = second if own is first else first
    sign_in(client, mine.user)
    answer = client.get(f"/certificates/{own.serial}.pdf")
    assert (
        answer.status_code == 200 and answer.mimetype == "application/pdf" and answer.data.startswith(b"%PDF")
    )
    assert client.get(f"/certificates/{other.serial}.pdf").status_code == 404
    mine_api = client.get("/api/v1/me/certificates", headers=api_headers(mine.user)).get_json()
    assert [item["serial"] for item in mine_api["items"]] == [own.serial]


def test_signed_out_people_cannot_download(client, db):
    _cohort, _people, (certificate,) = _closed()
    assert client.get(f"/certificates/{certificate.serial}.pdf").status_code in (302, 401)


def test_the_certificate_list_runs_the_same_queries_for_one_and_thirty(client, db, strict_loading):
    coordinator = factories.UserFactory(roles=["coordinator"])
    cohort, _people, _certs = _closed(scores=(90,))
    coordinator.regions = [cohort.district.region]
    sign_in(client, coordinator)
    with count_queries() as one:
        assert client.get("/certificates/").status_code == 200
    cohort2, _people2 = finished_cohort(scores=[90] * 29, district=cohort.district)
    from lms.certificates.closing import close_cohort

    job = close_cohort(cohort2, by=coordinator)
    _db.session.flush()
    run_job(job.id, issuance.run_issuance_job)
    with count_queries() as thirty:
        page = client.get("/certificates/")
    assert page.get_data(as_text=True).count("/verify/") == 0  # the list links to details, not codes
    assert len(thirty) == len(one)


def _b64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def test_the_open_badge_credential_verifies_with_an_independent_implementation(client, db):
    """Signed with joserfc; checked here with the cryptography package against the published key."""
    _cohort, (person,), (certificate,) = _closed()
    body = client.get(
        f"/api/v1/certificates/{certificate.serial}/credential", headers=api_headers(person.user)
    ).get_json()
    assert body["credential"]["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    header_b64, payload_b64, signature_b64 = body["jwt"].split(".")
    header = json.loads(_b64(header_b64))
    assert header["alg"] == "EdDSA" and header["typ"] == "vc+jwt"
    jwks = client.get("/.well-known/jwks.json").get_json()
    [key] = [k for k in jwks["keys"] if k["kid"] == header["kid"]]
    assert "d" not in key  # only public parts are published
    public = Ed25519PublicKey.from_public_bytes(_b64(key["x"]))
    public.verify(_b64(signature_b64), f"{header_b64}.{payload_b64}".encode())  # raises if forged
    payload = json.loads(_b64(payload_b64))
    assert payload == body["credential"]
    assert payload["credentialSubject"]["name"] == certificate.holder_name_latin
    assert payload["credentialStatus"]["id"].endswith(f"/api/v1/verify/{certificate.verification_code}")
    tampered = json.dumps(payload | {"validFrom": "2001-01-01T00:00:00Z"}).encode()
    forged = base64.urlsafe_b64encode(tampered).rstrip(b"=").decode()
    with pytest.raises(InvalidSignature):
        public.verify(_b64(signature_b64), f"{header_b64}.{forged}".encode())


def test_after_a_key_rotation_old_credentials_still_verify(client, db):
    _cohort, (person,), (certificate,) = _closed()
    before = credential.signed_credential(certificate)
    credential.rotate_key()
    after = credential.signed_credential(certificate)
    kids = {k["kid"] for k in client.get("/.well-known/jwks.json").get_json()["keys"]}
    old_kid = json.loads(_b64(before.split(".")[0]))["kid"]
    new_kid = json.loads(_b64(after.split(".")[0]))["kid"]
    assert old_kid != new_kid and {old_kid, new_kid} <= kids


def test_another_participant_cannot_fetch_someones_credential(client, db):
    _cohort, (mine, theirs), certificates = _closed(scores=(90, 90))
    other = next(c for c in certificates if c.enrollment_id == theirs.id)
    answer = client.get(f"/api/v1/certificates/{other.serial}/credential", headers=api_headers(mine.user))
    assert answer.status_code == 404


def test_the_coordinator_sees_holders_flagged_after_a_late_change(client, db):
    cohort, (person,), (certificate,) = _closed()
    for mark in person.attendance:
        mark.status = "absent"
    _db.session.flush()
    issuance.reconcile()
    coordinator = factories.UserFactory(roles=["coordinator"])
    coordinator.regions = [cohort.district.region]
    sign_in(client, coordinator)
    html = client.get(f"/cohorts/{cohort.id}/certificates").get_data(as_text=True)
    assert 'data-testid="flags"' in html and certificate.serial in html


def test_a_trainings_certificates_download_as_one_zip_made_by_a_job(client, db):
    import io
    import zipfile

    cohort, _people, certificates = _closed(scores=(90, 80, 75))
    sign_in(client, cohort.lead_trainer)
    answer = client.post(f"/cohorts/{cohort.id}/certificates/zip")
    assert answer.status_code == 302
    job = _db.session.scalars(select(Job).where(Job.kind == "certificates.zip")).one()
    run_job(job.id, issuance.run_zip_job)
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert 'data-status="done"' in page
    archive = client.get(f"/cohorts/{cohort.id}/certificates/zip/{job.id}/download")
    names = zipfile.ZipFile(io.BytesIO(archive.data)).namelist()
    assert sorted(names) == sorted(f"{c.serial}.pdf" for c in certificates)
    outsider = factories.UserFactory(roles=["trainer"])
    sign_in(client, outsider)
    assert client.get(f"/cohorts/{cohort.id}/certificates/zip/{job.id}/download").status_code == 404


def test_after_erasure_the_verification_shows_only_that_the_certificate_is_valid(client, db):
    from lms.privacy.services import erase_person

    _cohort, (person,), (certificate,) = _closed()
    name = certificate.holder_name
    erase_person(person.user, by=factories.UserFactory(roles=["admin"]))
    _db.session.flush()
    body = client.get(f"/api/v1/verify/{certificate.verification_code}").get_json()
    assert body == {"valid": True, "status": "valid"}
    html = client.get(f"/verify/{certificate.verification_code}").get_data(as_text=True)
    assert 'data-status="valid"' in html and name not in html


def test_walking_codes_is_throttled_per_address_and_a_right_code_does_not_count(client, app, db):
    _cohort, _people, (certificate,) = _closed()
    app.config["VERIFY_MAX_MISSES"] = 3
    try:
        for _ in range(5):  # right codes give their slot back
            assert client.get(f"/api/v1/verify/{certificate.verification_code}").status_code == 200
        for n in range(3):
            assert client.get(f"/api/v1/verify/wrong-{n}").status_code == 404
        assert client.get("/api/v1/verify/wrong-4").status_code == 429
        assert client.get(f"/verify/{certificate.verification_code}").status_code == 429
    finally:
        app.config["VERIFY_MAX_MISSES"] = 60


@pytest.mark.parametrize("action", ["revoke", "reissue"])
def test_the_holder_and_the_trainer_are_refused_revoking_or_reissuing_in_the_page(client, db, action):
    """They see the certificate, so the page answers 403 (as the API does), and nothing changes:
    before, the page caught the refusal and redirected with a message, as for a missing reason."""
    cohort, (person,), (certificate,) = _closed()
    for who in (person.user, cohort.lead_trainer):
        sign_in(client, who)
        answer = client.post(
            f"/certificates/{certificate.serial}/{action}", data={"reason": "Помилка в імені"}
        )
        assert answer.status_code == 403
    _db.session.expire_all()
    assert _db.session.get(Certificate, certificate.id).status == "valid"
    coordinator = factories.UserFactory(roles=["coordinator"], regions=[cohort.district.region])
    sign_in(client, coordinator)
    answer = client.post(f"/certificates/{certificate.serial}/{action}", data={"reason": "Помилка в імені"})
    assert answer.status_code == 302
    _db.session.expire_all()
    assert _db.session.get(Certificate, certificate.id).status != "valid"


def test_a_trainings_certificates_are_listed_surname_first_in_ukrainian_order(client, db):
    cohort, enrollments, _certificates = _closed(scores=(90, 90, 90))
    names = [("Ірина Яковенко", "Яковенко"), ("Алла Шевчук", "Шевчук"), ("Євген Ґудзь", "Ґудзь")]
    for enrollment, (full_name, surname) in zip(enrollments, names, strict=True):
        enrollment.user.full_name, enrollment.user.surname = full_name, surname
    _db.session.commit()
    sign_in(client, factories.UserFactory(roles=["admin"]))
    html = client.get(f"/cohorts/{cohort.id}/certificates").get_data(as_text=True)
    table = html[html.index('data-testid="certificates"') :]
    found = [table.index(name) for name in ("Ґудзь Євген", "Шевчук Алла", "Яковенко Ірина")]
    assert found == sorted(found)  # Ґ after Г, Є after Е, Я last: not code-point order
