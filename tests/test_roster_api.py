"""API: importing a roster file at once, with its report."""

import io

import openpyxl
import pytest
from sqlalchemy import select

from lms.cohorts.models import Enrollment
from tests import factories
from tests.conftest import api_headers

ROSTER = (
    "Прізвище, ім'я, по батькові;E-mail;Телефон\r\n"
    "Ґалаґан Їжакевич Щербухи Марʼяна;maryana@example.org;067 123 45 67\r\n"
    "Бойко Олена;olena@example.org;\r\n"
    ";nameless@example.org;\r\n"
    "Мороз Алла;alla@example.org;call me\r\n"
)


@pytest.fixture
def cohort(db):
    return factories.CohortFactory(capacity=1)


def post_roster(client, cohort, content: bytes, user=None, filename="roster.csv", **form):
    data = {"file": (io.BytesIO(content), filename), **form}
    return client.post(
        f"/api/v1/cohorts/{cohort.id}/roster",
        data=data,
        content_type="multipart/form-data",
        headers=api_headers(user or cohort.lead_trainer),
    )


def enrollments(db, cohort):
    return db.session.scalars(select(Enrollment).where(Enrollment.cohort_id == cohort.id)).all()


def test_problems_stop_the_import_with_422_then_skip_invalid_imports_the_rest(client, db, cohort):
    factories.UserFactory(email="olena@example.org")
    response = post_roster(client, cohort, ROSTER.encode("utf-8"))
    assert response.status_code == 422
    body = response.json
    assert body["error"]["code"] == "validation_error"
    assert (body["created"], body["enrolled"], body["rejected_count"], body["rows"]) == (0, 0, 2, 4)
    assert [(r["row"], r["codes"]) for r in body["rejected"]] == [(4, ["missing_name"]), (5, ["bad_phone"])]
    assert all(r["reasons"] for r in body["rejected"])
    assert enrollments(db, cohort) == []

    response = post_roster(
        client, cohort, ROSTER.encode("utf-8"), skip_invalid="true", send_invitations="false"
    )
    assert response.status_code == 200, response.json
    body = response.json
    assert {k: body[k] for k in ("created", "matched", "enrolled", "waitlisted", "rejected_count")} == {
        "created": 1,
        "matched": 1,
        "enrolled": 1,
        "waitlisted": 1,
    } | {"rejected_count": 2}
    assert [r["row"] for r in body["rejected"]] == [4, 5]
    assert sorted(e.status for e in enrollments(db, cohort)) == ["enrolled", "waitlisted"]


def test_an_xlsx_roster_is_imported(client, db, cohort, tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.append(["Full name", "Email", "Phone"])
    workbook.active.append(["Щербуха Ярослава", "ya@example.org", 501112233])
    path = tmp_path / "roster.xlsx"
    workbook.save(path)
    response = post_roster(
        client, cohort, path.read_bytes(), filename="roster.xlsx", send_invitations="false"
    )
    assert response.status_code == 200, response.json
    assert (response.json["created"], response.json["enrolled"]) == (1, 1)
    assert enrollments(db, cohort)[0].user.phone == "+380501112233"


@pytest.mark.parametrize(
    "content",
    [b"", b"\x00\x00\x00\x00", "Телефон\r\n0671234567\r\n".encode(), b"PK\x03\x04broken"],
)
def test_a_bad_file_is_a_clear_422_not_a_500(client, db, cohort, content):
    response = post_roster(client, cohort, content)
    assert response.status_code == 422, response.json
    assert response.json["error"]["fields"]["file"]


def test_a_missing_file_is_refused(client, db, cohort):
    response = client.post(
        f"/api/v1/cohorts/{cohort.id}/roster",
        data={"skip_invalid": "true"},
        content_type="multipart/form-data",
        headers=api_headers(cohort.lead_trainer),
    )
    assert response.status_code == 422 and "file" in response.json["error"]["fields"]


def test_other_trainers_and_participants_cannot_import(client, db, cohort):
    participant = factories.EnrollmentFactory(cohort=cohort).user
    assert (
        post_roster(
            client, cohort, ROSTER.encode(), user=factories.UserFactory(roles=["trainer"])
        ).status_code
        == 404
    )
    assert post_roster(client, cohort, ROSTER.encode(), user=participant).status_code == 403
    assert len(enrollments(db, cohort)) == 1


def test_the_roster_endpoint_is_documented_as_one_multipart_body(client, db):
    spec = client.get("/api/v1/openapi.json").json
    operation = spec["paths"]["/api/v1/cohorts/{cohort_id}/roster"]["post"]
    reference = operation["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"]
    schema = spec["components"]["schemas"][reference.rsplit("/", 1)[1]]
    assert set(schema["properties"]) == {"file", "skip_invalid", "send_invitations"}
    assert "parameters" not in operation
