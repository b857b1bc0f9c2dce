"""Importing a roster through the pages: upload, preview, the import job and its report."""

import io
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from lms.cohorts.models import Enrollment
from lms.core.models import Job
from tests import factories
from tests.conftest import sign_in

GOOD = "ПІБ;Email;Телефон\r\nБойко Олена;olena@example.org;\r\nМороз Алла;alla@example.org;0671234567\r\n"
WITH_PROBLEM = GOOD + ";nameless@example.org;\r\nПогана Пошта;bad@;\r\n"


@pytest.fixture
def cohort(db):
    return factories.CohortFactory(capacity=5)


def signed_in(client, user):
    sign_in(client, user)
    with client.session_transaction() as session:
        session["lang"] = "en"
    return client


def upload(client, cohort, text: str, encoding="cp1251", filename="roster.csv"):
    data = {"file": (io.BytesIO(text.encode(encoding)), filename)}
    return client.post(f"/cohorts/{cohort.id}/roster/upload", data=data, content_type="multipart/form-data")


def enrolled_count(db, cohort) -> int:
    return len(db.session.scalars(select(Enrollment).where(Enrollment.cohort_id == cohort.id)).all())


def uploads(app) -> set[Path]:
    folder = Path(app.config["UPLOAD_DIR"]) / "rosters"
    return set(folder.glob("*")) if folder.exists() else set()


def test_upload_shows_a_preview_then_the_job_imports_and_reports(app, client, db, cohort):
    factories.UserFactory(email="olena@example.org", full_name="Олена Бойко")
    signed_in(client, cohort.lead_trainer)
    assert "Download a template" in client.get(f"/cohorts/{cohort.id}/roster/upload").get_data(as_text=True)
    before = uploads(app)
    response = upload(client, cohort, GOOD)
    assert response.status_code == 302
    preview_url = response.headers["Location"]
    assert re.search(rf"/cohorts/{cohort.id}/roster/[0-9a-f]{{32}}$", preview_url)
    saved = uploads(app) - before
    assert {p.suffix for p in saved} == {".roster", ".json"}
    assert all(p.parent == Path(app.config["UPLOAD_DIR"]) / "rosters" for p in saved)

    page = client.get(preview_url).get_data(as_text=True)
    assert "Registered: email" in page and "New" in page and "Мороз Алла" in page
    assert "Import 2 people" in page and "skip_invalid" not in page
    response = client.post(preview_url, data={"send_invitations": "y"})
    assert response.status_code == 302
    job = db.session.scalars(select(Job).order_by(Job.id.desc())).first()
    assert response.headers["Location"].endswith(f"/cohorts/{cohort.id}/roster/jobs/{job.id}")
    assert (job.kind, job.status, job.progress, job.total) == ("roster_import", "done", 2, 2)
    assert job.result["created"] == 1 and job.result["matched"] == 1 and job.result["enrolled"] == 2
    assert enrolled_count(db, cohort) == 2
    assert uploads(app) - before == set()  # the file is gone once imported

    again = client.post(preview_url, data={"send_invitations": "y"})  # a second click on "Import"
    assert again.headers["Location"] == response.headers["Location"]
    assert db.session.query(Job).filter_by(kind="roster_import").count() == 1

    page = client.get(f"/cohorts/{cohort.id}/roster/jobs/{job.id}")
    assert "Refresh" not in page.headers
    text = page.get_data(as_text=True)
    assert 'data-status="done"' in text and "The import is done." in text


def test_a_file_with_problems_is_imported_only_when_the_problem_rows_are_skipped(client, db, cohort):
    signed_in(client, cohort.lead_trainer)
    preview_url = upload(client, cohort, WITH_PROBLEM).headers["Location"]
    page = client.get(preview_url).get_data(as_text=True)
    assert "The name is missing." in page and "The email is not valid." in page
    assert 'name="skip_invalid"' in page

    response = client.post(preview_url, data={"send_invitations": "y"})
    assert response.status_code == 422
    assert "2 rows have problems" in response.get_data(as_text=True)
    assert enrolled_count(db, cohort) == 0
    assert db.session.scalars(select(Job).where(Job.kind == "roster_import")).all() == []

    response = client.post(preview_url, data={"skip_invalid": "y"})
    job = db.session.scalars(select(Job).order_by(Job.id.desc())).first()
    assert (
        job.status == "done"
        and job.params["skip_invalid"] is True
        and job.params["send_invitations"] is False
    )
    assert (job.result["enrolled"], job.result["skipped"]) == (2, 2)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Skipped rows" in page and "The email is not valid." in page


def test_a_running_import_page_refreshes_itself_and_shows_progress(client, db, cohort):
    job = Job(
        kind="roster_import",
        status="running",
        total=1000,
        progress=500,
        params={"cohort_id": cohort.id, "filename": "x.csv"},
    )
    db.session.add(job)
    db.session.flush()
    signed_in(client, cohort.lead_trainer)
    response = client.get(f"/cohorts/{cohort.id}/roster/jobs/{job.id}")
    assert response.headers["Refresh"] == "2"
    text = response.get_data(as_text=True)
    assert "50%" in text and "500 of 1,000 rows" in text


def test_a_file_that_cannot_be_read_is_refused_by_its_check(app, client, db, cohort):
    signed_in(client, cohort.lead_trainer)
    before = uploads(app)
    response = upload(client, cohort, "Email;Телефон\r\na@example.org;1\r\n")
    page = client.get(response.headers["Location"])
    text = page.get_data(as_text=True)
    assert 'data-status="failed"' in text and "No column with the names was found" in text
    assert "Refresh" not in page.headers
    # The people's data goes at once; the note saying why stays until the daily clean-up.
    assert {p.suffix for p in uploads(app) - before} == {".json"}
    response = client.post(f"/cohorts/{cohort.id}/roster/upload", data={}, content_type="multipart/form-data")
    assert response.status_code == 422 and "Choose the file to upload." in response.get_data(as_text=True)


def test_a_too_large_file_is_refused(app, client, db, cohort, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_LIMITS_ROSTER", {"max_bytes": 1024 * 1024})
    signed_in(client, cohort.lead_trainer)
    response = upload(client, cohort, GOOD + ("Особа;x@example.org;\r\n" * 60000))
    assert response.status_code == 422 and "larger than 1 MB" in response.get_data(as_text=True)


def test_other_trainers_cannot_reach_an_upload_or_a_job(client, db, cohort):
    signed_in(client, cohort.lead_trainer)
    preview_url = upload(client, cohort, GOOD).headers["Location"]
    other_cohort = factories.CohortFactory()
    token = preview_url.rsplit("/", 1)[1]
    assert client.get(f"/cohorts/{other_cohort.id}/roster/{token}").status_code == 404
    assert client.get(f"/cohorts/{cohort.id}/roster/{'0' * 32}").status_code == 404
    assert client.get(f"/cohorts/{cohort.id}/roster/..%2F..%2Fetc").status_code == 404
    client.post(preview_url, data={})
    job = db.session.scalars(select(Job).order_by(Job.id.desc())).first()

    signed_in(client, factories.UserFactory(roles=["trainer"]))
    assert client.get(preview_url).status_code == 404
    assert client.post(preview_url, data={"skip_invalid": "y"}).status_code == 404
    assert client.get(f"/cohorts/{cohort.id}/roster/jobs/{job.id}").status_code == 404
    assert upload(client, cohort, GOOD).status_code == 404


def test_a_job_of_another_kind_or_cohort_is_not_shown_as_an_import(client, db, cohort):
    other = Job(kind="certificates", status="done", params={"cohort_id": cohort.id})
    db.session.add(other)
    db.session.flush()
    signed_in(client, cohort.lead_trainer)
    assert client.get(f"/cohorts/{cohort.id}/roster/jobs/{other.id}").status_code == 404


def test_uploads_never_imported_are_removed_after_a_day(app, client, db, cohort):
    import os
    import time

    signed_in(client, cohort.lead_trainer)
    preview_url = upload(client, cohort, GOOD).headers["Location"]
    token = preview_url.rsplit("/", 1)[1]
    folder = Path(app.config["UPLOAD_DIR"]) / "rosters"
    day_and_a_bit = time.time() - 25 * 60 * 60
    for path in folder.glob(f"{token}.*"):
        os.utime(path, (day_and_a_bit, day_and_a_bit))
    upload(client, cohort, GOOD)
    assert list(folder.glob(f"{token}.*")) == []
    assert client.get(preview_url).status_code == 404
