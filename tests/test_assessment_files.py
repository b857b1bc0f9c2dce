"""Question bank import and export (CSV, XLSX): the upload is only stored and bounded in the
request, a job checks it with a preview of every problem row, a second job imports it in one
transaction; results export neutralised against formula injection."""

import io
import re
from pathlib import Path

import openpyxl
import pytest
from markupsafe import escape
from sqlalchemy import select

from lms.assessments import bank_files
from lms.assessments.models import Question
from lms.core.audit import AuditEvent
from lms.core.errors import ValidationError
from tests import factories, hostile_files
from tests.assessment_factories import question, running_cohort
from tests.conftest import sign_in
from tests.queries import count_queries
from tests.upload_helpers import assert_refused_at_once, latest_job, signed_in, xlsx

HEADER = "topic;form;kind;text;text_en;option_1;option_2;option_3;option_4;option_5;option_6;correct\r\n"
GOOD_CSV = (
    HEADER + "Статус;A;single;Куди подають заяву?;;До РДА;До суду;;;;;1\r\n"
    "Права;both;multiple;На що є право?;;Житло;Допомога;Громадянство;;;;1,2\r\n"
    "Статус;B;true_false;Співбесіда конфіденційна.;;Правда;Неправда;;;;;А\r\n"
)
BAD_ROWS = "Статус;C;essay;;;а;б;;;;;7\r\n"


def upload(client, course, data: bytes, filename="bank.csv"):
    return client.post(
        f"/courses/{course.id}/questions/import",
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def check(client, course, data: bytes, filename="bank.csv"):
    """Upload, then read the preview page: (its address, the page)."""
    response = upload(client, course, data, filename)
    assert response.status_code == 302, response.text
    preview_url = response.headers["Location"]
    return preview_url, client.get(preview_url)


def bank_size(db, course) -> int:
    return len(db.session.scalars(select(Question.id).where(Question.course_id == course.id)).all())


def test_a_good_csv_is_checked_then_imported_and_audited(app, client, db, admin):
    course = factories.CourseFactory()
    signed_in(client, admin)
    preview_url, page = check(client, course, GOOD_CSV.encode("utf-8"))
    assert page.status_code == 200 and "Import 3 questions" in page.text
    assert 'data-testid="problems"' not in page.text
    done = client.post(preview_url, data={})
    job = latest_job(db, "bank_import")
    assert done.status_code == 302 and done.headers["Location"].endswith(
        f"/courses/{course.id}/questions/import/jobs/{job.id}"
    )
    assert (job.status, job.result["created"], job.result["skipped"]) == ("done", 3, 0)
    assert client.get(f"/courses/{course.id}/questions").text.count('data-testid="question"') == 3
    result = client.get(done.headers["Location"])
    assert "Refresh" not in result.headers and "3 questions are added to the bank." in result.text
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.actor_id == admin.id)).all()
    assert actions.count("question.create") == 3 and actions.count("questions.import") == 1
    assert not list((Path(app.config["UPLOAD_DIR"]) / "question-banks").glob(f"{job.params['token']}*"))
    # A second click (or the back button) shows the same job: nothing is imported twice.
    again = client.post(preview_url, data={})
    assert again.headers["Location"] == done.headers["Location"] and bank_size(db, course) == 3


def test_problem_rows_are_shown_and_only_good_rows_import_when_asked(client, db, admin):
    course = factories.CourseFactory()
    signed_in(client, admin)
    preview_url, page = check(client, course, (GOOD_CSV + BAD_ROWS).encode("cp1251"))
    assert 'data-testid="problems"' in page.text and "1 row has problems" in page.text
    refused = client.post(preview_url, data={})
    assert refused.status_code == 422 and "import only the good rows" in refused.text
    assert latest_job(db, "bank_import") is None and bank_size(db, course) == 0
    done = client.post(preview_url, data={"skip_invalid": "y"})
    job = latest_job(db, "bank_import")
    assert (job.status, job.result["created"], job.result["skipped"]) == ("done", 3, 1)
    assert bank_size(db, course) == 3
    result = client.get(done.headers["Location"]).text
    assert "Skipped rows" in result and "Unknown kind “essay”" in result


def test_every_problem_of_a_row_is_named(client, db, admin):
    course = factories.CourseFactory()
    signed_in(client, admin)
    rows = [
        HEADER.strip().split(";"),
        ["Т", "C", "essay", "", "", "а", "б", "", "", "", "", "7"],  # 2: four problems
        ["Т", "A", "single", "Без правильної", "", "а", "б", "", "", "", "", ""],  # 3
        ["Т", "A", "single", "Дві правильні", "", "а", "б", "", "", "", "", "1,2"],  # 4
        ["Т", "A", "multiple", "Один варіант", "", "а", "", "", "", "", "", "1"],  # 5
        ["Т", "A", "true_false", "Три варіанти", "", "а", "б", "в", "", "", "", "1"],  # 6
        ["Т", "A", "single", "Задовгий варіант", "", "а" * 501, "б", "", "", "", "", "1"],  # 7
        ["Т", "A", "single", "П" * 2001, "", "а", "б", "", "", "", "", "1"],  # 8
        ["Т", "both", "single", "Добре", "Good", "а", "б", "", "", "", "", "Б"],  # 9: good
    ]
    _url, page = check(client, course, xlsx(rows), "bank.xlsx")
    expected = {
        2: [
            "Unknown kind “essay”: single, multiple or true_false.",
            "The form is A, B or both.",
            "Write the question.",
            "The correct answer names an option that is not there.",
        ],
        3: ["Name the correct option(s) in the “correct” column."],
        4: ["Mark exactly one correct option."],
        5: ["Give between 2 and 8 answer options."],
        6: ["A true/false question has exactly two options."],
        7: ["An answer option is too long (500 characters at most)."],
        8: ["The question is too long (2,000 characters at most)."],
    }
    problems = page.text[page.text.index('data-testid="problems"') :]
    for row, messages in expected.items():
        cell = re.search(rf"<td>{row}</td>.*?</tr>", problems, re.S)
        assert cell, row
        for message in messages:
            assert str(escape(message)) in cell[0], (row, message)
    assert "<td>9</td>" not in problems
    assert "7 rows have problems" in page.text and "Import 1 question" in page.text


def test_problems_read_in_the_language_of_the_reader(client, db, admin):
    course = factories.CourseFactory()
    signed_in(client, admin, lang="uk")
    preview_url, page = check(client, course, (GOOD_CSV + BAD_ROWS + BAD_ROWS).encode())
    assert "Невідомий тип «essay»" in page.text and "2 рядки містять помилки" in page.text
    signed_in(client, admin, lang="en")
    assert "Unknown kind “essay”" in client.get(preview_url).text


def test_a_problem_that_appears_after_the_check_imports_nothing(client, db, admin, monkeypatch):
    course = factories.CourseFactory()
    signed_in(client, admin)
    preview_url, page = check(client, course, GOOD_CSV.encode())
    assert "Import 3 questions" in page.text
    # The import reads the file again and checks it again: a problem found then stops it all.
    token = preview_url.rsplit("/", 1)[1]
    path = Path(client.application.config["UPLOAD_DIR"]) / "question-banks" / f"{token}.bank"
    path.write_bytes((GOOD_CSV + BAD_ROWS).encode())
    done = client.post(preview_url, data={})
    job = latest_job(db, "bank_import")
    assert job.status == "failed" and "1 row has problems, so nothing was imported" in job.error
    assert bank_size(db, course) == 0
    assert "Nothing was imported." in client.get(done.headers["Location"]).text


def test_the_upload_request_only_stores_the_file_and_the_worker_checks_it(
    app, client, db, admin, monkeypatch
):
    from lms.assessments import tasks

    monkeypatch.setitem(app.extensions["celery"].conf, "task_always_eager", False)
    course = factories.CourseFactory()
    signed_in(client, admin)
    preview_url = upload(client, course, GOOD_CSV.encode()).headers["Location"]
    page = client.get(preview_url)
    assert page.headers["Refresh"] == "2" and "Waiting to start" in page.text
    job = latest_job(db, "bank_check")
    assert (job.status, job.total) == ("queued", 4)  # lines counted, nothing parsed
    tasks.check_question_bank(job.id)  # what the worker does with the message
    page = client.get(preview_url)
    assert "Refresh" not in page.headers and "Import 3 questions" in page.text
    client.post(preview_url, data={})
    importing = latest_job(db, "bank_import")
    assert importing.status == "queued" and bank_size(db, course) == 0
    running = client.get(f"/courses/{course.id}/questions/import/jobs/{importing.id}")
    assert running.headers["Refresh"] == "2" and "3 questions to import." in running.text
    tasks.import_question_bank(importing.id)
    db.session.refresh(importing)
    assert importing.status == "done" and bank_size(db, course) == 3


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (hostile_files.declared_rows(20_000_000), "more than 2,000 rows"),
        (HEADER.encode() + "Т;A;single;П;;а;б;;;;;1\r\n".encode() * 2000, "more than 2,000 rows"),
        (hostile_files.declared_rows(100, columns="ZZ"), "more than 30 columns"),
        (hostile_files.zip_bomb(1), "more than 64 MB"),
        (hostile_files.huge_shared_string(), "more than 16 MB of text"),
    ],
)
def test_a_hostile_file_is_refused_at_once_with_the_limit_named(app, client, db, admin, data, message):
    course = factories.CourseFactory()
    signed_in(client, admin)
    assert_refused_at_once(
        app, db, lambda: upload(client, course, data, "bank.xlsx"),
        folder="question-banks", check_kind="bank_check", message=message,
    )  # fmt: skip


def test_the_row_limit_counts_the_header_and_holds_exactly(client, db, admin):
    course = factories.CourseFactory()
    signed_in(client, admin)
    line = "Т;A;single;П;;а;б;;;;;1\r\n"
    _url, page = check(client, course, (HEADER + line * 1999).encode())
    assert "Import 1,999 questions" in page.text  # the count written the language's way
    assert upload(client, course, (HEADER + line * 2000).encode()).status_code == 422


def test_a_file_larger_than_the_limit_is_refused(client, db, admin):
    course = factories.CourseFactory()
    signed_in(client, admin)
    response = upload(client, course, HEADER.encode() + b"x" * (2 * 1024 * 1024))
    assert response.status_code == 422 and "larger than 2 MB" in response.text
    empty = upload(client, course, b"")
    assert empty.status_code == 422 and "The file is empty." in empty.text


def test_a_sheet_streaming_more_rows_than_it_declares_fails_the_check_before_parsing(client, db, admin):
    course = factories.CourseFactory()
    signed_in(client, admin)
    _url, page = check(client, course, hostile_files.streamed_rows(50_000), "bank.xlsx")
    assert 'data-status="failed"' in page.text and "more than 2,000 rows" in page.text
    assert "Upload another file" in page.text and latest_job(db, "bank_import") is None


def test_a_damaged_or_old_excel_file_says_what_to_do(client, db, admin):
    course = factories.CourseFactory()
    signed_in(client, admin)
    damaged = upload(client, course, b"PK\x03\x04" + b"\x00" * 200, "bank.xlsx")
    assert damaged.status_code == 422 and "could not be opened" in damaged.text
    _url, page = check(client, course, b"\xd0\xcf\x11\xe0" + b"\x00" * 200, "bank.xls")
    assert 'data-status="failed"' in page.text and "old Excel file (.xls)" in page.text


def test_trainers_who_may_not_write_the_questions_and_participants_are_refused(
    client, db, admin, csrf_enabled
):
    course = factories.CourseFactory()
    client.application.config["WTF_CSRF_ENABLED"] = False
    signed_in(client, admin)
    preview_url, _page = check(client, course, (GOOD_CSV + BAD_ROWS).encode())
    done = client.post(preview_url, data={"skip_invalid": "y"}).headers["Location"]
    client.application.config["WTF_CSRF_ENABLED"] = True
    base = f"/courses/{course.id}/questions/import"
    # Without the form's CSRF token nothing is received or imported.
    assert upload(client, course, GOOD_CSV.encode()).status_code == 400
    assert client.post(preview_url, data={"skip_invalid": "y"}).status_code == 400
    trainer = factories.UserFactory(roles=["trainer"])
    for person in (trainer, factories.UserFactory()):
        signed_in(client, person)
        for path in (base, preview_url, done):
            assert client.get(path).status_code == 403, (person, path)
    # Accredited for the course, the trainer may.
    factories.AccreditationFactory(user=trainer, course=course)
    signed_in(client, trainer)
    assert client.get(done).status_code == 200
    # An upload and its job are found only under their own course.
    other = factories.CourseFactory()
    signed_in(client, admin)
    assert (
        client.get(preview_url.replace(f"/courses/{course.id}/", f"/courses/{other.id}/")).status_code == 404
    )
    assert client.get(done.replace(f"/courses/{course.id}/", f"/courses/{other.id}/")).status_code == 404
    check_job = latest_job(db, "bank_check")
    assert client.get(f"{base}/jobs/{check_job.id}").status_code == 404  # a check job is not an import
    assert client.get(f"{base}/{'0' * 32}").status_code == 404


def test_the_preview_page_runs_the_same_queries_for_1_and_30_rows(client, db, admin, strict_loading):
    counts = []
    for size in (1, 30):
        course = factories.CourseFactory()
        signed_in(client, admin)
        lines = "".join(
            "Т;A;single;П;;а;б;;;;;1\r\n" if n % 2 else "Т;C;single;П;;а;б;;;;;1\r\n" for n in range(size)
        )
        preview_url, _page = check(client, course, (HEADER + lines).encode())
        with count_queries() as statements:
            response = client.get(preview_url)
        assert response.status_code == 200 and 'data-testid="totals"' in response.text
        counts.append(len(statements))
    assert counts[0] == counts[1]


def test_rows_name_every_problem(db, tmp_path):
    course = factories.CourseFactory()
    path = tmp_path / "bank.csv"
    path.write_bytes((GOOD_CSV + BAD_ROWS).encode())
    rows = [bank_files.check_row(course, row) for row in bank_files.read_bank(path)]
    bad = [row for row in rows if row.problems]
    assert [row.number for row in bad] == [5]
    assert [code for code, _params in bad[0].problems] == ["unknown_kind", "form", "no_text", "bad_correct"]


def test_export_then_import_gives_the_same_bank(db, admin, tmp_path):
    course = factories.CourseFactory()
    question(course, kind="multiple", correct=(0, 2), topic="Права")
    question(course, kind="true_false", correct=(1,), form="B")
    question(course, text="=СУМА(1;2) — чи це формула?", topic="-Мінус")
    assert "'=СУМА" in bank_files.export_csv(course).decode("utf-8-sig")
    for data in (bank_files.export_csv(course), bank_files.export_xlsx(course)):
        path = tmp_path / "bank"
        path.write_bytes(data)
        other = factories.CourseFactory()
        rows = [bank_files.check_row(other, row) for row in bank_files.read_bank(path)]
        assert not any(row.problems for row in rows)
        assert [r.data["kind"] for r in rows] == ["multiple", "true_false", "single"]
        assert [c["correct"] for c in rows[0].data["choices"]] == [True, False, True, False]
        # Neutralised in the file, the same text again once imported: no apostrophe gained.
        assert (rows[2].data["text"], rows[2].data["topic"]) == ("=СУМА(1;2) — чи це формула?", "-Мінус")


@pytest.mark.parametrize(
    ("cell", "positions"),
    [("1", [1]), ("1,3", [1, 3]), ("1;3", [1, 3]), ("А В", [1, 3]), (1.3, [1, 3]), (2.0, [2]), ("", [])],
)
def test_the_correct_column_takes_numbers_and_letters(db, cell, positions):
    row = bank_files.bank_row(2, ["Т", "A", "multiple", "П", "", "а", "б", "в", "", "", "", cell])
    assert [i + 1 for i, c in enumerate(row.data["choices"]) if c["correct"]] == positions


def test_reading_a_file_over_the_limits_raises_before_any_row(db, tmp_path):
    path = tmp_path / "bank.xlsx"
    path.write_bytes(hostile_files.declared_rows(20_000_000))
    with pytest.raises(ValidationError):
        next(bank_files.read_bank(path))


def test_results_export_neutralises_formulas(client, db, admin):
    cohort, (enrollment,) = running_cohort(participants=1)
    enrollment.user.full_name = '=HYPERLINK("http://evil")'
    sign_in(client, cohort.lead_trainer)
    response = client.get(f"/cohorts/{cohort.id}/results.xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    assert sheet.cell(row=2, column=1).value.startswith("'=")
