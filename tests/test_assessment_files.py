"""Question bank import and export (CSV, XLSX) with a preview of problem rows and bounded
uploads; results export neutralised against formula injection."""

import io
import zipfile

import openpyxl
import pytest

from lms.assessments import bank_files
from lms.core.errors import ValidationError
from tests import factories
from tests.assessment_factories import question, running_cohort
from tests.conftest import sign_in

GOOD_CSV = (
    "topic;form;kind;text;text_en;option_1;option_2;option_3;option_4;option_5;option_6;correct\r\n"
    "Статус;A;single;Куди подають заяву?;;До РДА;До суду;;;;;1\r\n"
    "Права;both;multiple;На що є право?;;Житло;Допомога;Громадянство;;;;1,2\r\n"
    "Статус;B;true_false;Співбесіда конфіденційна.;;Правда;Неправда;;;;;А\r\n"
)
BAD_ROWS = "Статус;C;essay;;;а;б;;;;;7\r\n"


def test_a_good_csv_imports_every_row(client, db, admin):
    course = factories.CourseFactory()
    sign_in(client, admin)
    preview = client.post(
        f"/courses/{course.id}/questions/import",
        data={"file": (io.BytesIO(GOOD_CSV.encode("utf-8")), "bank.csv")},
        content_type="multipart/form-data",
    )
    assert preview.status_code == 200
    token = preview.text.split("/questions/import/")[1].split('"')[0]
    done = client.post(f"/courses/{course.id}/questions/import/{token}")
    assert done.status_code == 302
    assert client.get(f"/courses/{course.id}/questions").text.count('data-testid="question"') == 3


def test_problem_rows_are_shown_and_only_good_rows_import_when_asked(client, db, admin):
    course = factories.CourseFactory()
    sign_in(client, admin)
    data = (GOOD_CSV + BAD_ROWS).encode("cp1251")
    preview = client.post(
        f"/courses/{course.id}/questions/import",
        data={"file": (io.BytesIO(data), "bank.csv")},
        content_type="multipart/form-data",
    )
    assert 'data-testid="problems"' in preview.text
    token = preview.text.split("/questions/import/")[1].split('"')[0]
    refused = client.post(f"/courses/{course.id}/questions/import/{token}")
    assert refused.status_code == 302
    assert client.get(f"/courses/{course.id}/questions").text.count('data-testid="question"') == 0
    client.post(f"/courses/{course.id}/questions/import/{token}", data={"skip_invalid": "1"})
    assert client.get(f"/courses/{course.id}/questions").text.count('data-testid="question"') == 3


def test_rows_name_every_problem(db):
    course = factories.CourseFactory()
    rows = bank_files.parse_bank((GOOD_CSV + BAD_ROWS).encode())
    bank_files.check_rows(course, rows)
    bad = [row for row in rows if row.problems]
    assert [row.number for row in bad] == [5]
    assert len(bad[0].problems) >= 3


def test_export_then_import_gives_the_same_bank(db, admin):
    course = factories.CourseFactory()
    question(course, kind="multiple", correct=(0, 2), topic="Права")
    question(course, kind="true_false", correct=(1,), form="B")
    for data in (bank_files.export_csv(course), bank_files.export_xlsx(course)):
        rows = bank_files.parse_bank(data)
        other = factories.CourseFactory()
        bank_files.check_rows(other, rows)
        assert not any(row.problems for row in rows)
        assert [r.data["kind"] for r in rows] == ["multiple", "true_false"]
        assert [c["correct"] for c in rows[0].data["choices"]] == [True, False, True, False]


def test_an_oversized_upload_is_refused(db):
    with pytest.raises(ValidationError):
        bank_files.parse_bank(b"x" * (bank_files.MAX_BYTES + 1))


def test_too_many_rows_are_refused(db):
    data = GOOD_CSV.split("\r\n")[0] + "\r\n" + "Т;A;single;П;;а;б;;;;;1\r\n" * (bank_files.MAX_ROWS + 1)
    with pytest.raises(ValidationError):
        bank_files.parse_bank(data.encode())


def test_an_xlsx_that_unpacks_too_large_is_refused_before_parsing(db):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (bank_files.MAX_UNCOMPRESSED + 1))
    assert len(out.getvalue()) < bank_files.MAX_BYTES
    with pytest.raises(ValidationError) as error:
        bank_files.parse_bank(out.getvalue())
    assert "30" in str(error.value.message)  # the limit, in megabytes


def test_results_export_neutralises_formulas(client, db, admin):
    cohort, (enrollment,) = running_cohort(participants=1)
    enrollment.user.full_name = '=HYPERLINK("http://evil")'
    sign_in(client, cohort.lead_trainer)
    response = client.get(f"/cohorts/{cohort.id}/results.xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    assert sheet.cell(row=2, column=1).value.startswith("'=")
