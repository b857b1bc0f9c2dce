"""Privacy: the registry of personal data, a person's export, erasure and the retention rule."""

import io
import json
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.core.db import utcnow
from lms.core.models import AuditEvent
from lms.extensions import db as _db
from lms.privacy import services
from lms.privacy.registry import REGISTRY
from tests import factories
from tests.conftest import api_headers, sign_in


def test_every_table_referring_to_a_person_is_in_the_privacy_registry(app):
    missing = []
    for table in _db.metadata.tables.values():
        references = {fk.parent.name for fk in table.foreign_keys if fk.column.table.name == "users"}
        if table.name == "users":
            references.add("id")
        if not references:
            continue
        entry = REGISTRY.get(table.name)
        if entry is None:
            missing.append(table.name)
            continue
        covered = set(entry.subject) | set(entry.actor)
        missing += [f"{table.name}.{column}" for column in sorted(references - covered)]
    assert missing == [], f"add these to lms/privacy/registry.py: {missing}"


@pytest.fixture
def participant(db):
    person = factories.UserFactory(
        full_name="Гнатюк Оксана",
        email="oksana@example.org",
        phone="+380671234567",
        position="Соціальна працівниця",
    )
    cohort = factories.CohortFactory(with_sessions=True)
    enrollment = factories.EnrollmentFactory(cohort=cohort, user=person)
    from lms.cohorts import attendance

    attendance.mark_attendance(
        cohort.sessions[0],
        by=cohort.lead_trainer,
        statuses={enrollment.id: "absent"},
        notes={enrollment.id: "Хворіє, лікарняний"},
        now=utcnow() + timedelta(days=30),
    )
    api_headers(person)  # she has a token
    return person


def exported_json(response) -> dict:
    """The JSON inside a downloaded data archive."""
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        [name] = [name for name in archive.namelist() if name.startswith("personal-data-")]
        return json.loads(archive.read(name))


def test_a_person_downloads_her_own_data_from_her_profile(client, participant):
    sign_in(client, participant)
    response = client.get("/account/data")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    data = exported_json(response)
    tables = data["tables"]
    assert tables["users"][0]["email"] == "oksana@example.org"
    assert "password_hash" not in tables["users"][0] and "token_hash" not in tables["api_tokens"][0]
    assert len(tables["enrollments"]) == 1
    assert tables["attendance"][0]["note"] == "Хворіє, лікарняний"
    assert any(e.action == "privacy.export" for e in _db.session.scalars(select(AuditEvent)))


def test_api_export_is_hers_or_an_admins_and_404_for_others(client, participant, admin):
    mine = client.get("/api/v1/me/data-export", headers=api_headers(participant))
    assert mine.status_code == 200 and mine.json["person_id"] == participant.id
    by_admin = client.get(f"/api/v1/users/{participant.id}/data-export", headers=api_headers(admin))
    assert by_admin.status_code == 200
    stranger = factories.UserFactory(roles=["trainer"])
    assert (
        client.get(f"/api/v1/users/{participant.id}/data-export", headers=api_headers(stranger)).status_code
        == 404
    )
    sign_in(client, stranger)
    assert client.get(f"/admin/users/{participant.id}/data").status_code == 403


def test_admin_erases_a_person_who_then_cannot_sign_in_and_statistics_stay(client, participant, admin):
    token_headers = api_headers(participant)
    sign_in(client, admin)
    page = client.get(f"/admin/users/{participant.id}").get_data(as_text=True)
    assert f"/admin/users/{participant.id}/erase" in page
    assert client.post(f"/admin/users/{participant.id}/erase").status_code == 302
    assert participant.full_name == f"Видалена особа #{participant.id}"
    assert participant.email.endswith("@erased.invalid") and participant.phone is None
    assert participant.erased_at is not None and not participant.active and participant.password_hash is None
    assert client.get("/api/v1/me", headers=token_headers).status_code == 401
    data = services.export_person(participant, by=admin)
    assert len(data["tables"]["enrollments"]) == 1  # statistics keep her training
    assert data["tables"]["attendance"][0]["note"] == ""
    assert "Гнатюк" not in json.dumps(data, ensure_ascii=False)
    erased = _db.session.scalars(select(AuditEvent).where(AuditEvent.action == "privacy.erase")).one()
    assert erased.actor_id == admin.id and erased.object_id == participant.id
    assert "Гнатюк" not in json.dumps(erased.details, ensure_ascii=False)


def test_only_admins_erase_and_nobody_erases_herself(client, participant, admin):
    coordinator = factories.UserFactory(roles=["coordinator"])
    response = client.post(f"/api/v1/users/{participant.id}/erase", headers=api_headers(coordinator))
    assert response.status_code == 404 and participant.erased_at is None
    own = client.post(f"/api/v1/users/{admin.id}/erase", headers=api_headers(admin))
    assert own.status_code == 422 and admin.erased_at is None
    assert client.post(f"/api/v1/users/{participant.id}/erase", headers=api_headers(admin)).status_code == 204


def test_retention_erases_only_inactive_participants_after_the_period(app, db):
    now = utcnow()
    long_ago = now - timedelta(days=800)
    idle = factories.UserFactory(full_name="Давня Учасниця", roles=["participant"])
    idle.created_at = long_ago
    recent = factories.UserFactory(roles=["participant"])
    recent.created_at = long_ago
    recent.last_login_at = now - timedelta(days=10)
    trainer = factories.UserFactory(roles=["trainer", "participant"])
    trainer.created_at = long_ago
    in_training = factories.UserFactory(roles=["participant"])
    in_training.created_at = long_ago
    factories.EnrollmentFactory(user=in_training)  # a training two weeks ahead
    db.session.flush()
    app.config["RETENTION_INACTIVE_DAYS"] = 0
    assert services.apply_retention(now) == 0
    app.config["RETENTION_INACTIVE_DAYS"] = 730
    try:
        from lms.privacy.tasks import apply_retention

        assert apply_retention.delay().get() == 1  # the beat task, run eagerly in tests
    finally:
        app.config["RETENTION_INACTIVE_DAYS"] = 0
    assert idle.erased_at is not None and idle.full_name.startswith("Видалена особа")
    assert recent.erased_at is None and trainer.erased_at is None and in_training.erased_at is None
    entry = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "privacy.erase")).one()
    assert entry.actor_id is None and entry.details == {"reason": "retention"}


def test_retention_runs_daily_on_the_beat_worker(app):
    schedule = app.extensions["celery"].conf.beat_schedule
    assert schedule["apply-retention"]["task"] == "lms.privacy.apply_retention"
    assert schedule["apply-retention"]["schedule"] == 24 * 60 * 60


def test_data_export_runs_the_same_queries_for_1_and_30_enrolments(client, db, strict_loading):
    from tests.queries import count_queries

    def statements_for(rows: int) -> int:
        person = factories.UserFactory(email=f"export-{rows}@example.org")
        for _ in range(rows):
            factories.EnrollmentFactory(user=person)
        sign_in(client, person)
        with count_queries() as statements:
            response = client.get("/account/data")
        assert response.status_code == 200
        assert len(exported_json(response)["tables"]["enrollments"]) == rows
        return len(statements)

    assert statements_for(1) == statements_for(30)
