"""A person's data export as a ZIP: her JSON and each of her certificates (PDF and Open Badges
credential); the API's JSON lists the certificates with their links."""

import hashlib
import io
import json
import zipfile

import pytest
from sqlalchemy import select

from lms.certificates import services as certificates
from lms.certificates.render import stored_path
from lms.core.models import AuditEvent
from lms.extensions import db as _db
from lms.privacy import services
from tests import factories
from tests.conftest import api_headers, sign_in
from tests.queries import count_queries


def certify(person, cohort=None, *, by):
    enrollment = factories.EnrollmentFactory(user=person, **({"cohort": cohort} if cohort else {}))
    return certificates.issue_certificate(enrollment, by=by)


def archive_of(response) -> dict[str, bytes]:
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.fixture
def holder(db, admin):
    """A participant with a valid and a revoked certificate; a fellow participant of the first
    training holds one too."""
    person = factories.UserFactory(full_name="Гнатюк Оксана", email="oksana@example.org")
    valid = certify(person, by=admin)
    revoked = certify(person, by=admin)
    certificates.revoke(revoked, by=admin, reason="Помилка в даті")
    fellow = factories.UserFactory(email="fellow@example.org")
    certify(fellow, valid.cohort, by=admin)
    _db.session.flush()
    return person


def _hers(person):
    return {c.serial: c for c in certificates.certificates_of(person.id)}


def test_her_archive_holds_her_json_and_each_of_her_certificates_and_no_one_elses(client, holder):
    mine = _hers(holder)
    sign_in(client, holder)
    response = client.get("/account/data")
    assert f'filename="personal-data-{holder.id}.zip"' in response.headers["Content-Disposition"]
    files = archive_of(response)
    expected = {f"personal-data-{holder.id}.json"}
    for serial in mine:
        expected |= {f"certificates/{serial}.pdf", f"certificates/{serial}.credential.json"}
    assert set(files) == expected
    for serial, certificate in mine.items():
        pdf = files[f"certificates/{serial}.pdf"]
        assert pdf.startswith(b"%PDF") and hashlib.sha256(pdf).hexdigest() == certificate.sha256
        badge = json.loads(files[f"certificates/{serial}.credential.json"])
        assert badge["credential"]["credentialSubject"]["name"] == certificate.holder_name_latin
        assert badge["jwt"].count(".") == 2 and badge["jwks_url"].endswith("/.well-known/jwks.json")
    data = json.loads(files[f"personal-data-{holder.id}.json"])
    assert data["tables"]["users"][0]["email"] == "oksana@example.org"
    listed = {entry["serial"]: entry for entry in data["certificates"]}
    assert set(listed) == set(mine)
    statuses = sorted((entry["status"], entry["revoked_reason"]) for entry in listed.values())
    assert statuses == [("revoked", "Помилка в даті"), ("valid", None)]
    assert "fellow@example.org" not in json.dumps(data) and holder.id == data["person_id"]


def test_a_lost_document_is_rendered_again_for_the_archive(client, holder):
    mine = _hers(holder)
    for certificate in mine.values():
        stored_path(certificate).unlink()
    sign_in(client, holder)
    files = archive_of(client.get("/account/data"))
    for serial, certificate in mine.items():
        assert hashlib.sha256(files[f"certificates/{serial}.pdf"]).hexdigest() == certificate.sha256


def test_an_admin_downloads_a_persons_archive_and_the_export_is_audited(client, holder, admin):
    sign_in(client, admin)
    files = archive_of(client.get(f"/admin/users/{holder.id}/data"))
    assert {name for name in files if name.endswith(".pdf")} == {
        f"certificates/{serial}.pdf" for serial in _hers(holder)
    }
    assert json.loads(files[f"personal-data-{holder.id}.json"])["person_id"] == holder.id
    event = _db.session.scalars(select(AuditEvent).where(AuditEvent.action == "privacy.export")).one()
    assert (event.actor_id, event.object_id, event.details) == (admin.id, holder.id, {"certificates": 2})


@pytest.mark.parametrize("role", ["coordinator", "trainer", "participant"])
def test_no_one_but_an_admin_exports_another_person(client, holder, role):
    cohort = certificates.certificates_of(holder.id)[0].cohort
    someone = {
        # Her region's coordinator, her own lead trainer and a fellow participant: all see her
        # somewhere, none may take her data.
        "coordinator": lambda: factories.UserFactory(roles=["coordinator"], regions=[cohort.district.region]),
        "trainer": lambda: cohort.lead_trainer,
        "participant": lambda: factories.EnrollmentFactory(cohort=cohort).user,
    }[role]()
    api = client.get(f"/api/v1/users/{holder.id}/data-export", headers=api_headers(someone))
    assert api.status_code == 404
    sign_in(client, someone)
    # The admin area refuses a non-admin at the door, the same for every id: ids reveal nothing.
    assert client.get(f"/admin/users/{holder.id}/data").status_code == 403
    assert not _db.session.scalars(select(AuditEvent).where(AuditEvent.action == "privacy.export")).all()


def test_a_person_without_certificates_gets_her_json_alone(client, db):
    person = factories.UserFactory()
    sign_in(client, person)
    files = archive_of(client.get("/account/data"))
    assert list(files) == [f"personal-data-{person.id}.json"]
    assert json.loads(files[f"personal-data-{person.id}.json"])["certificates"] == []


def test_the_api_lists_her_certificates_with_working_links(client, holder):
    headers = api_headers(holder)
    response = client.get("/api/v1/me/data-export", headers=headers)
    assert response.status_code == 200 and response.mimetype == "application/json"
    mine = _hers(holder)
    assert {entry["serial"] for entry in response.json["certificates"]} == set(mine)
    for entry in response.json["certificates"]:
        certificate = mine[entry["serial"]]
        assert entry["verification_url"] == certificate.verification_url
        assert entry["pdf_url"].endswith(f"/api/v1/certificates/{entry['serial']}/pdf")
        pdf = client.get(entry["pdf_url"], headers=headers)
        assert pdf.status_code == 200 and hashlib.sha256(pdf.data).hexdigest() == certificate.sha256


def test_an_erased_persons_archive_lists_her_certificates_without_documents(client, holder, admin):
    services.erase_person(holder, by=admin)
    sign_in(client, admin)
    files = archive_of(client.get(f"/admin/users/{holder.id}/data"))
    assert list(files) == [f"personal-data-{holder.id}.json"]
    data = json.loads(files[f"personal-data-{holder.id}.json"])
    assert len(data["certificates"]) == 2 and "Гнатюк" not in json.dumps(data, ensure_ascii=False)
    assert not any(stored_path(c).exists() for c in certificates.certificates_of(holder.id))


def test_the_archive_runs_the_same_queries_for_1_and_3_certificates(client, admin, strict_loading):
    people = {count: factories.UserFactory(email=f"holder-{count}@example.org") for count in (1, 3)}
    certify(people[1], by=admin)
    certify(people[3], by=admin)
    certificates.reissue(certify(people[3], by=admin), by=admin)  # a superseded one names its successor

    def statements_for(count: int) -> int:
        sign_in(client, people[count])
        with count_queries() as statements:
            files = archive_of(client.get("/account/data"))
        assert sum(name.endswith(".pdf") for name in files) == count
        return len(statements)

    assert statements_for(1) == statements_for(3)


def test_the_profile_says_the_download_includes_her_certificates(client, db):
    person = factories.UserFactory(locale="uk")
    sign_in(client, person)
    page = client.get("/account/profile").get_data(as_text=True)
    assert "Завантажити мої дані та сертифікати" in page
    assert "кожен ваш сертифікат у PDF" in page
