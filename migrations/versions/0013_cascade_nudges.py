"""cascade nudges: reminders to dormant trainers and digests to coordinators, once per period;
the programme's switches for them

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-28 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('cascade_nudges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.CheckConstraint("kind IN ('trainer_dormant', 'coordinator_dormant', 'coordinator_digest')", name=op.f('ck_cascade_nudges_kind')),
    sa.CheckConstraint("status IN ('queued', 'sent', 'skipped', 'failed')", name=op.f('ck_cascade_nudges_status')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_cascade_nudges_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cascade_nudges')),
    sa.UniqueConstraint('user_id', 'kind', 'period_start', name=op.f('uq_cascade_nudges_user_id_kind_period_start'))
    )
    with op.batch_alter_table('cascade_nudges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cascade_nudges_created_at'), ['created_at'], unique=False)

    op.create_table('cascade_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('weekly_nudges', sa.Boolean(), nullable=False),
    sa.Column('monthly_digest', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('id = 1', name=op.f('ck_cascade_settings_single_row')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_cascade_settings_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cascade_settings'))
    )


def downgrade():
    op.drop_table('cascade_settings')
    with op.batch_alter_table('cascade_nudges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cascade_nudges_created_at'))

    op.drop_table('cascade_nudges')
