"""Roster import benchmark: the real preview and import services on a generated roster.

    .venv/bin/python bench/roster_import.py --rows 10000
    .venv/bin/python bench/roster_import.py --rows 1000 10000 50000

For each size it writes a Windows-1251 CSV roster of Cherkasy-oblast people (some already
registered, some rows with problems), builds a fresh SQLite database in a temporary instance
(create_app + the migrations), plans a cohort large enough for everyone, and times
``preview_roster`` and ``import_roster`` (not the HTTP layer). Each phase runs twice on copies
of the same database: once plain for rows per second, once under tracemalloc for the peak of
memory Python allocated. Several sizes run in separate processes so that each reports its own
peak resident set size. See bench/README.md.
"""

import argparse
import json
import logging
import os
import random
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SURNAMES = [
    "Шевченко", "Бойко", "Коваленко", "Кравченко", "Олійник", "Ткачук", "Поліщук", "Лисенко", "Мороз",
    "Марченко", "Руденко", "Савченко", "Гончаренко", "Петренко", "Левченко", "Кузьменко", "Дяченко",
    "Ґудзь", "Їжакевич", "Щербина", "Мар'яненко", "Гнатюк", "Приходько", "Кушнір", "Ярошенко", "Заїка",
]  # fmt: skip
FIRST_NAMES = [
    ("Олена", "Петрівна"), ("Тетяна", "Іванівна"), ("Наталія", "Миколаївна"), ("Ярина", "Богданівна"),
    ("Ірина", "Василівна"), ("Галина", "Олегівна"), ("Оксана", "Юріївна"), ("Мар'яна", "Андріївна"),
    ("Євгенія", "Сергіївна"), ("Олександр", "Петрович"), ("Сергій", "Іванович"), ("Андрій", "Миколайович"),
    ("Тарас", "Васильович"), ("Ігор", "Олегович"), ("Віталій", "Юрійович"),
]  # fmt: skip
POSITIONS = [
    "Фахівчиня із соціальної роботи", "Головна спеціалістка служби у справах дітей", "Практична психологиня",
    "Соціальний педагог", "Вихователька школи-інтернату", "Дільничний офіцер поліції",
]  # fmt: skip
# (how the district is written in district lists, an institution of it)
PLACES = [
    ("Уманський", "Уманський районний центр соціальних служб"),
    ("Уманський район", "Уманська загальноосвітня санаторна школа-інтернат"),
    ("Звенигородський р-н", "Звенигородський районний центр соціальних служб"),
    ("Звенигородський", "Шполянський ліцей №1"),
    ("Черкаський район", "Черкаський обласний центр соціальних служб"),
    ("Черкаський", "Служба у справах дітей Черкаської районної державної адміністрації"),
    ("Золотоніський", "Золотоніський районний центр соціальних служб"),
    ("Золотоніський район", "Відділ освіти Золотоніської міської ради"),  # not in the database
]
HEADER = ["№", "Прізвище, ім'я, по батькові", "Посада", "Установа", "Район", "Телефон", "Електронна пошта"]


def person(n: int, rng: random.Random) -> dict:
    """The ``n``-th person of the roster; emails and phones are unique by construction."""
    from lms.org.translit import transliterate

    surname = rng.choice(SURNAMES)
    first, patronymic = rng.choice(FIRST_NAMES)
    district, institution = rng.choice(PLACES)
    return {
        "name": f"{surname} {first} {patronymic}",
        "position": rng.choice(POSITIONS),
        "institution": institution,
        "district": district,
        "phone": f"0{rng.choice((50, 63, 66, 67, 68, 93, 96, 97, 98))} {n // 10000 % 1000:03d} {n % 10000:04d}",
        "email": f"{transliterate(surname).lower().replace(' ', '')}.{n}@roster.cascade.demo",
    }


def spoil(row: list[str], n: int, earlier_email: str) -> list[str]:
    """About one row in fifty has a problem district lists really have."""
    kind = n % 250
    if kind == 7:
        row[6] = row[6].replace("@", " at ")  # bad email
    elif kind == 57:
        row[1] = ""  # no name
    elif kind == 107:
        row[4] = "Смілянський район"  # a district abolished in 2020
    elif kind == 157:
        row[6] = earlier_email  # someone listed twice, or a shared office address
    elif kind == 207:
        row[5] = "тел. відсутній"  # bad phone
    return row


def write_roster(path: Path, rows: int, seed: int = 2026) -> list[dict]:
    """Write the roster; returns the people who should already be registered (one in ten)."""
    rng = random.Random(seed)
    registered = []
    earlier_email = ""
    with open(path, "w", encoding="cp1251", newline="") as file:
        file.write(";".join(HEADER) + "\r\n")
        for n in range(1, rows + 1):
            p = person(n, rng)
            row = [str(n), p["name"], p["position"], p["institution"], p["district"], p["phone"], p["email"]]
            if n % 20 == 0:
                registered.append({"email": p["email"], "phone": None, "name": p["name"]})
            elif n % 20 == 10:
                registered.append({"email": f"old{n}@cascade.demo", "phone": p["phone"], "name": p["name"]})
                row[6] = ""  # known only by phone
            file.write(";".join(spoil(row, n, earlier_email)) + "\r\n")
            earlier_email = p["email"] if n % 20 not in (0, 10) else earlier_email
    return registered


def make_app(database: str, instance: Path):
    from lms import create_app

    return create_app(
        {
            "INSTANCE_PATH": str(instance),
            "SQLALCHEMY_DATABASE_URI": database,
            "CELERY": {"task_always_eager": True, "broker_url": "memory://"},
        }
    )


def build_database(database: str, instance: Path, rows: int, registered: list[dict]) -> None:
    """Migrations, Cherkasy geography and institutions, the registered people, a cohort."""
    from flask_migrate import upgrade
    from sqlalchemy import select

    from lms.accounts.models import User
    from lms.accounts.services import normalize_phone
    from lms.cohorts.models import Cohort
    from lms.courses.models import Course
    from lms.extensions import db
    from lms.org.models import District
    from lms.org.translit import transliterate
    from seed.demo import load_geography, load_institutions

    app = make_app(database, instance)
    with app.app_context():
        upgrade()
        load_geography()
        load_institutions()
        trainer = User(email="trainer@cascade.demo", full_name="Наталія Бондаренко")
        trainer.set_roles(["trainer"])
        course = Course(code="PTL-MDG", title="Мультидисциплінарний підхід", days=2)
        db.session.add_all([trainer, course])
        for start in range(0, len(registered), 1000):
            people = []
            for item in registered[start : start + 1000]:
                user = User(
                    email=item["email"],
                    full_name=item["name"],
                    full_name_latin=transliterate(item["name"]),
                    phone=normalize_phone(item["phone"]) if item["phone"] else None,
                )
                user.set_roles(["participant"])
                people.append(user)
            db.session.add_all(people)
            db.session.flush()
        uman = db.session.scalars(select(District).where(District.name == "Уманський район")).one()
        start_date = date.today() + timedelta(days=30)
        db.session.add(
            Cohort(
                course=course,
                lead_trainer=trainer,
                district_id=uman.id,
                venue="Уманська РДА, зала засідань",
                start_date=start_date,
                end_date=start_date + timedelta(days=1),
                capacity=rows,
                status="scheduled",
            )
        )
        db.session.commit()
        db.engine.dispose()


def measure(database: str, instance: Path, roster: Path, trace: bool) -> dict:
    """Preview then import ``roster`` into the cohort; times or traced peaks of each phase."""
    from sqlalchemy import select

    from lms.cohorts.models import Cohort
    from lms.cohorts.roster import import_roster, preview_roster
    from lms.extensions import db

    app = make_app(database, instance)
    figures = {}
    with app.app_context():
        cohort = db.session.scalars(select(Cohort)).one()
        trainer = cohort.lead_trainer
        for phase in ("preview", "import"):
            if trace:
                tracemalloc.start()
            started = time.perf_counter()
            if phase == "preview":
                result = preview_roster(cohort, roster)
                figures["preview_report"] = {
                    k: getattr(result, k)
                    for k in (
                        "rows",
                        "ready",
                        "problems",
                        "matched_by_email",
                        "matched_by_phone",
                        "new_people",
                    )
                }
            else:
                result = import_roster(cohort, roster, by=trainer, skip_invalid=True, send_invitations=False)
                db.session.commit()
                figures["import_report"] = {k: v for k, v in result.items() if isinstance(v, int)}
            figures[f"{phase}_seconds"] = time.perf_counter() - started
            if trace:
                figures[f"{phase}_peak_bytes"] = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
        db.engine.dispose()
    return figures


RUN_TOKEN = secrets.token_hex(4)
POSTGRES_URL: str | None = None  # set by --postgres: the same run on PostgreSQL


class Databases:
    """Fresh databases for one run: SQLite files in ``folder``, or PostgreSQL databases made
    from a template (``CREATE DATABASE … TEMPLATE``) on the server at ``postgres_url``."""

    def __init__(self, folder: Path, postgres_url: str | None):
        self.folder, self.postgres_url, self.made = folder, postgres_url, []

    def _admin(self):
        import sqlalchemy as sa

        return sa.create_engine(self.postgres_url, isolation_level="AUTOCOMMIT")

    def _url(self, name: str) -> str:
        import sqlalchemy as sa

        return sa.engine.make_url(self.postgres_url).set(database=name).render_as_string(hide_password=False)

    def new(self, label: str) -> str:
        if self.postgres_url is None:
            return f"sqlite:///{self.folder / label}.sqlite3"
        return self._create(label, template=None)

    def copy(self, source: str, label: str) -> str:
        if self.postgres_url is None:
            shutil.copy(source.removeprefix("sqlite:///"), self.folder / f"{label}.sqlite3")
            return f"sqlite:///{self.folder / label}.sqlite3"
        import sqlalchemy as sa

        return self._create(label, template=sa.engine.make_url(source).database)

    def _create(self, label: str, template: str | None) -> str:
        import sqlalchemy as sa

        # A random token as well as the pid: a run creates and drops only its own databases.
        name = f"roster_bench_{label}_{os.getpid()}_{RUN_TOKEN}"
        engine = self._admin()
        with engine.connect() as connection:
            suffix = f' TEMPLATE "{template}"' if template else ""
            connection.execute(sa.text(f'CREATE DATABASE "{name}"{suffix}'))
        engine.dispose()
        self.made.append(name)
        return self._url(name)

    def drop_all(self) -> None:
        if not self.made:
            return
        import sqlalchemy as sa

        engine = self._admin()
        with engine.connect() as connection:
            for name in reversed(self.made):
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def run(rows: int) -> dict:
    """Everything for one roster size, in a temporary directory removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="roster-bench-") as folder:
        folder = Path(folder)
        instance = folder / "instance"
        roster = folder / "roster.csv"
        registered = write_roster(roster, rows)
        databases = Databases(folder, POSTGRES_URL)
        try:
            base = databases.new("base")
            build_database(base, instance, rows, registered)
            timed = measure(databases.copy(base, "timed"), instance, roster, trace=False)
            traced = measure(databases.copy(base, "traced"), instance, roster, trace=True)
        finally:
            databases.drop_all()
        assert timed["import_report"] == traced["import_report"], "the two runs disagree"
        return {
            "rows": rows,
            "file_bytes": roster.stat().st_size,
            "preview_seconds": timed["preview_seconds"],
            "import_seconds": timed["import_seconds"],
            "preview_peak_bytes": traced["preview_peak_bytes"],
            "import_peak_bytes": traced["import_peak_bytes"],
            "max_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
            "preview": timed["preview_report"],
            "import": timed["import_report"],
        }


def mb(n: float) -> str:
    return f"{n / (1024 * 1024):.1f} MB"


def report(result: dict) -> None:
    rows = result["rows"]
    print(f"\n{rows:,} rows ({mb(result['file_bytes'])} Windows-1251 CSV)")
    for phase in ("preview", "import"):
        seconds = result[f"{phase}_seconds"]
        print(
            f"  {phase:<8} {seconds:7.2f} s  {rows / seconds:8,.0f} rows/s"
            f"   traced peak {mb(result[f'{phase}_peak_bytes'])}"
        )
    print(f"  process peak RSS {mb(result['max_rss_bytes'])}")
    p, i = result["preview"], result["import"]
    print(
        f"  preview: {p['ready']:,} ready, {p['problems']:,} with problems; "
        f"{p['matched_by_email']:,} registered (email), {p['matched_by_phone']:,} (phone), {p['new_people']:,} new"
    )
    print(
        f"  import:  created {i['created']:,}, matched {i['matched']:,}, enrolled {i['enrolled']:,}, "
        f"waitlisted {i['waitlisted']:,}, skipped {i['skipped']:,}"
    )


def summary(results: list[dict]) -> None:
    print("\n  rows | preview rows/s | import rows/s | preview peak | import peak | peak RSS")
    for r in results:
        print(
            f"{r['rows']:>6,} | {r['rows'] / r['preview_seconds']:>14,.0f} | {r['rows'] / r['import_seconds']:>13,.0f} |"
            f" {mb(r['preview_peak_bytes']):>12} | {mb(r['import_peak_bytes']):>11} | {mb(r['max_rss_bytes']):>8}"
        )


def main() -> None:
    logging.disable(logging.INFO)  # the migrations' progress lines
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rows", type=int, nargs="+", default=[1000, 10000], help="roster sizes (default 1000 10000)"
    )
    parser.add_argument(
        "--json", action="store_true", help="print one size's figures as JSON (used internally)"
    )
    parser.add_argument(
        "--postgres",
        nargs="?",
        const="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
        help="run on PostgreSQL (server URL; default the local one) instead of SQLite",
    )
    args = parser.parse_args()
    global POSTGRES_URL
    POSTGRES_URL = args.postgres
    if args.json or len(args.rows) == 1:
        results = [run(args.rows[0])]
        if args.json:
            print(json.dumps(results[0]))
            return
    else:
        # A process per size: each then reports its own peak resident set size.
        results = []
        for rows in args.rows:
            output = subprocess.run(
                [sys.executable, __file__, "--rows", str(rows), "--json"]
                + (["--postgres", args.postgres] if args.postgres else []),
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            results.append(json.loads(output.strip().splitlines()[-1]))
    for result in results:
        report(result)
    if len(results) > 1:
        summary(results)


if __name__ == "__main__":
    main()
