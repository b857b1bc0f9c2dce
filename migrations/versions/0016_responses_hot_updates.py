"""responses: room on each page for an answer's later versions; no second index on attempt_id

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-28 19:00:00

A response row is written by saving an answer, rewritten when she changes it and once more when
she submits (her credit). Filled to the brim by the inserts, a page had no room for the new
version, so every one of those updates went to another page with a new entry in each of the
table's five indexes. With a fill factor of 80 on PostgreSQL the new version stays on its page
and no index changes (a heap-only update). Newly written pages get the room; pages already full
keep their rows until the table is rewritten.

The index on attempt_id alone repeated the first column of the unique (attempt_id,
question_id), which answers the same lookups: every saved answer wrote both.
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.drop_index("ix_responses_attempt_id")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE responses SET (fillfactor = 80)")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE responses RESET (fillfactor)")
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.create_index("ix_responses_attempt_id", ["attempt_id"], unique=False)
