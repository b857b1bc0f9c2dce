"""Roster files: reading CSV and XLSX, recognising columns, checking and matching rows, and
importing them (nothing until problems are fixed or skipped)."""

import email
import email.policy
from pathlib import Path

import openpyxl
import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from lms.accounts.models import User
from lms.cohorts import roster
from lms.cohorts.models import Enrollment
from lms.cohorts.roster import checks
from lms.cohorts.roster.files import map_columns
from lms.core import outbox
from lms.core.errors import ValidationError
from tests import factories

NAME = "Ґалаґан Їжакевич Щербухи Марʼяна"


@pytest.fixture
def cohort(db):
    region = factories.RegionFactory(name="Черкаська область", name_en="Cherkasy Oblast")
    uman = factories.DistrictFactory(region=region, name="Уманський район", name_en="Uman Raion")
    factories.DistrictFactory(region=region, name="Черкаський район", name_en="Cherkasy Raion")
    factories.InstitutionFactory(district=uman, name="Уманський районний центр соціальних служб")
    return factories.CohortFactory(district=uman, capacity=3, with_sessions=True)


def write(tmp_path: Path, text: str, encoding: str = "utf-8", name: str = "roster.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def csv_of(*rows, delimiter=";") -> str:
    return "\r\n".join(delimiter.join(row) for row in rows) + "\r\n"


def problems(preview) -> dict[int, list[str]]:
    return {row["row"]: [code for code, _params in row["problems"]] for row in preview.problem_rows}


def in_english(reason) -> str:
    """A stored problem or note as an English-speaking trainer reads it."""
    with force_locale("en"):
        return roster.describe(reason)


def enrolled(cohort) -> dict[str, str]:
    from lms.extensions import db

    rows = db.session.execute(
        select(User.email, Enrollment.status).join(Enrollment.user).where(Enrollment.cohort_id == cohort.id)
    )
    return dict(rows.all())


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (["ПІБ", "E-mail", "Телефон", "Посада", "Установа", "Район"],
         ["full_name", "email", "phone", "position", "institution", "district"]),
        (["Прізвище, ім'я, по батькові", "Електронна пошта", "phone", "POSITION", "Заклад", "district"],
         ["full_name", "email", "phone", "position", "institution", "district"]),
        (["  Прізвище  ім’я по батькові ", "Ел. пошта", " Телефон ", "посада", "Organisation", "РАЙОН"],
         ["full_name", "email", "phone", "position", "institution", "district"]),
        (["Full name", "EMAIL", "Phone", "Position", "Institution", "District"],
         ["full_name", "email", "phone", "position", "institution", "district"]),
        (["№", "Name", "e-mail", "Ел.пошта"], [None, "full_name", "email", None]),
        (["Прізвище", "Ім'я", "По батькові", "Email"], ["surname", "first_name", "patronymic", "email"]),
    ],
)  # fmt: skip
def test_column_names_are_recognised_in_ukrainian_and_english_in_any_case(header, expected):
    columns = map_columns(header)
    assert [
        next((f for f, i in columns.items() if i == index), None) for index in range(len(header))
    ] == expected


def test_windows_1251_file_with_semicolons_keeps_ukrainian_names(cohort, tmp_path):
    name = NAME.replace("ʼ", "’")  # the modifier apostrophe is not in Windows-1251
    text = csv_of(["ПІБ", "Email", "Телефон", "Посада", "Район"],
                  [name, "m.galagan@example.org", "067 123 45 67", "Соціальна працівниця", "Уманський"])  # fmt: skip
    rows = list(roster.read_roster(write(tmp_path, text, "cp1251")))
    assert rows == [
        (2, {"full_name": name, "email": "m.galagan@example.org", "phone": "067 123 45 67",
             "position": "Соціальна працівниця", "district": "Уманський"}),
    ]  # fmt: skip


@pytest.mark.parametrize(("encoding", "delimiter"), [("utf-8-sig", ","), ("utf-8", "\t"), ("utf-16", "\t")])
def test_utf8_with_or_without_bom_and_other_delimiters(cohort, tmp_path, encoding, delimiter):
    text = csv_of(
        ["Full name", "Email"], [NAME, "m@example.org"], ["Бойко Олена", "o@example.org"], delimiter=delimiter
    )
    rows = list(roster.read_roster(write(tmp_path, text, encoding)))
    assert [values["full_name"] for _n, values in rows] == [NAME, "Бойко Олена"]


def test_a_comma_inside_the_name_header_does_not_fool_the_delimiter(tmp_path):
    text = csv_of(["Прізвище, ім'я, по батькові", "Email", "Телефон"], [NAME, "m@example.org", "0671234567"])
    ((_row, values),) = roster.read_roster(write(tmp_path, text))
    assert values == {"full_name": NAME, "email": "m@example.org", "phone": "0671234567"}


def test_xlsx_with_a_title_row_separate_name_columns_and_a_phone_that_lost_its_zero(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Список учасників тренінгу, Уманський район"])
    sheet.append(["Прізвище", "Ім'я", "По батькові", "Телефон", "E-mail"])
    sheet.append(["Ґалаґан", "Марʼяна", "Іванівна", 671234567, "m@example.org"])
    sheet.append([None, None, None, None, None])
    sheet.append(["Щербуха", "Олег", None, "+380 50 111 22 33", None])
    path = tmp_path / "roster.xlsx"
    workbook.save(path)
    rows = [(n, v["full_name"], v["phone"]) for n, v in roster.read_roster(path)]
    assert rows == [(3, "Ґалаґан Марʼяна Іванівна", "0671234567"), (5, "Щербуха Олег", "+380 50 111 22 33")]


def test_each_problem_is_reported_on_its_row(db, cohort, tmp_path):
    registered = factories.UserFactory(email="already@example.org")
    waiting = factories.UserFactory(email="waiting@example.org")
    factories.EnrollmentFactory(cohort=cohort, user=registered)
    factories.EnrollmentFactory(cohort=cohort, user=waiting, status="waitlisted")
    factories.UserFactory(email="gone@example.org", active=False)
    text = csv_of(
        ["ПІБ", "Email", "Телефон", "Посада", "Район"],
        ["", "nobody@example.org", "", "", ""],  # 2
        ["Бойко Олена", "not-an-email", "", "", ""],  # 3
        ["Бойко Ірина", "irina@example.org", "call me", "", ""],  # 4
        ["Мороз Алла", "alla@example.org", "", "", "Бердичівський"],  # 5
        ["Мороз Алла", "ALLA@example.org", "", "", ""],  # 6
        ["Вовк Степан", "stepan@example.org", "0501112233", "", ""],  # 7
        ["Вовк Степан", "stepan2@example.org", "+38 050 111 22 33", "", ""],  # 8
        ["Коваль Ганна", "already@example.org", "", "", ""],  # 9
        ["Ткачук Юрій", "waiting@example.org", "", "", ""],  # 10
        ["Я" * 201, "long@example.org", "", "", ""],  # 11
        ["Лисенко Іван", "ivan@example.org", "", "П" * 201, ""],  # 12
        ["Без Пошти", "", "0991234567", "", ""],  # 13
        ["Деактивована Особа", "gone@example.org", "", "", ""],  # 14
        ["Гарна Особа", "good@example.org", "", "", "Уманський район"],  # 15
    )
    preview = roster.preview_roster(cohort, write(tmp_path, text))
    assert problems(preview) == {
        2: ["missing_name"],
        3: ["bad_email"],
        4: ["bad_phone"],
        5: ["unknown_district"],
        6: ["duplicate_email"],
        8: ["duplicate_phone"],
        9: ["already_enrolled"],
        10: ["already_waitlisted"],
        11: ["long_name"],
        12: ["long_position"],
        13: ["no_email"],
        14: ["inactive"],
    }
    assert (preview.rows, preview.ready, preview.problems) == (14, 2, 12)
    reasons = {row["row"]: in_english(row["problems"][0]) for row in preview.problem_rows}
    assert reasons[5] == "There is no district «Бердичівський» in Черкаська область."
    assert reasons[6] == "The same email as row 5."
    assert reasons[8] == "The same phone as row 7."


def test_people_are_matched_by_email_else_by_normalised_phone(db, cohort, tmp_path):
    by_email = factories.UserFactory(email="olena@example.org", full_name="Олена Бойко")
    by_phone = factories.UserFactory(
        email="other@example.org", phone="+380671234567", full_name="Ірина Мороз"
    )
    text = csv_of(
        ["ПІБ", "Email", "Телефон"],
        ["Бойко Олена", "Olena@Example.org", ""],
        ["Мороз Ірина", "", "(067) 123-45-67"],
        ["Нова Людина", "new@example.org", "067 123 45 67"],
    )
    preview = roster.preview_roster(cohort, write(tmp_path, text))
    assert problems(preview) == {4: ["duplicate_phone"]}
    assert [(r["row"], r["matched_by"], r["person"]) for r in preview.ready_rows] == [
        (2, "email", by_email.full_name),
        (3, "phone", by_phone.full_name),
    ]
    assert (preview.matched_by_email, preview.matched_by_phone, preview.new_people) == (1, 1, 0)


def test_a_phone_shared_by_several_people_needs_the_email(db, cohort, tmp_path):
    for _ in range(2):
        factories.UserFactory(phone="+380671234567")
    preview = roster.preview_roster(
        cohort, write(tmp_path, csv_of(["ПІБ", "Телефон"], ["Хтось", "0671234567"]))
    )
    assert problems(preview) == {2: ["phone_shared"]}


def test_districts_match_within_the_region_in_any_form_and_institutions_within_the_district(
    db, cohort, tmp_path
):
    text = csv_of(
        ["ПІБ", "Email", "Район", "Установа"],
        ["А Б", "a@example.org", "Уманський", "уманський  районний центр соціальних служб"],
        ["В Г", "b@example.org", "уманський район", ""],
        ["Д Е", "c@example.org", "Уманський р-н", "Неіснуючий заклад"],
        ["Є Ж", "d@example.org", "Черкаський район", "Уманський районний центр соціальних служб"],
        ["З И", "e@example.org", "Uman Raion", ""],
    )
    path = write(tmp_path, text)
    preview = roster.preview_roster(cohort, path)
    assert preview.problems == 0 and preview.notes == 2
    notes = {r["row"]: [in_english(n) for n in r["notes"]] for r in preview.ready_rows if r["notes"]}
    assert notes == {
        4: ["«Неіснуючий заклад» is not among the institutions of Уманський район: left empty."],
        5: [
            "«Уманський районний центр соціальних служб» is not among the institutions of Черкаський район: left empty."
        ],
    }
    roster.import_roster(cohort, path, by=cohort.lead_trainer, send_invitations=False)
    institutions = dict(
        db.session.execute(
            select(User.email, User.institution_id).where(User.email.like("%@example.org"))
        ).all()
    )
    assert institutions["a@example.org"] is not None
    assert institutions["c@example.org"] is None and institutions["d@example.org"] is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (b"\x00\x01\x02binary\x00", "neither a CSV nor an XLSX"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1old excel", "old Excel file"),
        (b"PK\x03\x04not really a zip", "could not be opened"),
        ("Email;Телефон\r\na@example.org;067\r\n".encode(), "No column with the names"),
        ("ПІБ;Email\r\n;;\r\n".encode(), "no rows of people"),
    ],
)
def test_files_that_cannot_be_read_give_a_clear_message(cohort, tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with force_locale("en"):
        with pytest.raises(ValidationError) as error:
            roster.preview_roster(cohort, path)
        assert message in str(error.value.message)
    assert "file" in error.value.fields


def test_a_file_with_problems_imports_nothing_until_they_are_skipped(db, cohort, tmp_path, mail_dir):
    registered = factories.UserFactory(email="olena@example.org")
    text = csv_of(
        ["ПІБ", "Email", "Телефон", "Установа"],
        ["Бойко Олена", "olena@example.org", "", ""],
        ["Погана Пошта", "bad@", "", ""],
        [NAME, "maryana@example.org", "067 123 45 67", "Уманський районний центр соціальних служб"],
        ["Мороз Алла", "alla@example.org", "", ""],
        ["Вовк Степан", "stepan@example.org", "", ""],
    )
    path = write(tmp_path, text)
    users_before = db.session.scalar(select(User.id).order_by(User.id.desc()).limit(1))
    with pytest.raises(roster.RosterHasProblems) as error:
        roster.import_roster(cohort, path, by=cohort.lead_trainer)
    assert error.value.preview.problems == 1
    assert enrolled(cohort) == {}
    assert db.session.scalar(select(User.id).order_by(User.id.desc()).limit(1)) == users_before

    before = set(mail_dir.glob("*.eml")) if mail_dir.exists() else set()
    report = roster.import_roster(cohort, path, by=cohort.lead_trainer, skip_invalid=True)
    assert {k: report[k] for k in ("rows", "created", "matched", "enrolled", "waitlisted", "skipped")} == {
        "rows": 5, "created": 3, "matched": 1, "enrolled": 3, "waitlisted": 1, "skipped": 1,
    }  # fmt: skip
    assert [(r["row"], [p[0] for p in r["problems"]]) for r in report["skipped_rows"]] == [(3, ["bad_email"])]
    assert enrolled(cohort) == {
        "olena@example.org": "enrolled",
        "maryana@example.org": "enrolled",
        "alla@example.org": "enrolled",
        "stepan@example.org": "waitlisted",
    }
    maryana = db.session.scalar(select(User).where(User.email == "maryana@example.org"))
    assert (maryana.full_name, maryana.full_name_latin, maryana.phone) == (
        NAME,
        "Galagan Yizhakevych Shcherbukhy Mariana",
        "+380671234567",
    )
    assert maryana.institution.name == "Уманський районний центр соціальних служб"
    assert maryana.roles == {"participant"} and registered.full_name != NAME
    db.session.commit()
    outbox.publish_ready()
    sent = [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
        for p in set(mail_dir.glob("*.eml")) - before
    ]
    invited = {m["To"] for m in sent if m.get_filename() or any(m.iter_attachments())}
    assert invited == {"olena@example.org", "maryana@example.org", "alla@example.org"}
    bodies = {m["To"]: m.get_body(("plain",)).get_content() for m in sent}
    # New people get a link to choose a password; a registered one, a sign-in link.
    assert (
        "/password/set/" in bodies["maryana@example.org"] and "/password/set/" in bodies["alla@example.org"]
    )
    assert "/password/set/" not in bodies["olena@example.org"] and "/login" in bodies["olena@example.org"]
    # Stepan waits for a seat with a new account: the welcome is his way in.
    assert "/password/set/" in bodies["stepan@example.org"]


def test_a_withdrawn_person_in_the_roster_is_enrolled_again(db, cohort, tmp_path):
    person = factories.UserFactory(email="back@example.org")
    old = factories.EnrollmentFactory(cohort=cohort, user=person, status="withdrawn")
    report = roster.import_roster(
        cohort, write(tmp_path, csv_of(["ПІБ", "Email"], ["Повернулася", "back@example.org"])), by=cohort.lead_trainer,
        send_invitations=False,
    )  # fmt: skip
    assert (report["matched"], report["enrolled"], report["created"]) == (1, 1, 0)
    db.session.refresh(old)
    assert old.status == "enrolled" and old.withdrawn_at is None


def test_rows_are_handled_in_batches_with_duplicates_found_across_them(db, cohort, tmp_path, monkeypatch):
    monkeypatch.setattr(checks, "BATCH_SIZE", 2)
    cohort.capacity = 10
    rows = [[f"Особа {n}", f"p{n}@example.org"] for n in range(5)] + [["Повтор", "p1@example.org"]]
    path = write(tmp_path, csv_of(["ПІБ", "Email"], *rows))
    seen = []

    def record(done, checkpoint):
        seen.append((done, checkpoint["last_row"]))

    report = roster.import_roster(
        cohort, path, by=cohort.lead_trainer, skip_invalid=True, send_invitations=False, progress=record
    )
    assert seen == [(2, 3), (4, 5), (6, 7)]
    assert [(r["row"], r["problems"]) for r in report["skipped_rows"]] == [
        (7, [["duplicate_email", {"row": 3}]])
    ]
    assert report["enrolled"] == 5


def test_only_the_first_problem_rows_are_kept_for_display(db, cohort, tmp_path, monkeypatch):
    from lms.cohorts.roster import importer

    monkeypatch.setattr(importer, "SHOWN", 3)
    path = write(tmp_path, csv_of(["ПІБ", "Email"], *[["", f"x{n}@example.org"] for n in range(7)]))
    preview = roster.preview_roster(cohort, path)
    assert (preview.problems, len(preview.problem_rows)) == (7, 3)


def test_closed_cohort_refuses_a_roster(db, tmp_path):
    cohort = factories.CohortFactory(status="closed")
    from lms.core.errors import Conflict

    with pytest.raises(Conflict):
        roster.import_roster(
            cohort, write(tmp_path, csv_of(["ПІБ", "Email"], ["А", "a@example.org"])), by=cohort.lead_trainer
        )


def test_template_is_a_roster_the_reader_understands(tmp_path):
    path = tmp_path / "template.csv"
    path.write_bytes(roster.template_csv())
    ((_row, values),) = roster.read_roster(path)
    assert values["full_name"] == "Ґалаґан Марʼяна Іванівна" and values["district"] == "Уманський"


class Crash(Exception):
    pass


def test_a_resumed_import_counts_its_own_earlier_rows_as_imported(db, cohort, tmp_path, monkeypatch):
    monkeypatch.setattr(checks, "BATCH_SIZE", 2)
    cohort.capacity = 10
    rows = [[f"Особа {n}", f"p{n}@example.org"] for n in range(5)] + [["Повтор", "p1@example.org"]]
    path = write(tmp_path, csv_of(["ПІБ", "Email"], *rows))
    saved = {}

    def crash_after_second_batch(done, checkpoint):
        saved.update(checkpoint)  # what the job row holds once the batch is committed
        if done == 4:
            raise Crash

    with pytest.raises(Crash):
        roster.import_roster(
            cohort, path, by=cohort.lead_trainer, skip_invalid=True, send_invitations=False,
            progress=crash_after_second_batch,
        )  # fmt: skip
    assert saved["last_row"] == 5 and saved["report"]["enrolled"] == 4
    report = roster.import_roster(
        cohort, path, by=cohort.lead_trainer, skip_invalid=True, send_invitations=False, checkpoint=saved
    )
    assert (report["rows"], report["enrolled"], report["created"], report["skipped"]) == (6, 5, 5, 1)
    # The one skipped row is the file's own duplicate, found although its first row was imported
    # by the first attempt; nobody the job enrolled itself is "already enrolled".
    assert [(r["row"], r["problems"]) for r in report["skipped_rows"]] == [
        (7, [["duplicate_email", {"row": 3}]])
    ]
    assert (
        db.session.scalar(
            select(func.count()).select_from(Enrollment).where(Enrollment.cohort_id == cohort.id)
        )
        == 5
    )
