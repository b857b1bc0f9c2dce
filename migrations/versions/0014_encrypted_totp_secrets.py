"""two-factor secrets encrypted at rest

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-28 13:00:00

The column grows from 64 characters to text to hold a Fernet token, and every secret already
set up is encrypted in place with the app's key (lms.core.encryption: LMS_ENCRYPTION_KEY, or
one derived from SECRET_KEY). Downgrade decrypts them back into the plain column, so it needs
the same key.
"""
from alembic import op
import sqlalchemy as sa

from lms.core.encryption import decrypt, encrypt


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

# The column as stored: plain text either way, the migration does the encrypting itself.
users = sa.table('users', sa.column('id', sa.Integer), sa.column('totp_secret', sa.Text))


def _rewrite(change):
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(users.c.id, users.c.totp_secret).where(users.c.totp_secret.is_not(None))
    ).all()
    for user_id, value in rows:
        connection.execute(users.update().where(users.c.id == user_id).values(totp_secret=change(value)))


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('totp_secret', existing_type=sa.String(length=64), type_=sa.Text(), existing_nullable=True)
    _rewrite(encrypt)


def downgrade():
    _rewrite(decrypt)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('totp_secret', existing_type=sa.Text(), type_=sa.String(length=64), existing_nullable=True)
