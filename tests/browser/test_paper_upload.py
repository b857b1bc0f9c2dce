"""A trainer enters paper answers from a file: from the keyboard grid she downloads the answers
template, fills two sheets in, uploads it, reads the check, saves, and the scores are there."""

import csv
import io

import pytest
from sqlalchemy import select

from lms.assessments import delivery
from lms.assessments.models import Attempt
from lms.cohorts.attendance import roster
from lms.cohorts.models import Cohort
from lms.extensions import db
from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser


def _running_post_test(live_app) -> tuple[int, list[int]]:
    """The running training and two of its people with no post-test yet (from the top of the
    list: the phone test takes hers from the bottom)."""
    with live_app.app_context():
        cohort = db.session.scalars(select(Cohort).where(Cohort.status == "in_progress")).first()
        test = delivery.test_of(cohort, "post", create=False)
        waiting = [e.id for e in roster(cohort) if delivery.attempt_of(test, e) is None][:2]
        cohort_id = cohort.id
        db.session.remove()
    return cohort_id, waiting


def _filled(template: bytes, enrollment_ids: list[int]) -> bytes:
    """The downloaded template with the first item answered «А» and the rest «2» for two people."""
    text = template.decode("utf-8-sig")
    dialect = csv.Sniffer().sniff(text.splitlines()[0], delimiters=",;\t")
    rows = list(csv.reader(io.StringIO(text), dialect))
    header, items = rows[0], [i for i, name in enumerate(rows[0]) if name.strip().isdigit()]
    assert items, header
    kept = [header]
    for row in rows[1:]:
        if row and row[0].strip().isdigit() and int(row[0]) in enrollment_ids:
            for n, column in enumerate(items):
                row[column] = "А" if n == 0 else "2"
            kept.append(row)
    assert len(kept) == 3, kept
    out = io.StringIO()
    csv.writer(out, dialect).writerows(kept)
    return out.getvalue().encode("utf-8")


def test_a_trainer_fills_in_the_template_uploads_it_and_the_answers_are_scored(page, live_app, tmp_path):
    cohort_id, people = _running_post_test(live_app)
    assert len(people) == 2
    sign_in(page, "o.melnyk@cascade.demo")
    page.goto(f"/cohorts/{cohort_id}/tests/post/paper")
    page.get_by_role("link", name="Надіслати файл відповідей").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Завантажити зразок для відповідей (CSV)").click()
    filled = tmp_path / "answers.csv"
    filled.write_bytes(_filled(download.value.path().read_bytes(), people))
    page.set_input_files("input[type=file]", str(filled))
    page.get_by_role("button", name="Надіслати файл і перевірити").click()
    page.wait_for_selector('[data-testid="totals"]')
    screenshot(page, "paper-upload-check")
    assert page.locator('[data-testid="problems"]').count() == 0
    page.get_by_role("button", name="Зберегти й оцінити 2 рядки").click()
    page.wait_for_selector('[data-testid="job"][data-status="done"]')
    screenshot(page, "paper-upload-saved")
    with live_app.app_context():
        attempts = db.session.scalars(select(Attempt).where(Attempt.enrollment_id.in_(people))).all()
        posts = [a for a in attempts if a.test.phase == "post"]
        assert len(posts) == 2 and {a.source for a in posts} == {"paper"}
        assert all(a.submitted_at is not None and a.score_percent is not None for a in posts)
        db.session.remove()
