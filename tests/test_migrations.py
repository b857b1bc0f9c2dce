"""Migrations build exactly the models, and go down and up again on a database with data."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from lms import create_app
from lms.extensions import db
from tests.conftest import app_config, drop_postgres_database, make_database_url


def test_upgrade_from_empty_gives_exactly_the_models(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def test_downgrade_and_upgrade_keep_the_schema_working(backend, tmp_path):
    url = make_database_url(backend, tmp_path, "updown")
    application = create_app(app_config(url, tmp_path))
    try:
        with application.app_context():
            upgrade(revision="0001")
            db.session.execute(
                sa.text(
                    "INSERT INTO regions (code, name, name_en, kind, created_at, updated_at) "
                    "VALUES ('UA-71', 'Черкаська область', 'Cherkasy Oblast', 'oblast', "
                    "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
            db.session.commit()
            upgrade()
            assert db.session.execute(sa.text("SELECT name FROM regions")).scalar() == "Черкаська область"
            # End the read's transaction: dropping a table that refers to regions waits for its lock.
            db.session.commit()
            downgrade(revision="0001")
            upgrade()
            assert db.session.execute(sa.text("SELECT count(*) FROM regions")).scalar() == 1
            db.session.remove()
            db.engine.dispose()
    finally:
        if backend == "postgresql":
            drop_postgres_database(url)
