"""The audit log reads as sentences with links to the records; the raw entry is one click away."""

from datetime import date
from pathlib import Path

import pytest

from lms.core import audit
from tests import factories
from tests.conftest import sign_in
from tests.queries import count_queries


def rows_of(page: str) -> str:
    return page[page.index('data-testid="audit-log"') :]


def english(client):
    with client.session_transaction() as session:
        session["lang"] = "en"


@pytest.fixture
def marked(db):
    trainer = factories.UserFactory(
        roles=["trainer"], full_name="Оксана Мельник", full_name_latin="Oksana Melnyk"
    )
    cohort = factories.CohortFactory(lead_trainer=trainer, start_date=date(2031, 3, 12), with_sessions=True)
    session = cohort.sessions[0]
    db.session.flush()
    audit.record(trainer, "attendance.mark", session, source="trainer", present=20, late=1, absent=0)
    return trainer, cohort, session


def test_attendance_marked_reads_as_words_with_counts_and_a_link_to_the_session(client, db, admin, marked):
    _trainer, cohort, session = marked
    sign_in(client, admin)
    rows = rows_of(client.get("/admin/audit/").get_data(as_text=True))
    assert "<strong>Оксана Мельник</strong>: позначено відвідування — 20 присутніх, 1 запізнення" in rows
    assert f'href="/sessions/{session.id}/attendance">{cohort.course.code},' in rows
    english(client)
    rows = rows_of(client.get("/admin/audit/").get_data(as_text=True))
    assert "<strong>Oksana Melnyk</strong> marked attendance — 20 present, 1 late" in rows


def test_the_filter_lists_actions_and_records_by_their_names(client, db, admin, marked):
    sign_in(client, admin)
    page = client.get("/admin/audit/").get_data(as_text=True)
    assert '<option value="sessions" >Заняття</option>' in page
    assert '<option value="attendance.mark" >Позначено відвідування</option>' in page
    chosen = client.get("/admin/audit/?action=attendance.mark&object_type=sessions").get_data(as_text=True)
    assert "позначено відвідування" in rows_of(chosen)
    assert "Nothing" not in chosen and "Нічого" not in chosen
    none = client.get("/admin/audit/?action=cohort.create&object_type=sessions").get_data(as_text=True)
    assert 'data-testid="audit-log"' not in none


def test_the_raw_entry_is_one_click_away_for_admins(client, db, admin, marked):
    _trainer, _cohort, session = marked
    sign_in(client, admin)
    rows = rows_of(client.get("/admin/audit/").get_data(as_text=True))
    raw = rows[rows.index("<details") : rows.index("</details>")]
    assert (
        "<code>attendance.mark</code>" in raw and f"sessions #{session.id}" in raw and '"present": 20' in raw
    )


def test_an_action_nobody_registered_shows_its_code_and_a_missing_record_its_kind(client, db, admin):
    audit.record(admin, "reports.export", None, rows=3)
    person = factories.UserFactory()
    audit.record(admin, "user.update", person, before={"email": "old@example.org"})
    db.session.flush()
    person_id = person.id
    db.session.delete(person)
    sign_in(client, admin)
    rows = rows_of(client.get("/admin/audit/").get_data(as_text=True))
    assert "reports.export" in rows
    assert f"Користувачі #{person_id}" in rows
    assert "змінено профіль особи — електронна адреса" in rows


def test_names_in_the_log_are_escaped(client, db, admin):
    person = factories.UserFactory(full_name="<script>alert(1)</script>")
    db.session.flush()
    audit.record(person, "user.sign_in", person)
    sign_in(client, admin)
    page = client.get("/admin/audit/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_the_audit_page_runs_as_many_queries_for_30_events_as_for_1(client, db, admin, strict_loading):
    def events(n):
        for _ in range(n):
            trainer = factories.UserFactory(roles=["trainer"])
            cohort = factories.CohortFactory(lead_trainer=trainer, with_sessions=True)
            person = factories.UserFactory()
            enrollment = factories.EnrollmentFactory(cohort=cohort, user=person)
            db.session.flush()
            audit.record(trainer, "attendance.mark", cohort.sessions[0], present=1)
            audit.record(trainer, "enrollment.enrol", enrollment, user_id=person.id)
            audit.record(admin, "cohort.status", cohort, before="draft", after="scheduled")
            audit.record(admin, "user.update", person, before={"roles": []})

    sign_in(client, admin)
    events(1)
    with count_queries() as one:
        assert client.get("/admin/audit/").status_code == 200
    events(29)
    with count_queries() as thirty:
        page = client.get("/admin/audit/")
    assert page.status_code == 200 and page.get_data(as_text=True).count("<details") == 50
    assert len(thirty) == len(one)


def test_core_does_not_import_features_to_describe_them():
    source = (Path(__file__).parent.parent / "lms" / "core" / "audit_log.py").read_text()
    assert "from lms." not in source.replace("from lms.core", "")
