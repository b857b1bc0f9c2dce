"""``lms db backup PATH``: a consistent copy of the database while the app keeps running.

SQLite: the online backup API (a plain file copy can catch a write half-done). PostgreSQL:
``pg_dump --format=custom`` (restore with ``pg_restore``; see the README).
"""

import os
import shutil
import sqlite3
import subprocess  # nosec B404
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy.engine import make_url

from lms.extensions import db


def backup_database(url: str, target: Path) -> Path:
    """Write a backup of the database at ``url`` to ``target`` and return it."""
    parsed = make_url(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    if parsed.get_backend_name() == "sqlite":
        source = sqlite3.connect(parsed.database)
        try:
            copy = sqlite3.connect(target)
            with copy:
                source.backup(copy)
            copy.close()
        finally:
            source.close()
        return target
    if parsed.get_backend_name() == "postgresql":
        pg_dump = shutil.which("pg_dump")
        if pg_dump is None:
            raise click.ClickException("pg_dump is not installed (apt-get install postgresql-client).")
        # The password travels in the environment, not on the command line (visible in ps).
        env = {**os.environ, "PGPASSWORD": parsed.password or os.environ.get("PGPASSWORD", "")}
        command = [pg_dump, "--format=custom", "--no-owner", f"--file={target}"]
        command += [f"--host={parsed.host or 'localhost'}", f"--port={parsed.port or 5432}"]
        if parsed.username:
            command.append(f"--username={parsed.username}")
        command.append(parsed.database or "")
        subprocess.run(command, check=True, env=env)  # noqa: S603  # nosec B603
        return target
    raise click.ClickException(f"Backups of {parsed.get_backend_name()} databases are not supported.")


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(path: Path):
    """Back up the database to PATH (SQLite file copy, or a pg_dump custom-format archive)."""
    url = db.engine.url.render_as_string(hide_password=False)
    click.echo(f"Backed up to {backup_database(url, path)}")
