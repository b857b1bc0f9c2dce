"""The printable session kit: a cover page and a sign-in sheet per session."""

import io
import re
from datetime import time, timedelta

from pypdf import PdfReader

from lms.cohorts import attendance, kit, lookup
from tests import factories
from tests.conftest import sign_in


def _kit(cohort) -> bytes:
    """The kit of ``cohort`` loaded as the page loads it (``lookup``), under strict loading."""
    return kit.session_kit_pdf(lookup.get_cohort(cohort.id))


def page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))


def sheet_rows(pdf: bytes) -> list[list[tuple[int, str]]]:
    """Each sign-in sheet's numbered rows as read back from the PDF's text: [(number, name)],
    one list per session (a sheet runs over pages until the next "Session n of m" heading)."""
    sheets: list[list[tuple[int, str]]] = []
    for page in PdfReader(io.BytesIO(pdf)).pages[1:]:
        text = page.extract_text()
        if re.search(r"Заняття \d+ з \d+|Session \d+ of \d+", text):
            sheets.append([])
        for line in text.splitlines():
            row = re.fullmatch(r"(\d+)(?: (.+))?", line.strip())
            if row:
                sheets[-1].append((int(row[1]), row[2] or ""))
    return sheets


def grid_rows(session) -> list[tuple[int, str]]:
    return [(line.number, line.enrollment.user.full_name) for line in attendance.session_register(session)]


def training(people: int, *, days: int = 2):
    course = factories.CourseFactory(
        days=days, title="Процедура встановлення статусу особи, яка постраждала від торгівлі людьми"
    )
    cohort = factories.CohortFactory(course=course, start_date=attendance.local_today(), with_sessions=True)
    institution = factories.InstitutionFactory(name="Уманський районний центр соціальних служб")
    for n in range(people):
        factories.EnrollmentFactory(
            cohort=cohort,
            user=factories.UserFactory(
                full_name=f"Ґрищенко-Їжакевич Олександра Євгенівна {n}",
                position="Фахівчиня із соціальної роботи першої категорії",
                institution=institution,
            ),
        )
    return cohort


def test_kit_is_a_pdf_with_a_cover_and_one_sheet_per_session(client, db):
    cohort = training(people=0, days=3)
    sign_in(client, cohort.lead_trainer)
    response = client.get(f"/cohorts/{cohort.id}/kit.pdf")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    pdf = response.get_data()
    assert pdf.startswith(b"%PDF")
    assert page_count(pdf) == 1 + 3
    assert b"DejaVuSans" in pdf, "the bundled font is embedded, not a system font"
    assert b"Helvetica" not in pdf


def test_kit_for_many_participants_repeats_the_sheet_over_several_pages(app, db):
    cohort = training(people=200, days=2)
    with app.test_request_context():
        pdf = _kit(cohort)
    assert pdf.startswith(b"%PDF")
    pages = page_count(pdf)
    # 205 signing rows of 10 mm do not fit on fewer than 8 A4 pages per session.
    assert pages >= 1 + 2 * 8
    assert pages % 2 == 1, "both sessions' sheets take the same number of pages"


def test_kit_for_a_training_without_sessions_is_the_cover_alone(app, db):
    cohort = factories.CohortFactory()
    with app.test_request_context():
        pdf = _kit(cohort)
    assert page_count(pdf) == 1


def test_kit_renders_cyrillic_names_with_the_bundled_font(app, db):
    cohort = training(people=3, days=1)
    factories.TrainingSessionFactory(cohort=cohort, starts_at=time(18), ends_at=time(20))
    with app.test_request_context():
        pdf = _kit(cohort)
    # fpdf2 refuses characters its font cannot show; DejaVu has every Ukrainian letter.
    assert page_count(pdf) == 1 + 2
    assert re.search(rb"/BaseFont\s*/[A-Z]{6}\+DejaVuSans", pdf), "a subset of DejaVu Sans is embedded"
    assert b"/ToUnicode" in pdf, "the text can be copied and searched"


def test_kit_numbers_people_like_the_attendance_grid(app, client, db):
    cohort = training(people=0, days=1)
    for name in ("Яковенко Ірина", "Іваненко Петро", "Гнатюк Олена"):
        factories.EnrollmentFactory(cohort=cohort, user=factories.UserFactory(full_name=name))
    sign_in(client, cohort.lead_trainer)
    page = client.get(f"/sessions/{cohort.sessions[0].id}/attendance").get_data(as_text=True)
    assert page.index("Гнатюк Олена") < page.index("Іваненко Петро") < page.index("Яковенко Ірина")
    assert [e.user.full_name for e in attendance.roster(cohort)] == [
        "Гнатюк Олена",
        "Іваненко Петро",
        "Яковенко Ірина",
    ]


def test_only_those_who_manage_the_cohort_get_the_kit(client, db):
    cohort = training(people=1, days=1)
    participant = cohort.enrollments[0].user
    sign_in(client, participant)
    assert client.get(f"/cohorts/{cohort.id}/kit.pdf").status_code == 403
    sign_in(client, factories.UserFactory(roles=["trainer"]))
    assert client.get(f"/cohorts/{cohort.id}/kit.pdf").status_code == 404


def test_kit_of_a_past_training_in_english(client, db):
    course = factories.CourseFactory(days=1)
    cohort = factories.CohortFactory(
        course=course,
        start_date=attendance.local_today() - timedelta(days=30),
        status="closed",
        with_sessions=True,
    )
    sign_in(client, cohort.lead_trainer)
    with client.session_transaction() as browser:
        browser["lang"] = "en"
    response = client.get(f"/cohorts/{cohort.id}/kit.pdf")
    assert response.status_code == 200 and page_count(response.get_data()) == 2


def test_kit_sheets_list_the_grids_names_in_its_order_and_numbering(app, client, db):
    cohort = training(people=0, days=2)
    for name in ("Яковенко Ірина", "Іваненко Петро", "Гнатюк Олена", "Єрмак Віра", "Ґудзь Тарас"):
        factories.EnrollmentFactory(cohort=cohort, user=factories.UserFactory(full_name=name))
    factories.EnrollmentFactory(
        cohort=cohort, status="withdrawn", user=factories.UserFactory(full_name="Бондар Ліна")
    )
    sign_in(client, cohort.lead_trainer)
    response = client.get(f"/cohorts/{cohort.id}/kit.pdf")
    assert response.status_code == 200
    sheets = sheet_rows(response.get_data())
    assert len(sheets) == 2
    expected = [
        (1, "Гнатюк Олена"),
        (2, "Ґудзь Тарас"),
        (3, "Єрмак Віра"),
        (4, "Іваненко Петро"),
        (5, "Яковенко Ірина"),
    ]
    for session, rows in zip(cohort.sessions, sheets, strict=True):
        assert grid_rows(session) == expected
        assert rows[:5] == expected
        walk_ins = rows[5:]
        assert walk_ins, "empty rows follow for people who come without enrolling"
        assert [number for number, _ in walk_ins] == list(range(6, 6 + len(walk_ins)))
        assert {name for _, name in walk_ins} == {""}


def test_kit_numbering_runs_on_across_pages_of_a_long_sheet(app, db):
    cohort = training(people=0, days=1)
    names = [f"Учасниця {n:02d}" for n in range(40)]
    for name in reversed(names):
        factories.EnrollmentFactory(cohort=cohort, user=factories.UserFactory(full_name=name))
    with app.test_request_context():
        (rows,) = sheet_rows(kit.session_kit_pdf(lookup.get_cohort(cohort.id)))
    assert rows[:40] == list(enumerate(names, start=1))
    assert rows[:40] == grid_rows(cohort.sessions[0])
    assert [number for number, _ in rows] == list(range(1, len(rows) + 1))
