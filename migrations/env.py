import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

# this is the Alembic Config object, which provides
# access to the values within the .ini file in use.
config = context.config

# Interpret the config file for Python logging, leaving the loggers that already exist alone: a
# migration run in a process that has the app (the tests, a command) must not silence its log.
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")


def get_engine():
    return current_app.extensions["migrate"].db.engine


def get_engine_url():
    try:
        return get_engine().url.render_as_string(hide_password=False).replace("%", "%%")
    except AttributeError:
        return str(get_engine().url).replace("%", "%%")


# add your model's MetaData object here
# for 'autogenerate' support
# from myapp import mymodel
# target_metadata = mymodel.Base.metadata
config.set_main_option("sqlalchemy.url", get_engine_url())
target_db = current_app.extensions["migrate"].db

# other values from the config, defined by the needs of env.py,
# can be acquired:
# my_important_option = config.get_main_option("my_important_option")
# ... etc.


def get_metadata():
    if hasattr(target_db, "metadatas"):
        return target_db.metadatas[None]
    return target_db.metadata


def render_item(type_, obj, autogen_context):
    """Write the app's column types as plain SQLAlchemy ones, so migrations never import lms."""
    from lms.core.db import UTCDateTime
    from lms.core.encryption import EncryptedString

    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, EncryptedString):
        return "sa.Text()"
    return False


def run_migrations_offline():
    """Run migrations in 'offline' mode.

    This configures the context with just a URL
    and not an Engine, though an Engine is acceptable
    here as well.  By skipping the Engine creation
    we don't even need a DBAPI to be available.

    Calls to context.execute() here emit the given string to the
    script output.

    """
    url = config.get_main_option("sqlalchemy.url")
    context.configure(url=url, target_metadata=get_metadata(), literal_binds=True)

    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Run migrations in 'online' mode.

    In this scenario we need to create an Engine
    and associate a connection with the context.

    """

    # this callback is used to prevent an auto-migration from being generated
    # when there are no changes to the schema
    # reference: http://alembic.zzzcomputing.com/en/latest/cookbook.html
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = current_app.extensions["migrate"].configure_args
    if conf_args.get("process_revision_directives") is None:
        conf_args["process_revision_directives"] = process_revision_directives

    connectable = get_engine()

    with connectable.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        # SQLite cannot ALTER most things: batch mode rebuilds the table instead.
        conf_args.setdefault("render_as_batch", sqlite)
        conf_args.setdefault("compare_type", True)
        conf_args.setdefault("render_item", render_item)
        context.configure(connection=connection, target_metadata=get_metadata(), **conf_args)

        if sqlite:
            _sqlite_foreign_keys(connection, enforced=False)
            already = _broken_references(connection)
        try:
            with context.begin_transaction():
                context.run_migrations()
            if sqlite:
                _check_sqlite_references(connection, already)
        finally:
            if sqlite:
                _sqlite_foreign_keys(connection, enforced=True)


def _sqlite_foreign_keys(connection, *, enforced):
    """A batch rebuild copies a table, drops it and renames the copy. With foreign keys enforced,
    the drop deletes the rows that refer to it (ON DELETE CASCADE: a person's tokens, roles,
    enrolments) or fails. SQLite ignores this pragma inside a transaction, so it is set on the
    driver's connection before SQLAlchemy begins one (the app's connections set it on)."""
    connection.connection.driver_connection.execute(f"PRAGMA foreign_keys={'ON' if enforced else 'OFF'}")


def _broken_references(connection) -> set[tuple]:
    rows = connection.connection.driver_connection.execute("PRAGMA foreign_key_check").fetchall()
    return {tuple(row) for row in rows}


def _check_sqlite_references(connection, already: set[tuple]):
    """What enforcement would have refused while it was off, and only what this run made (rows
    broken before it are not its doing). SQLite's DDL is not transactional here, so the
    upgraded schema stays: the error says so and names the rows to mend."""
    made = sorted(_broken_references(connection) - already)
    if made:
        raise RuntimeError(
            "The schema is upgraded, but the migration left rows referring to missing rows "
            f"(table, rowid, parent, key): {made[:10]}"
        )


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
