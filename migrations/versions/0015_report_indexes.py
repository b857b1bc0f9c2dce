"""indexes the results report reads alone (the enrolled, scored attempts, certificates' kind)

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-28 16:00:00

At 1,000,000 people the one-year report read the whole enrolments table (a sequential scan of
two million rows to find the year's 381,000 enrolled), each scored attempt's row and the
certificate rows (about 1 kB each) for their kind. With these partial, covering indexes on
PostgreSQL (``INCLUDE``) each of those is an index-only scan of the cohorts in scope
(bench/README.md, "A report against its bare SQL"). On SQLite the indexes are the same without
the included columns.
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

ENROLLED = sa.text("status = 'enrolled'")
SCORED = sa.text("submitted_at IS NOT NULL AND score_percent IS NOT NULL")
VALID = sa.text("status = 'valid'")


def _valid_certificates(include: list[str]) -> None:
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.drop_index("ix_certificates_valid_cohort_user")
        batch_op.create_index(
            "ix_certificates_valid_cohort_user",
            ["cohort_id", "user_id"],
            unique=False,
            postgresql_include=include,
            sqlite_where=VALID,
            postgresql_where=VALID,
        )


def upgrade():
    with op.batch_alter_table("enrollments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_enrollments_enrolled_cohort",
            ["cohort_id", "id"],
            unique=False,
            postgresql_include=["user_id"],
            sqlite_where=ENROLLED,
            postgresql_where=ENROLLED,
        )
    with op.batch_alter_table("attempts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_attempts_scored_test",
            ["test_id", "enrollment_id"],
            unique=False,
            postgresql_include=["score_percent"],
            sqlite_where=SCORED,
            postgresql_where=SCORED,
        )
    if op.get_bind().dialect.name == "postgresql":
        _valid_certificates(["kind"])


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        _valid_certificates([])
    with op.batch_alter_table("attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_attempts_scored_test")
    with op.batch_alter_table("enrollments", schema=None) as batch_op:
        batch_op.drop_index("ix_enrollments_enrolled_cohort")
