"""What the scale benchmarks share: the app on the scale database, statement capture, timing."""

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/lms_scale"


def scale_app(url: str):
    """The app on the database ``lms seed scale`` loaded (read only, except an API token)."""
    from lms import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": os.environ.get("LMS_INSTANCE_PATH") or tempfile.mkdtemp(prefix="lms-bench-"),
            "SECRET_KEY": "bench",
            "CELERY": {"task_always_eager": True, "broker_url": "memory://"},
        }
    )


@contextmanager
def captured(engine):
    """Every statement the engine runs inside the block, with its parameters, in order."""
    statements: list[tuple[str, object]] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def timed(function: Callable[[], object], repeat: int) -> tuple[float, list[float]]:
    """Median milliseconds of ``repeat`` runs after one warm-up run, and every run's time."""
    function()
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        runs.append((time.perf_counter() - started) * 1000)
    return statistics.median(runs), runs


def database_size(engine) -> dict[str, int]:
    from sqlalchemy import text

    with engine.connect() as connection:
        return {
            table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar()  # noqa: S608  # nosec B608
            for table in ("users", "cohorts", "enrollments", "responses", "certificates", "trainer_lineage")
        }
