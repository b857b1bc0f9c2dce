"""Counting the SQL a request runs, so that tests can hold pages to a constant number of queries."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from lms.extensions import db


@contextmanager
def count_queries() -> Iterator[list[str]]:
    """Collect every statement sent to the database inside the block (savepoints included)."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
