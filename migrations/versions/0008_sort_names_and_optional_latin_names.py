"""people's surname and surname-first sort name; institutions' English (Latin) name

Revision ID: 0008
Revises: 0006
Create Date: 2026-11-28 07:20:00

Existing people get the surname guessed from their full name as the app does on save
(lms.accounts.names.guess_surname); existing institutions
get the national transliteration of their name as ``name_en``.
"""
from alembic import op
import sqlalchemy as sa

from lms.accounts.names import guess_surname, sort_name
from lms.org.translit import transliterate


revision = '0008'
down_revision = '0006'
branch_labels = None
depends_on = None


def _surname_and_sort_name(full_name):
    # The app's own rule, so that existing people sort as people saved from now on.
    surname = guess_surname(full_name)
    return surname[:200], sort_name(full_name, surname)[:200]


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('surname', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('sort_name', sa.String(length=200), nullable=False, server_default=''))
    with op.batch_alter_table('institutions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_en', sa.String(length=255), nullable=False, server_default=''))

    connection = op.get_bind()
    users = sa.table('users', sa.column('id'), sa.column('full_name'), sa.column('surname'), sa.column('sort_name'))
    for user_id, full_name in connection.execute(sa.select(users.c.id, users.c.full_name)).all():
        surname, sort_name = _surname_and_sort_name(full_name)
        connection.execute(users.update().where(users.c.id == user_id).values(surname=surname, sort_name=sort_name))
    institutions = sa.table('institutions', sa.column('id'), sa.column('name'), sa.column('name_en'))
    for institution_id, name in connection.execute(sa.select(institutions.c.id, institutions.c.name)).all():
        connection.execute(
            institutions.update().where(institutions.c.id == institution_id).values(name_en=transliterate(name)[:255])
        )

    # The model gives the values; the server defaults only served to fill existing rows.
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('surname', server_default=None)
        batch_op.alter_column('sort_name', server_default=None)
    with op.batch_alter_table('institutions', schema=None) as batch_op:
        batch_op.alter_column('name_en', server_default=None)


def downgrade():
    with op.batch_alter_table('institutions', schema=None) as batch_op:
        batch_op.drop_column('name_en')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('sort_name')
        batch_op.drop_column('surname')
