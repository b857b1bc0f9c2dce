"""A trainer runs a training from her phone: plans it with its sessions, imports the roster the
district sent, and marks attendance in the room."""

import re

import pytest

from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser

# Windows-1251, semicolons, Ukrainian headers: how district administrations send their lists.
ROSTER = (
    "ПІБ;Електронна пошта;Телефон;Посада;Район\r\n"
    "Ґалаґан Мар'яна Їжакевич;m.galagan@example.org;+380671234501;Практичний психолог;Черкаський\r\n"
    "Щербак Олег Петрович;o.shcherbak@example.org;0671234502;Соціальний педагог;Черкаський район\r\n"
    "Юрченко Ірина Василівна;i.yurchenko@example.org;;Фахівчиня із соціальної роботи;Черкаський\r\n"
    ";no.name@example.org;;Без імені;Черкаський\r\n"
).encode("cp1251")


def choose_option(page, select: str, text: str) -> None:
    """Pick the option of ``select`` whose label contains ``text``."""
    value = page.eval_on_selector(
        select,
        "(el, text) => [...el.options].find(o => o.textContent.includes(text))?.value",
        text,
    )
    assert value, f"no option with {text!r} in {select}"
    page.select_option(select, value)


def test_trainer_plans_imports_a_roster_and_marks_attendance_on_a_phone(phone, tmp_path):
    page = phone
    sign_in(page, "n.bondarenko@cascade.demo")

    # Plan: PTL-NEEDS (one day) today, sessions proposed from the course.
    page.goto("/cohorts/new")
    with page.expect_navigation():  # choosing the course reloads the form with its trainers
        choose_option(page, "#course_id", "PTL-NEEDS")
    choose_option(page, "#lead_trainer_id", "Бондаренко")
    choose_option(page, "#district_id", "Черкаський")
    page.fill("#venue", "Смілянський міський центр соціальних служб, вул. Соборна 32, зала 1")
    today = page.evaluate("() => new Date().toLocaleDateString('sv-SE', {timeZone: 'Europe/Kyiv'})")
    page.fill("#start_date", today)
    page.fill("#capacity", "10")
    with page.expect_navigation():
        page.locator("button[name=propose]").click()
    assert page.get_by_test_id("session-row").count() == 1
    screenshot(page, "trainer-plan-phone")
    page.locator("main form button.btn-primary[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/cohorts/\d+$"))
    cohort_url = page.url
    assert "PTL-NEEDS" in page.content()

    # Schedule it.
    page.locator("form:has(input[name=status][value=scheduled]) button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(".badge", has_text=re.compile("Заплановано|Scheduled")).first.is_visible()

    # Roster: upload, see the problem row, choose to skip it, import.
    roster = tmp_path / "roster.csv"
    roster.write_bytes(ROSTER)
    page.goto(cohort_url + "/roster/upload")
    page.set_input_files("input[type=file]", str(roster))
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    problems = page.get_by_test_id("problems")
    assert problems.is_visible()
    # The nameless row is named by its line in the file (the header is line 1), as a spreadsheet shows it.
    assert re.search(r"^5\s", problems.inner_text(), re.M) and "no.name@example.org" in problems.inner_text()
    assert "Ґалаґан Мар'яна Їжакевич" in page.get_by_test_id("ready").inner_text()
    screenshot(page, "trainer-roster-preview-phone")
    page.check("#skip_invalid")
    page.uncheck("#send_invitations")
    page.locator("main form button.btn-primary[type=submit]").click()
    page.wait_for_selector("[data-testid=job][data-status=done]", timeout=20_000)
    screenshot(page, "trainer-roster-report-phone")

    # Attendance in the room: everyone present, then one of them marked absent.
    page.goto(cohort_url)
    page.locator("a", has_text=re.compile("Відмітити відвідування|Mark attendance")).first.click()
    page.wait_for_load_state()
    cards = page.locator("input[name=enrollment]")
    assert cards.count() == 3
    page.locator("[data-all-present]").click()
    last = cards.nth(2).get_attribute("value")
    page.locator(f"label[for=status-{last}-absent]").click()
    screenshot(page, "trainer-attendance-phone")
    page.locator("button[name=action][value=save]").last.click()
    page.wait_for_load_state()
    page.goto(cohort_url)
    assert re.search(r"2\s*/\s*3", page.content()), "the panel shows 2 of 3 present"
    screenshot(page, "trainer-cohort-phone")
