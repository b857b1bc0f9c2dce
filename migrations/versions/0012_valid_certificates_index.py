"""valid certificates by cohort and holder (index-only counts of the people trained)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-28 09:55:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.create_index(
            'ix_certificates_valid_cohort_user',
            ['cohort_id', 'user_id'],
            unique=False,
            sqlite_where=sa.text("status = 'valid'"),
            postgresql_where=sa.text("status = 'valid'"),
        )


def downgrade():
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_index('ix_certificates_valid_cohort_user')
