"""Peak memory and time of writing report exports: memory must not grow with the rows.

    .venv/bin/python bench/report_export.py                       # 100k and 1M rows, XLSX and CSV
    .venv/bin/python bench/report_export.py --rows 100000 --formats xlsx csv pdf
    .venv/bin/python bench/report_export.py --trace               # also tracemalloc's peak (slower)
    .venv/bin/python bench/report_export.py --db 100000           # the database path on PostgreSQL

Generator runs: each (format, rows) runs in its own process, writing through the real writer
(``lms.reports.exports.writers``) a "People trained" table whose rows come from a generator
shaped like the database's (Ukrainian names, institutions, districts, dates, scores, serials),
so nothing but the writer holds rows. It prints the seconds, the process's peak RSS
(``ru_maxrss``) and its RSS before writing (the interpreter, Flask and openpyxl), and with
``--trace`` tracemalloc's peak of the writing alone.

``--db N`` builds a throwaway PostgreSQL database ``lms_bench_export`` (the real migrations),
inserts N trained people (users, trainings of 25, enrolments, pre/post attempts, certificates)
in bulk, then streams them through ``rows.stream`` (a server-side cursor) into XLSX and CSV
like the export job does, and drops the database.
"""

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SURNAMES = ["Шевченко", "Ковальчук", "Бондаренко", "Ткаченко", "Мельник", "Ґалаґан", "Їжакевич", "Кравець"]
GIVEN = ["Олена", "Ірина", "Марія", "Оксана", "Наталія", "Тетяна", "Юлія", "Світлана"]
INSTITUTIONS = ["ЦСС Золотоніської міської ради", "Служба у справах дітей Уманської РДА", "ЗОШ № 3 м. Сміла"]
DISTRICTS = ["Черкаський", "Уманський", "Звенигородський", "Золотоніський"]
POSTGRES = os.environ.get("LMS_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def fake_rows(n: int):
    """Rows like ``rows.stream`` gives, made one at a time."""
    rng = random.Random(7)  # nosec B311 - benchmark data
    start = date(2026, 3, 2)
    for i in range(n):
        day = start + timedelta(days=i % 200)
        yield (
            f"{SURNAMES[i % 8]} {GIVEN[(i // 8) % 8]} {i}",
            "фахівчиня із соціальної роботи",
            INSTITUTIONS[i % 3],
            "Центр соціальних служб",
            DISTRICTS[i % 4],
            "Черкаська",
            f"PTL-{i % 5}",
            "Протидія торгівлі людьми: виявлення, перенаправлення та захист постраждалих",
            day,
            day + timedelta(days=1),
            float(rng.randint(30, 70)),
            float(rng.randint(60, 100)),
            f"CAS-2026-{i:07d}",
            "Учасник",
        )


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _write(app, fmt: str, tables, trace: bool, folder: str) -> dict:
    from lms.reports.exports.writers import WRITERS, Counter, Cover

    cover = Cover(title="Bench", lines=[("Період", "2026")], definitions=["Навчені: ..."])
    path = Path(folder) / f"bench.{fmt}"
    with app.test_request_context():
        before = _rss_mb()
        if trace:
            tracemalloc.start()
        began = time.perf_counter()
        rows = WRITERS[fmt](path, cover, tables, Counter())
        seconds = time.perf_counter() - began
        traced = tracemalloc.get_traced_memory()[1] / 2**20 if trace else None
        if trace:
            tracemalloc.stop()
    return {
        "format": fmt,
        "rows": rows,
        "seconds": round(seconds, 1),
        "rows_per_s": int(rows / seconds) if seconds else 0,
        "rss_before_mb": round(before, 1),
        "rss_peak_mb": round(_rss_mb(), 1),
        "traced_peak_mb": round(traced, 1) if traced is not None else None,
        "file_mb": round(path.stat().st_size / 2**20, 1),
    }


def one_generator_run(fmt: str, n: int, trace: bool) -> dict:
    from lms import create_app
    from lms.reports.exports import rows as people
    from lms.reports.tables import Table

    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/x.sqlite3", "INSTANCE_PATH": folder}
        )
        with app.app_context():
            headers = people.headers()
        table = Table(key="people_trained", title="Навчені особи", headers=headers, rows=fake_rows(n))
        return {"source": "generator"} | _write(app, fmt, [table], trace, folder)


def database_runs(n: int, formats: list[str], trace: bool) -> list[dict]:
    from sqlalchemy import create_engine, insert, text
    from sqlalchemy.engine import make_url

    from lms import create_app
    from lms.extensions import db

    name = "lms_bench_export"
    base = make_url(POSTGRES)
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    results = []
    try:
        with tempfile.TemporaryDirectory() as folder:
            app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": folder})
            with app.app_context():
                from flask_migrate import upgrade

                upgrade()
                began = time.perf_counter()
                _insert_people(db, insert, n)
                inserted = time.perf_counter() - began
                print(f"  inserted {n} trained people in {inserted:.0f} s", flush=True)
                from lms.reports.exports import rows as people
                from lms.reports.filters import ReportFilters

                for fmt in formats:
                    with app.test_request_context():
                        table = people.people_trained(ReportFilters())[0]
                        assert table.size() == n
                    # tracemalloc: the insert above raised the process peak RSS already
                    results.append({"source": "postgresql"} | _write(app, fmt, [table], True, folder))
                    print(json.dumps(results[-1]), flush=True)
                db.session.remove()
                db.engine.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return results


def _insert_people(db, insert, n: int, chunk: int = 20000) -> None:
    from lms.accounts.models import User
    from lms.assessments.models import Attempt, CohortTest
    from lms.certificates.models import Certificate
    from lms.cohorts.models import Cohort, Enrollment
    from lms.core.db import utcnow
    from lms.courses.models import Course
    from lms.org.models import District, Institution, Region

    session = db.session
    region = Region(code="UA71", name="Черкаська", name_en="Cherkasy")
    session.add(region)
    session.flush()
    districts = [District(region_id=region.id, name=d, name_en=d) for d in DISTRICTS]
    session.add_all(districts)
    session.flush()
    institutions = [
        Institution(name=name, name_en=name, type="social_services_centre", district_id=districts[i].id)
        for i, name in enumerate(INSTITUTIONS)
    ]
    courses = [Course(code=f"PTL-{i}", title=f"Протидія торгівлі людьми {i}", days=2) for i in range(5)]
    trainer = User(email="trainer@bench.example", full_name="Тренерка Бенч", sort_name="Бенч Тренерка")
    session.add_all([*institutions, *courses, trainer])
    session.flush()
    now, start = utcnow(), date(2026, 3, 2)
    cohorts = n // 25 + 1
    session.execute(
        insert(Cohort),
        [
            {
                "course_id": courses[c % 5].id,
                "lead_trainer_id": trainer.id,
                "district_id": districts[c % 4].id,
                "venue": "Зала",
                "start_date": start + timedelta(days=c % 200),
                "end_date": start + timedelta(days=c % 200 + 1),
                "status": "closed",
                "checkin_secret": "x",
            }
            for c in range(cohorts)
        ],  # fmt: skip
    )
    first_cohort = session.scalar(text_min("cohorts"))
    session.execute(
        insert(CohortTest),
        [
            {"cohort_id": first_cohort + c, "phase": phase, "form": "A", "room_code": f"{phase}{c}"}
            for c in range(cohorts)
            for phase in ("pre", "post")
        ],
    )
    first_test = session.scalar(text_min("cohort_tests"))
    for low in range(0, n, chunk):
        high = min(n, low + chunk)
        session.execute(
            insert(User),
            [
                {
                    "email": f"p{i}@bench.example",
                    "full_name": f"{GIVEN[i % 8]} {SURNAMES[(i // 8) % 8]}",
                    "sort_name": f"{SURNAMES[(i // 8) % 8]} {GIVEN[i % 8]} {i}",
                    "position": "фахівчиня",
                    "institution_id": institutions[i % 3].id,
                    "session_nonce": "x",
                    "search_text": "",
                }
                for i in range(low, high)
            ],  # fmt: skip
        )
    first_user = session.scalar(text_min("users")) + 1  # the trainer came first
    for low in range(0, n, chunk):
        high = min(n, low + chunk)
        session.execute(
            insert(Enrollment),
            [
                {"cohort_id": first_cohort + i // 25, "user_id": first_user + i, "status": "enrolled"}
                for i in range(low, high)
            ],  # fmt: skip
        )
    first_enrollment = session.scalar(text_min("enrollments"))
    rng = random.Random(3)  # nosec B311 - benchmark data
    for low in range(0, n, chunk):
        high = min(n, low + chunk)
        attempts = []
        for i in range(low, high):
            cohort = i // 25
            for offset, score in ((0, rng.randint(30, 70)), (1, rng.randint(60, 100))):
                attempts.append(
                    {"test_id": first_test + 2 * cohort + offset, "enrollment_id": first_enrollment + i,
                     "form": "A", "source": "score_only", "score_percent": float(score), "submitted_at": now,
                     "started_at": now, "item_ids": []}
                )  # fmt: skip
        session.execute(insert(Attempt), attempts)
        session.execute(
            insert(Certificate),
            [
                {
                    "enrollment_id": first_enrollment + i,
                    "user_id": first_user + i,
                    "cohort_id": first_cohort + i // 25,
                    "kind": "participation",
                    "prefix": "CAS",
                    "year": 2026,
                    "number": i + 1,
                    "serial": f"CAS-2026-{i + 1:07d}",
                    "verification_code": f"v{i:012d}",
                    "holder_name": "x",
                    "holder_name_latin": "x",
                    "course_code": "PTL",
                    "course_title": "x",
                    "course_title_en": "x",
                    "start_date": start,
                    "issued_on": start,
                    "hours": 15.0,
                    "lead_trainer_name": "x",
                    "organisation": "x",
                    "organisation_en": "x",
                    "verification_url": "x",
                    "modules": [],
                    "status": "valid",
                    "issued_at": now,
                }
                for i in range(low, high)
            ],  # fmt: skip
        )
    session.commit()
    session.execute(text_analyze())


def text_min(table: str):
    from sqlalchemy import text

    return text(f"SELECT min(id) FROM {table}")  # nosec B608 - fixed table names


def text_analyze():
    from sqlalchemy import text

    return text("ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--formats", nargs="*", default=["xlsx", "csv"])
    parser.add_argument("--trace", action="store_true", help="also measure tracemalloc's peak (slower)")
    parser.add_argument("--db", type=int, default=0, help="also stream N rows from PostgreSQL")
    parser.add_argument("--one", nargs=2, metavar=("FORMAT", "ROWS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_generator_run(args.one[0], int(args.one[1]), args.trace)))
        return
    print(f"{'source':<11}{'format':<7}{'rows':>10}{'s':>8}{'rows/s':>9}{'RSS before':>12}{'peak RSS':>10}"
          f"{'traced':>8}{'file MB':>9}")  # fmt: skip
    results = []
    for n in args.rows:
        for fmt in args.formats:
            command = [sys.executable, __file__, "--one", fmt, str(n)] + (["--trace"] if args.trace else [])
            output = subprocess.run(command, check=True, capture_output=True, text=True).stdout  # nosec B603
            results.append(json.loads(output.strip().splitlines()[-1]))
            _print(results[-1])
    if args.db:
        for result in database_runs(args.db, args.formats, args.trace):
            _print(result)


def _print(r: dict) -> None:
    traced = f"{r['traced_peak_mb']:.1f}" if r["traced_peak_mb"] is not None else "-"
    print(
        f"{r['source']:<11}{r['format']:<7}{r['rows']:>10}{r['seconds']:>8}{r['rows_per_s']:>9}"
        f"{r['rss_before_mb']:>12}{r['rss_peak_mb']:>10}{traced:>8}{r['file_mb']:>9}",
        flush=True,
    )


if __name__ == "__main__":
    main()
