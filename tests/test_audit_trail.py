"""The audit trail is append-only (in the application and in the database), and attendance
changed after a cohort is closed is recorded with before and after."""

import pytest
import sqlalchemy as sa
from sqlalchemy import delete, select, update
from sqlalchemy.exc import DBAPIError

from lms.cohorts import attendance
from lms.core import audit
from lms.core.models import AuditEvent, AuditIsAppendOnly
from tests import factories
from tests.conftest import api_headers


@pytest.fixture
def event(db):
    recorded = audit.record(None, "user.role_change", None, before=["participant"], after=["admin"])
    db.session.flush()
    return recorded


def test_the_application_cannot_change_or_remove_an_audit_event(db, event):
    event.action = "nothing.happened"
    with pytest.raises(AuditIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(AuditIsAppendOnly):
        db.session.execute(update(AuditEvent).values(action="nothing.happened"))
    with pytest.raises(AuditIsAppendOnly):
        db.session.execute(delete(AuditEvent))


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_events SET action = 'nothing.happened'", "DELETE FROM audit_events"]
)
def test_the_database_refuses_to_change_or_remove_audit_events(db, event, statement):
    event_id = event.id
    with pytest.raises(DBAPIError, match="append-only"):
        with db.session.begin_nested():
            db.session.execute(sa.text(statement))
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.id == event_id)) == "user.role_change"


@pytest.mark.postgres_only
def test_postgres_refuses_truncating_the_audit_trail(db, event):
    with pytest.raises(DBAPIError, match="append-only"):
        with db.session.begin_nested():
            db.session.execute(sa.text("TRUNCATE audit_events"))


def _training_today():
    course = factories.CourseFactory(days=1)
    cohort = factories.CohortFactory(
        course=course, start_date=attendance.local_today(), status="in_progress", with_sessions=True
    )
    return cohort, [factories.EnrollmentFactory(cohort=cohort) for _ in range(2)]


def test_attendance_changed_after_closing_is_audited_with_before_and_after(client, db):
    cohort, (first, second) = _training_today()
    session = cohort.sessions[0]
    attendance.mark_attendance(
        session, by=cohort.lead_trainer, statuses={first.id: "present", second.id: "absent"}
    )
    assert (
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "attendance.change_after_close")
        ).all()
        == []
    )
    cohort.status = "closed"
    db.session.flush()
    response = client.put(
        f"/api/v1/sessions/{session.id}/attendance",
        json={"present": [first.id, second.id]},
        headers=api_headers(cohort.lead_trainer),
    )
    assert response.status_code == 200, response.json
    (entry,) = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "attendance.change_after_close")
    ).all()
    assert entry.actor_id == cohort.lead_trainer_id
    assert entry.object_type == "sessions" and entry.object_id == session.id
    assert entry.details["before"] == {str(second.id): "absent"}
    assert entry.details["after"] == {str(second.id): "present"}
    assert entry.details["cohort_id"] == cohort.id
