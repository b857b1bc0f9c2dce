"""Serial numbers per prefix and year, taken with an atomic increment.

The counter row is incremented in the same transaction that inserts the certificate. Two issuers
at once queue on the row (PostgreSQL row lock; SQLite's single writer), so no number is given
twice; a transaction that rolls back rolls its increment back too, so committed serials have no
gaps.
"""

from flask import current_app
from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from lms.certificates.models import SerialCounter
from lms.extensions import db


def serial_prefix() -> str:
    return current_app.config.get("CERTIFICATE_SERIAL_PREFIX") or "CAS"


def format_serial(prefix: str, year: int, number: int) -> str:
    return f"{prefix}-{year}-{number:06d}"


def take_numbers(prefix: str, year: int, count: int) -> int:
    """The first of the next ``count`` numbers for ``prefix`` and ``year`` (one statement once
    the year's counter exists); the counter stays locked until the transaction ends."""
    table = SerialCounter.__table__
    increment = (
        update(table)
        .where(table.c.prefix == prefix, table.c.year == year)
        .values(last_number=table.c.last_number + count)
        .returning(table.c.last_number)
    )
    last = db.session.execute(increment).scalar_one_or_none()
    if last is None:  # the year's first certificate: make its counter
        insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
        db.session.execute(
            insert(table).values(prefix=prefix, year=year, last_number=0).on_conflict_do_nothing()
        )
        last = db.session.execute(increment).scalar_one()
    return last - count + 1
