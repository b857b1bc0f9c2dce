"""A report's figures on the national-size database against the bare SQL they need.

    .venv/bin/python bench/reports_scale.py                        # --target report
    .venv/bin/python bench/reports_scale.py --target cascade       # lms.cascade.metrics.reach
    .venv/bin/python bench/reports_scale.py --year 2025 --repeat 7 --database URL

For each scope (the whole programme, and one year, country-wide) the target runs once while
every statement it executes is captured with its parameters (SQLAlchemy's
``before_cursor_execute``). Then the target runs ``--repeat`` times, and exactly those captured
statements are replayed as many times on a raw DBAPI connection (``engine.raw_connection()``,
``cursor.execute`` and ``fetchall``, nothing else). It prints the median of each, the ratio
(target: under 1 s, and within 2x of the bare SQL) and ``EXPLAIN (ANALYZE, BUFFERS)`` of the
slowest statement, so that a missing index shows.

Targets:
- ``report``: ``lms.reports.figures.results_report(ReportFilters(start=..., end=...))``;
- ``cascade``: ``lms.cascade.metrics.reach(Scope(start=..., end=...))``.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import date

from scale_common import DEFAULT_URL, captured, database_size, scale_app, timed


def target_function(name: str, start: date | None, end: date | None):
    if name == "report":
        try:
            from lms.reports.figures import results_report
        except ImportError as error:
            sys.exit(f"lms.reports.figures.results_report is not there yet ({error}); try --target cascade")
        from lms.reports.filters import ReportFilters

        return lambda: results_report(ReportFilters(start=start, end=end))
    from lms.cascade.metrics import Scope, reach

    return lambda: reach(Scope(start=start, end=end))


def replay(engine, statements: list[tuple[str, object]]) -> list[float]:
    """Run the captured statements on a raw DBAPI connection; each one's milliseconds."""
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        times = []
        for statement, parameters in statements:
            started = time.perf_counter()
            if isinstance(parameters, list):  # an executemany (the kept figures' upsert)
                cursor.executemany(statement, parameters)
            else:
                cursor.execute(statement, parameters)
            if cursor.description is not None:
                cursor.fetchall()
            times.append((time.perf_counter() - started) * 1000)
        connection.rollback()
        return times
    finally:
        connection.close()


def prepare_figures(state: str) -> str:
    """Keep every cohort's report figures (``kept``) or none (``computed``), committed."""
    from sqlalchemy import delete

    from lms.extensions import db
    from lms.reports.kept import cohorts, people
    from lms.reports.kept.models import CohortFigures, PeopleGroups

    started = time.perf_counter()
    if state == "kept":
        computed = cohorts.refresh_stale()
        people.refresh()
        done = f"kept ({computed:,} cohorts computed first"
    else:
        db.session.execute(delete(CohortFigures))
        db.session.execute(delete(PeopleGroups))
        done = "none kept: each run computes them (deleted"
    db.session.commit()
    return f"{done} in {time.perf_counter() - started:.1f} s)"


def explain(engine, statement: str, parameters) -> str:
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        connection.rollback()
        return plan
    finally:
        connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", default=os.environ.get("DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--target", choices=["report", "cascade"], default="report")
    parser.add_argument("--year", type=int, default=None, help="The one year (default: last year).")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-explain", action="store_true")
    parser.add_argument(
        "--figures",
        choices=["kept", "computed"],
        default="kept",
        help="report: start with every cohort's figures kept (computed and committed first), or with "
        "none kept, so that each run computes all of them (and rolls them back)",
    )
    args = parser.parse_args()

    app = scale_app(args.database)
    with app.app_context():
        from lms.core.i18n import local_today
        from lms.extensions import db

        target_function(args.target, None, None)  # fails at once when the report is not there
        engine = db.engine
        year = args.year or local_today().year - 1
        print(f"Database: {engine.url.render_as_string(hide_password=True)}; target: {args.target}")
        print("Rows: " + ", ".join(f"{k} {v:,}" for k, v in database_size(engine).items()))
        if args.target == "report":
            print(f"Report figures: {prepare_figures(args.figures)}")
        scopes = [("whole programme", None, None), (f"year {year}", date(year, 1, 1), date(year, 12, 31))]
        slowest = (0.0, "", None, "")
        print(
            f"\n{'scope':<18} {'statements':>10} {'function ms':>12} {'bare SQL ms':>12} {'ratio':>6}  verdict"
        )
        for label, start, end in scopes:
            function = target_function(args.target, start, end)

            def run(function=function):
                try:
                    return function()
                finally:
                    db.session.rollback()

            with captured(engine) as statements:
                run()
            # The session's own housekeeping (a pool pre-ping, the ROLLBACK) is not the report's SQL.
            statements = [(s, p) for s, p in statements if s.strip().upper() not in ("SELECT 1", "ROLLBACK")]
            median, _runs = timed(run, args.repeat)
            replay(engine, statements)  # warm-up
            bare_runs = [replay(engine, statements) for _ in range(args.repeat)]
            bare = statistics.median(sum(times) for times in bare_runs)
            ratio = median / bare if bare else float("inf")
            verdict = "ok" if median < 1000 and ratio <= 2 else "MISSES the target (1 s, 2x)"
            print(f"{label:<18} {len(statements):>10} {median:>12.1f} {bare:>12.1f} {ratio:>6.2f}  {verdict}")
            for index, (statement, parameters) in enumerate(statements):
                each = statistics.median(times[index] for times in bare_runs)
                if each > slowest[0] and not isinstance(parameters, list):
                    slowest = (each, statement, parameters, label)
        if slowest[1] and not args.no_explain:
            print(f"\nSlowest statement ({slowest[3]}, median {slowest[0]:.1f} ms):\n{slowest[1]}")
            print(f"parameters: {slowest[2]}\n")
            print(explain(engine, slowest[1], slowest[2]))


if __name__ == "__main__":
    main()
