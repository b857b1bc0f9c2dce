"""job leases: heartbeat, owner, attempts and checkpoint of a long job

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("task", sa.String(length=120), server_default="", nullable=False))
        batch.add_column(sa.Column("lease_owner", sa.String(length=120), nullable=True))
        batch.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("checkpoint", sa.JSON(), nullable=True))
        batch.create_index(batch.f("ix_jobs_heartbeat_at"), ["heartbeat_at"], unique=False)
        batch.create_check_constraint("attempts", "attempts >= 0")
    # Jobs from before the lease: the roster import is the only kind there was.
    op.execute("UPDATE jobs SET task = 'lms.cohorts.import_roster' WHERE kind = 'roster_import'")


def downgrade():
    with op.batch_alter_table("jobs") as batch:
        batch.drop_constraint(batch.f("ck_jobs_attempts"), type_="check")
        batch.drop_index(batch.f("ix_jobs_heartbeat_at"))
        batch.drop_column("checkpoint")
        batch.drop_column("attempts")
        batch.drop_column("heartbeat_at")
        batch.drop_column("lease_owner")
        batch.drop_column("task")
