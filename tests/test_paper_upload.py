"""Paper answers uploaded as a CSV or XLSX file: the template, the check in a job with every
problem row, saving through the grid's services, limits, and who may."""

import csv
import io
import re
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from lms.assessments import delivery, paper
from lms.assessments.models import Attempt, Response
from lms.core.audit import AuditEvent
from tests import factories, hostile_files
from tests.assessment_factories import question, running_cohort
from tests.queries import count_queries
from tests.upload_helpers import assert_refused_at_once, latest_job, signed_in, xlsx


def csv_bytes(rows, delimiter=";") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows(rows)
    return out.getvalue().encode("utf-8")


def upload(client, cohort, data: bytes, filename="answers.xlsx", phase="pre", form="A"):
    return client.post(
        f"/cohorts/{cohort.id}/tests/{phase}/paper/upload",
        data={"sheet_form": form, "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


@pytest.fixture
def sheet(db):
    """A running cohort of three, and form A of three items: single (Б right), multiple (А and
    В right), true/false (true right)."""
    cohort, people = running_cohort(participants=3)
    questions = [
        question(cohort.course, correct=(1,)),
        question(cohort.course, kind="multiple", correct=(0, 2)),
        question(cohort.course, kind="true_false", correct=(0,)),
    ]
    return cohort, people, questions


def answers_file(people, cells, *, kind="xlsx", header=("ID", "ПІБ", 1, 2, 3)):
    rows = [list(header)] + [[e.id, e.user.full_name, *cell] for e, cell in zip(people, cells, strict=True)]
    return xlsx(rows) if kind == "xlsx" else csv_bytes(rows)


def check_then_save(
    client, cohort, data: bytes, *, filename="answers.xlsx", skip=False, phase="pre", form="A"
):
    """Upload, read the preview page, then confirm: (preview page, the saving response)."""
    response = upload(client, cohort, data, filename=filename, phase=phase, form=form)
    assert response.status_code == 302, response.text
    preview_url = response.headers["Location"]
    page = client.get(preview_url)
    assert page.status_code == 200
    saved = client.post(preview_url, data={"skip_invalid": "y"} if skip else {})
    return page.text, saved


def attempt(cohort, enrollment, phase="pre"):
    return delivery.attempt_of(delivery.test_of(cohort, phase), enrollment)


def test_an_xlsx_of_answers_is_checked_then_saved_and_scored_like_the_grid(client, db, sheet):
    cohort, people, questions = sheet
    signed_in(client, cohort.lead_trainer)
    # The grid: the first participant, typed in.
    typed = {f"a-{people[0].id}-{q.id}": key for q, key in zip(questions, ["Б", "13", "1"], strict=True)}
    assert (
        client.post(f"/cohorts/{cohort.id}/tests/pre/paper", data={"form": "A", **typed}).status_code == 302
    )
    # The same answers for the others through a file, written the ways people write them.
    page, saved = check_then_save(
        client, cohort, answers_file(people[1:], [["Б", "1,3", 1], ["б", "А В", "а"]])
    )
    assert "Save and score 2 rows" in page and 'data-testid="problems"' not in page
    assert saved.status_code == 302
    job = latest_job(db, "paper_import")
    assert saved.headers["Location"].endswith(f"/cohorts/{cohort.id}/tests/pre/paper/jobs/{job.id}")
    assert (job.status, job.result["answer_sheets"], job.result["skipped"]) == ("done", 2, 0)
    grid, *uploaded = [attempt(cohort, e) for e in people]
    for other in uploaded:
        assert (other.source, other.form, other.score_percent) == ("paper", "A", grid.score_percent)
        assert other.submitted_at is not None and other.item_ids == grid.item_ids
    choices = [
        {
            r.question_id: r.choice_ids
            for r in db.session.scalars(select(Response).where(Response.attempt_id == a.id))
        }
        for a in (grid, *uploaded)
    ]
    assert choices[0] == choices[1] == choices[2]
    assert grid.score_percent == 100.0
    done = client.get(saved.headers["Location"])
    assert "Refresh" not in done.headers and "The answers are saved and scored." in done.text
    # Audited like the grid, and the upload itself once.
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.actor_id == cohort.lead_trainer_id)
    ).all()
    assert actions.count("responses.enter") == 3 and actions.count("responses.upload") == 1


def test_a_csv_of_total_percents_saves_scores_only(client, db, sheet):
    cohort, people, _questions = sheet
    signed_in(client, cohort.lead_trainer)
    rows = [
        ["Email", "Відсоток"],
        [people[0].user.email.upper(), "85,5"],
        [people[1].user.email, "40%"],
        [people[2].user.email, ""],
    ]
    page, saved = check_then_save(client, cohort, csv_bytes(rows), filename="totals.csv", phase="post")
    assert (
        "Save and score 2 rows" in page
        and '>1</div><div class="small text-body-secondary">left empty'
        in page.replace("fw-semibold ", "fw-semibold")
    )
    assert saved.status_code == 302
    first, second, third = (attempt(cohort, e, "post") for e in people)
    assert (first.source, first.score_percent, second.score_percent, third) == (
        "score_only",
        85.5,
        40.0,
        None,
    )


def test_the_template_lists_the_participants_and_the_items_of_the_form(client, db, sheet):
    cohort, people, _questions = sheet
    question(cohort.course, form="B")
    withdrawn = factories.EnrollmentFactory(cohort=cohort, status="withdrawn")
    signed_in(client, cohort.lead_trainer)
    grid = client.get(f"/cohorts/{cohort.id}/tests/pre/paper").text
    assert "Upload a file of answers" in grid and "template.xlsx?form=A" in grid
    response = client.get(f"/cohorts/{cohort.id}/tests/pre/paper/template.xlsx?form=B")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    rows = list(openpyxl.load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    assert rows[0] == ("ID", "Full name", "Email", 1, 2, 3, 4)  # three for both forms, one for B
    assert sorted(row[0] for row in rows[1:]) == sorted(e.id for e in people)
    assert withdrawn.id not in [row[0] for row in rows]
    text = client.get(f"/cohorts/{cohort.id}/tests/pre/paper/template.csv?totals=1").data.decode("utf-8-sig")
    header, *lines = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert header == ["ID", "Full name", "Email", "Percent"] and len(lines) == 3
    # Filled in as it is, it goes back in.
    filled = [[*line[:3], "75"] for line in lines]
    page, saved = check_then_save(client, cohort, csv_bytes([header, *filled]), filename="t.csv")
    assert "Save and score 3 rows" in page and saved.status_code == 302
    assert all(attempt(cohort, e).score_percent == 75.0 for e in people)


def test_every_problem_is_listed_with_its_message_and_nothing_is_saved(client, db, sheet):
    cohort, people, questions = sheet
    namesake = factories.EnrollmentFactory(
        cohort=cohort, user=factories.UserFactory(full_name="Ірина Коваль")
    )
    factories.EnrollmentFactory(cohort=cohort, user=factories.UserFactory(full_name="Коваль Ірина"))
    gone = factories.EnrollmentFactory(cohort=cohort, status="withdrawn")
    online, good = factories.EnrollmentFactory(cohort=cohort), factories.EnrollmentFactory(cohort=cohort)
    test = delivery.open_test(cohort, "pre", by=cohort.lead_trainer)
    delivery.start_attempt(test, online)
    stranger = factories.UserFactory(email="stranger@example.org")
    first = people[0]
    signed_in(client, cohort.lead_trainer)
    rows = [
        ["ID", "Email", "ПІБ", 1, 2, 3, 4, "Відсоток"],
        [first.id, "", "", "7", "", "", "", ""],  # 2: unknown choice
        [first.id, "", "", "Б", "", "", "", ""],  # 3: the same participant again
        ["", stranger.email, "", "1", "", "", "", ""],  # 4: not in the training
        [gone.id, "", "", "1", "", "", "", ""],  # 5: withdrawn
        [people[1].id, "", "", "", "", "", "", "120"],  # 6: percent outside 0–100
        [people[2].id, "", "", "", "", "", "2", ""],  # 7: no item 4 on the form
        ["", "", "Коваль Ірина", "1", "", "", "", ""],  # 8: two people of that name
        [online.id, "", "", "1", "", "", "", ""],  # 9: took it online
        ["999999", "", "", "1", "", "", "", ""],  # 10: no such ID
        [f"enrollment:{namesake.id}:post", "", "", "1", "", "", "", ""],  # 11: the post-test's sheet
        [namesake.id, "", first.user.full_name, "1", "", "", "", ""],  # 12: ID and name disagree
        ["", "", "", "1", "", "", "", ""],  # 13: nobody named
        [people[1].id, "", "", "12", "", "", "", ""],  # 14: two answers to a single-choice item
        [people[2].id, "", "", "1", "", "", "", "50"],  # 15: answers and a percent
        [people[1].id, "", "", "", "", "", "", "many"],  # 16: not a percent
        ["", good.user.email, "", "Б", "13", "1", "", ""],  # 17: good
    ]
    page, saved = check_then_save(client, cohort, xlsx(rows))
    expected = {
        2: "Item 1: unknown answer “7”.",
        3: "The same participant as row 2.",
        4: "“stranger@example.org” is not in this training.",
        5: f"{gone.user.full_name} has withdrawn from the training.",
        6: "A percent is between 0 and 100, not 120.",
        7: "There is no item 4: form A has items 1 to 3.",
        8: "Several people in this training are called “Коваль Ірина”: fill in the ID or the email.",
        9: f"{online.user.full_name} took this test online; her online answers stand.",
        10: "“999999” is not the ID of anyone in this training.",
        11: f"This is an answer sheet of the other test (“enrollment:{namesake.id}:post”).",
        12: "The ID, the email and the name of this row are not all of Ірина Коваль.",
        13: "The row names no participant: fill in the ID, the email or the full name.",
        14: "Item 1 takes one answer, not “12”.",
        15: "Fill in either the answers or the percent, not both.",
        16: "“many” is not a percent.",
    }
    problems = page[page.index('data-testid="problems"') :]
    for row, message in expected.items():
        assert re.search(
            rf"<td>{row}</td>.*?{re.escape(str(__import__('markupsafe').escape(message)))}", problems, re.S
        ), (row, message)
    assert "15 rows have problems" in page and "Save and score 1 row" in page
    assert saved.status_code == 422 and "skip_invalid" in saved.text
    assert latest_job(db, "paper_import") is None
    assert db.session.scalars(select(Attempt).where(Attempt.source != "online")).all() == []


def test_problems_read_in_ukrainian(client, db, sheet):
    cohort, people, _questions = sheet
    signed_in(client, cohort.lead_trainer, lang="uk")
    rows = [
        ["ID", 1, "Відсоток"],
        [people[0].id, "Ж", ""],
        [people[1].id, "", "101"],
        [people[0].id, "1", ""],
        [people[2].id, "", "50"],
    ]
    response = upload(client, cohort, xlsx(rows))
    page = client.get(response.headers["Location"]).text
    assert "Питання 1: невідома відповідь «Ж»." in page
    assert "Відсоток — від 0 до 100, а не 101." in page
    assert "Та сама учасниця, що й у рядку 2." in page
    assert "3 рядки мають проблеми" in page and "Зберегти й оцінити 1 рядок" in page


def test_skipping_the_problem_rows_saves_only_the_good_ones(client, db, sheet):
    cohort, people, _questions = sheet
    signed_in(client, cohort.lead_trainer)
    data = answers_file(people, [["Б", "", ""], ["Ж", "", ""], ["", "", "1"]])
    page, saved = check_then_save(client, cohort, data, skip=True)
    assert "1 row has problems" in page
    job = latest_job(db, "paper_import")
    assert (job.status, job.result["answer_sheets"], job.result["skipped"]) == ("done", 2, 1)
    assert job.result["skipped_rows"][0]["row"] == 3
    assert [attempt(cohort, e) is not None for e in people] == [True, False, True]
    assert attempt(cohort, people[0]).score_percent == round(100 / 3, 1)
    assert "Skipped rows" in client.get(saved.headers["Location"]).text


def test_a_problem_that_appears_after_the_check_saves_nothing(client, db, sheet):
    cohort, people, _questions = sheet
    signed_in(client, cohort.lead_trainer)
    response = upload(client, cohort, answers_file(people[:2], [["Б", "", ""], ["А", "", ""]]))
    preview_url = response.headers["Location"]
    assert "Save and score 2 rows" in client.get(preview_url).text
    people[1].status = "withdrawn"  # meanwhile, on another page
    db.session.flush()
    saved = client.post(preview_url, data={})
    job = latest_job(db, "paper_import")
    assert job.status == "failed" and "1 row has problems, so nothing was saved" in job.error
    assert attempt(cohort, people[0]) is None
    assert "Nothing was saved." in client.get(saved.headers["Location"]).text


def test_the_upload_request_only_stores_the_file_and_the_worker_checks_it(
    app, client, db, sheet, monkeypatch
):
    from lms.assessments import tasks

    monkeypatch.setitem(app.extensions["celery"].conf, "task_always_eager", False)
    cohort, people, _questions = sheet
    signed_in(client, cohort.lead_trainer)
    preview_url = upload(client, cohort, answers_file(people, [["Б"] * 3] * 3, kind="csv"), "a.csv").headers[
        "Location"
    ]
    page = client.get(preview_url)
    assert page.headers["Refresh"] == "2" and "Waiting to start" in page.text
    job = latest_job(db, "paper_check")
    assert (job.status, job.total) == ("queued", 4)  # lines counted, nothing parsed
    tasks.check_paper_answers(job.id)  # what the worker does with the message
    page = client.get(preview_url)
    assert "Refresh" not in page.headers and "Save and score 3 rows" in page.text
    client.post(preview_url, data={})
    saving = latest_job(db, "paper_import")
    assert saving.status == "queued" and attempt(cohort, people[0]) is None
    tasks.save_paper_answers(saving.id)
    db.session.refresh(saving)
    assert saving.status == "done" and attempt(cohort, people[0]).score_percent == round(100 / 3, 1)
    assert not list((Path(app.config["UPLOAD_DIR"]) / "paper").glob(f"{job.params['token']}*"))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (hostile_files.declared_rows(20_000_000), "more than 2,000 rows"),
        (b"ID;1\n" + b"1;1\n" * 2500, "more than 2,000 rows"),
        (hostile_files.declared_rows(100, columns="ZZ"), "more than 210 columns"),
        (hostile_files.zip_bomb(1), "more than 64 MB"),
    ],
)
def test_a_hostile_file_is_refused_at_once_with_the_limit_named(app, client, db, sheet, data, message):
    cohort, _people, _questions = sheet
    signed_in(client, cohort.lead_trainer)
    assert_refused_at_once(
        app,
        db,
        lambda: upload(client, cohort, data),
        folder="paper",
        check_kind="paper_check",
        message=message,
    )


def test_a_file_larger_than_the_limit_is_refused(app, client, db, sheet):
    cohort, _people, _questions = sheet
    signed_in(client, cohort.lead_trainer)
    response = upload(client, cohort, b"ID;1\n" + b"x" * (2 * 1024 * 1024))
    assert response.status_code == 422 and "larger than 2 MB" in response.text


def test_a_sheet_streaming_more_rows_than_it_declares_fails_the_check_before_parsing(app, client, db, sheet):
    cohort, _people, _questions = sheet
    signed_in(client, cohort.lead_trainer)
    response = upload(client, cohort, hostile_files.streamed_rows(50_000))
    page = client.get(response.headers["Location"]).text
    assert 'data-status="failed"' in page and "more than 2,000 rows" in page


def test_a_file_without_a_header_says_what_it_needs(client, db, sheet):
    cohort, _people, _questions = sheet
    signed_in(client, cohort.lead_trainer)
    response = upload(client, cohort, csv_bytes([["Ім'я", "Відповідь"], ["Олена", "1"]]), "x.csv")
    page = client.get(response.headers["Location"]).text
    assert "No header row was found" in page and "Upload another file" in page


def test_other_trainers_and_participants_cannot_upload_or_see_an_upload(client, db, sheet, csrf_enabled):
    cohort, people, _questions = sheet
    signed_in(client, cohort.lead_trainer)
    client.application.config["WTF_CSRF_ENABLED"] = False
    preview_url = upload(client, cohort, answers_file(people, [["Б"] * 3] * 3)).headers["Location"]
    job = latest_job(db, "paper_check")
    client.application.config["WTF_CSRF_ENABLED"] = True
    base = f"/cohorts/{cohort.id}/tests/pre/paper"
    # Without the form's CSRF token nothing is received.
    assert upload(client, cohort, answers_file(people, [["Б"] * 3] * 3)).status_code == 400
    assert client.post(preview_url, data={}).status_code == 400
    for person, status in ((factories.UserFactory(roles=["trainer"]), 404), (people[0].user, 403)):
        signed_in(client, person)
        for path in (f"{base}/upload", f"{base}/template.xlsx", preview_url, f"{base}/jobs/{job.id}"):
            assert client.get(path).status_code == status, (person, path)
    # An upload is found only under its own cohort and phase.
    other, _ = running_cohort(participants=1)
    signed_in(client, other.lead_trainer)
    assert (
        client.get(preview_url.replace(f"/cohorts/{cohort.id}/", f"/cohorts/{other.id}/")).status_code == 404
    )
    signed_in(client, cohort.lead_trainer)
    assert client.get(preview_url.replace("/pre/", "/post/")).status_code == 404
    assert client.get(f"{base}/jobs/{job.id}").status_code == 404  # a check job is not a saving job


def test_the_preview_page_runs_the_same_queries_for_1_and_30_rows(client, db, admin, strict_loading):
    counts = []
    for size in (1, 30):
        cohort, people = running_cohort(participants=size)
        question(cohort.course, by=admin)
        signed_in(client, cohort.lead_trainer)
        rows = [["ID", 1]] + [[e.id, "1" if n % 2 else "Ж"] for n, e in enumerate(people)]
        preview_url = upload(client, cohort, xlsx(rows)).headers["Location"]
        client.get(preview_url)
        with count_queries() as statements:
            response = client.get(preview_url)
        assert response.status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1]


@pytest.mark.parametrize(
    ("key", "positions"),
    [("2", [2]), ("Б", [2]), ("б", [2]), ("B", None), ("A", None), ("13", [1, 3]), ("1,3", [1, 3]), ("А В", [1, 3]),
     ("1.3", [1, 3]), ("", []), ("5", None), ("Ж", None), ("0", None)],
)  # fmt: skip
def test_the_keys_a_cell_may_hold(db, sheet, key, positions):
    _cohort, _people, questions = sheet
    chosen = paper.choice_ids(questions[1], key)
    by_id = {c.id: c.position for c in questions[1].current.choices}
    assert (None if chosen is None else [by_id[c] for c in chosen]) == positions


def test_a_name_with_another_patronymic_is_not_her_and_a_fraction_is_not_a_percent(client, db, sheet):
    cohort, people, _questions = sheet
    petrivna = factories.EnrollmentFactory(
        cohort=cohort, user=factories.UserFactory(full_name="Коваленко Олена Петрівна")
    )
    short = factories.EnrollmentFactory(cohort=cohort, user=factories.UserFactory(full_name="Бойко Марія"))
    signed_in(client, cohort.lead_trainer)
    rows = [
        ["ПІБ", 1, 2, 3, "Відсоток"],
        ["Коваленко Олена Іванівна", "1", "", "", ""],  # 2: a walk-in namesake, not Petrivna
        ["Олена Коваленко", "", "", "", "60"],  # 3: no patronymic written: Petrivna
        ["Бойко Марія Степанівна", "", "", "", "70"],  # 4: the roster left hers out: Бойко Марія
        [people[0].user.full_name, "", "", "", 0.85],  # 5: Excel's 85 %
        [people[1].user.full_name, "", "", "", "1"],  # 6: one per cent is a score
    ]
    page = client.get(upload(client, cohort, xlsx(rows)).headers["Location"]).text
    problems = page[page.index('data-testid="problems"') :]
    assert re.search(r"<td>2</td>.*?is not in this training", problems, re.S)
    assert "“0.85” looks like a fraction" in problems and "write 85 for 85 %" in problems
    ready = page[page.index('data-testid="ready"') :]
    for name in (petrivna.user.full_name, short.user.full_name, people[1].user.full_name):
        assert name in ready
    assert "2 rows have problems" in page and "Save and score 3 rows" in page
