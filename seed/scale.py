"""A national-size programme for measuring: ``lms seed scale --people N``.

The national five-year shape is 1,000,000 people, 100,000 of them trainers, 60,000 trainings
(cohorts), 2,000,000 enrolments and 40,000,000 test responses; every count here is
proportional to ``people`` (per 1,000 people: 100 trainers, about 60 cohorts, 2,000 enrolments
and, with every attempt's responses, 40,000 responses at the default ``responses_per_attempt``;
above 100,000 people only one attempt in 20 gets its responses unless ``responses="all"``).

What is loaded, all over the 24 oblasts and Kyiv (occupied Crimea and Sevastopol have none):

- the geography of ``seed/data/geography.json`` (as ``lms seed demo`` loads it), institutions of
  every type in every district, the eight programme courses with their modules (the ToTs accredit
  their course and themselves, as in the demo) and a common question bank for every course;
- people with Ukrainian names, positions and institutions, a coordinator per region and one admin
  (``admin@scale.cascade.demo``, the demo password) — nobody else can sign in;
- a cascade down to generation 6 (0: master trainers accredited by the admin; 1–6: certified by
  the ToT cohorts the generation above led), with accreditations and ``TrainerLineage`` rows as
  ``lms.cascade.lineage`` would compute them;
- cohorts over five years up to about two months ahead (closed, a few cancelled, running,
  scheduled and draft), their sessions, enrolments (some withdrawn), attendance, pre/post tests
  with attempts, scores and responses, certificates for those who met the course's rule (a few
  revoked) and step-down events.

It writes with bulk inserts, never ORM objects per row: PostgreSQL gets ``COPY`` through
psycopg, SQLite gets SQLAlchemy Core ``insert()`` with executemany, in chunks, parents before
children, ids given in order after the largest already there. Certificates are stored without
their PDF (``sha256`` empty): the app renders a missing PDF again from the snapshot on demand.
No audit events are written.
"""

import json
import math
import random
import secrets
import time
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from functools import cached_property

import sqlalchemy as sa
from sqlalchemy import func, select

from lms.accounts import services as accounts
from lms.accounts.models import User
from lms.assessments import bank
from lms.assessments.models import Choice, Question, QuestionVersion
from lms.certificates.models import SerialCounter
from lms.certificates.serials import format_serial, serial_prefix
from lms.certificates.services import verification_url
from lms.certificates.snapshot import organisation
from lms.core.i18n import local_today
from lms.courses import services as course_services
from lms.courses.models import Course
from lms.extensions import db
from lms.org.models import District, Institution, Region
from lms.org.translit import transliterate
from lms.reports.kept import cohorts as kept_cohorts
from lms.reports.kept import people as kept_people
from lms.reports.kept.models import CohortFigures, PeopleGroups
from seed import demo
from seed.assessment_questions import BANKS
from seed.courses import COURSES, MASTER_NOTE, TOT_COURSES, _course_values, _tot_course

ADMIN_EMAIL = "admin@scale.cascade.demo"
EMAIL_DOMAIN = "scale.cascade.demo"
YEARS = 5
# The programme's regions (the 24 oblasts and Kyiv) with their population in millions (2021
# estimates; Donetsk, Luhansk and Kherson only the government-controlled part, roughly): people
# are spread by it. Crimea (UA-43) and Sevastopol (UA-40) have no trainings.
REGION_WEIGHTS = {
    "UA-05": 1.53, "UA-07": 1.02, "UA-12": 3.10, "UA-14": 1.60, "UA-18": 1.20, "UA-21": 1.25,
    "UA-23": 1.60, "UA-26": 1.35, "UA-32": 1.80, "UA-35": 0.92, "UA-09": 0.30, "UA-46": 2.50,
    "UA-48": 1.10, "UA-51": 2.35, "UA-53": 1.37, "UA-56": 1.15, "UA-59": 1.05, "UA-61": 1.03,
    "UA-63": 2.60, "UA-65": 0.60, "UA-68": 1.25, "UA-71": 1.18, "UA-77": 0.90, "UA-74": 0.97,
    "UA-30": 2.95,
}  # fmt: skip
# (track: the participants' course, its ToT), how often the track's trainings happen.
TRACKS = {
    "STATUS": ("PTL-STATUS", "TOT-STATUS", 0.35),
    "NEEDS": ("PTL-NEEDS", "TOT-NEEDS", 0.20),
    "MDG": ("PTL-MDG", "TOT-MDG", 0.30),
    "DIGNITY": ("SCH-DIGNITY", "TOT-DIGNITY", 0.15),
}
# Institution names by type, from the district's adjective stem ("Уманськ" of "Уманський район").
INSTITUTION_NAMES = [
    ("family_youth_sports", "Відділ у справах сім'ї, молоді та спорту {s}ої районної державної адміністрації"),
    ("social_services_centre", "{S}ий районний центр соціальних служб"),
    ("children_service", "Служба у справах дітей {s}ої районної державної адміністрації"),
    ("social_protection", "Управління соціального захисту населення {s}ої районної державної адміністрації"),
    ("education_department", "Відділ освіти {s}ої районної державної адміністрації"),
    ("school", "{S}ий ліцей № 1"),
    ("school", "{S}ий ліцей № 2"),
    ("school", "{S}а гімназія № 3"),
    ("boarding_school", "{S}а загальноосвітня школа-інтернат І-ІІІ ступенів"),
    ("health", "{S}а центральна районна лікарня"),
    ("police", "{S}е районне управління поліції"),
    ("employment_centre", "{S}а районна філія обласного центру зайнятості"),
    ("local_administration", "{S}а районна державна адміністрація"),
    ("ngo", "Громадська організація «Безпечне майбутнє {s}ого району»"),
    ("other", "{S}а районна бібліотека для дітей"),
]  # fmt: skip
# Where the programme's participants come from (weights of the list above).
INSTITUTION_WEIGHTS = [10, 16, 10, 8, 6, 8, 8, 6, 5, 4, 5, 3, 4, 5, 2]
POSITIONS = {
    "family_youth_sports": ["Головний спеціаліст відділу у справах сім'ї", "Начальник відділу"],
    "social_services_centre": ["Фахівець із соціальної роботи", "Психолог центру соціальних служб"],
    "children_service": ["Спеціаліст служби у справах дітей", "Начальник служби у справах дітей"],
    "social_protection": ["Головний спеціаліст з питань протидії торгівлі людьми", "Соціальний інспектор"],
    "education_department": ["Методист відділу освіти", "Головний спеціаліст відділу освіти"],
    "school": ["Практичний психолог", "Соціальний педагог", "Класний керівник", "Учитель правознавства"],
    "boarding_school": ["Вихователь школи-інтернату", "Заступник директора з виховної роботи"],
    "health": ["Лікар-педіатр", "Медична сестра", "Лікар загальної практики"],
    "police": ["Дільничний офіцер поліції", "Ювенальний превентолог"],
    "employment_centre": ["Кар'єрний радник", "Фахівець з питань зайнятості"],
    "local_administration": ["Головний спеціаліст з питань гуманітарної політики", "Староста"],
    "ngo": ["Координатор проєктів", "Консультант гарячої лінії"],
    "other": ["Бібліотекар", "Культорганізатор"],
}
MORE_SURNAMES = [
    "Мельник", "Коваль", "Бондар", "Ткаченко", "Кравчук", "Павленко", "Савчук", "Литвиненко",
    "Мазур", "Захарченко", "Іваненко", "Юрченко", "Онищенко", "Федорук", "Гнатюк", "Вакуленко",
    "Костенко", "Романюк", "Білоус", "Гриценко", "Ярмоленко", "Їжакевич", "Ґудзь", "Євтушенко",
    "Андрійчук", "Слободян", "Дорошенко", "Максименко", "Нестеренко", "Панченко",
]  # fmt: skip
PATRONYMICS_F = ["Іванівна", "Петрівна", "Миколаївна", "Василівна", "Олександрівна", "Сергіївна", "Андріївна"]
PATRONYMICS_M = ["Іванович", "Петрович", "Миколайович", "Васильович", "Олександрович", "Сергійович"]
STREETS = ["Соборна", "Незалежності", "Шевченка", "Героїв Майдану", "Грушевського", "Центральна", "Миру"]
AUDIENCES = ["pupils", "parents", "teachers", "civil_servants", "social_workers", "police", "community"]
EVENT_NOTES = {
    "pupils": "Урок для учнів 9–11 класів: безпечне працевлаштування і ознаки вербування",
    "parents": "Батьківські збори: як говорити з дітьми про безпеку в інтернеті",
    "teachers": "Методоб'єднання класних керівників: як розпізнати ознаки торгівлі людьми",
    "civil_servants": "Нарада в громаді: порядок взаємодії при виявленні постраждалої особи",
    "social_workers": "Супервізія фахівців: оцінка потреб постраждалих осіб",
    "police": "Інструктаж дільничних офіцерів: національний механізм взаємодії",
    "community": "Інформаційна зустріч у сільському клубі громади",
}
REVOKE_REASON = "Виявлено, що учасниця не була присутня на всіх заняттях (повідомлення тренера)"
CANCEL_REASON = "Перенесено через повітряну тривогу та відключення електроенергії"
# The cascade's shape: trainers are this share of the people, spread over generations 0-6 by
# these shares (masters 2 %: 2,000 roots for 100,000 trainers nationally). Each generation's ToT
# cohorts run in a wave of WAVE_LENGTH days, WAVE_EVERY days after the one above, so every lead
# trainer is accredited before the ToT she leads; six waves end in the programme's fifth year.
TRAINER_SHARE = 0.10
GENERATION_SHARES = (0.02, 0.06, 0.12, 0.20, 0.24, 0.20, 0.16)
WAVE_START, WAVE_EVERY, WAVE_LENGTH = 30, 270, 200
# Per-item test responses: for every attempt, one in RESPONSE_SAMPLE, or none.
RESPONSE_CHOICES = ("all", "sample", "none")
RESPONSE_SAMPLE = 20
RESPONSES_ALL_UP_TO = 100_000


def _stem(district_name: str) -> str:
    """ "Уманський район" -> "Уманськ" (every raion and city district name ends in "-ий район")."""
    name = district_name.removesuffix(" район")
    return name[:-2] if name.endswith("ий") else name


# -- Writing ---------------------------------------------------------------------------------


def _copy_text(value) -> str:
    """A value in PostgreSQL's COPY text format (dates, times and timestamps as ``str`` gives
    them, which PostgreSQL reads back; booleans as True/False, which it accepts too)."""
    if value is None:
        return "\\N"
    if value.__class__ is str:
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
            return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
        return value
    return str(value)


# Tables that take many rows: on PostgreSQL their foreign keys, unique constraints and indexes
# are set aside during the load and made again at the end (in the same transaction), which checks
# every row at once: a foreign key checked row by row makes COPY about forty times slower.
BULK_TABLES = (
    "users", "user_roles", "cohorts", "cohort_trainers", "sessions", "session_modules", "enrollments",
    "attendance", "cohort_tests", "attempts", "responses", "certificates", "step_down_events",
)  # fmt: skip


class Writer:
    """Buffers rows per table and writes them in chunks, every table in the order first used
    (parents before children), so no chunk refers to a row not yet written.

    On PostgreSQL everything is one transaction: a failure leaves the database as it was."""

    def __init__(self, chunk: int = 50_000, progress: Callable[[str], None] = print):
        self.connection = db.session.connection()
        self.postgres = self.connection.dialect.name == "postgresql"
        self.chunk = chunk
        self.progress = progress
        self.buffers: dict[str, list[tuple]] = {}
        self.columns: dict[str, list[str]] = {}
        self.counts: dict[str, int] = {}
        self.seconds: dict[str, float] = {}  # spent writing each table
        self.buffered = 0
        self.started = time.perf_counter()
        self.written = 0
        self.last_report = 0.0
        self.set_aside: list[tuple[str, str]] = []  # (table, SQL that makes it again)
        if self.postgres:
            self._set_aside()

    def _set_aside(self) -> None:
        run = self.connection.exec_driver_sql
        run("SET LOCAL maintenance_work_mem = '256MB'")
        rows = run(
            "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
            "WHERE c.contype IN ('f', 'u') AND c.conrelid::regclass::text = ANY(%(tables)s) "
            "ORDER BY c.contype DESC",  # unique constraints first (made again before the keys)
            {"tables": list(BULK_TABLES)},
        ).all()
        for table, name, definition in rows:
            run(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            self.set_aside.append((table, f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'))
        indexes = run(
            "SELECT i.tablename, i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = current_schema() "
            "AND i.tablename = ANY(%(tables)s) AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
            "WHERE c.conname = i.indexname AND c.contype = 'p')",
            {"tables": list(BULK_TABLES)},
        ).all()
        for table, name, definition in indexes:
            run(f'DROP INDEX "{name}"')
            self.set_aside.append((table, definition))
        # Indexes first, then unique constraints, then foreign keys.
        self.set_aside.sort(key=lambda item: (not item[1].startswith("CREATE"), "FOREIGN KEY" in item[1]))
        # The report figures' triggers (migration 0017) would bump a stamp per row loaded: off
        # during the load, and the figures they guard are dropped and computed afresh after it.
        for table in BULK_TABLES:
            run(f"ALTER TABLE {table} DISABLE TRIGGER USER")

    def next_id(self, table: str) -> int:
        query = f"SELECT max(id) FROM {table}"  # noqa: S608 - our own table names  # nosec B608
        return (self.connection.exec_driver_sql(query).scalar() or 0) + 1

    def table(self, name: str, columns: list[str]) -> list[tuple]:
        """The buffer to append ``columns``-ordered tuples of ``name`` to."""
        if name not in self.buffers:
            self.buffers[name] = []
            self.columns[name] = columns
            self.counts[name] = 0
        return self.buffers[name]

    def maybe_flush(self) -> None:
        if sum(len(rows) for rows in self.buffers.values()) >= self.chunk:
            self.flush()

    def flush(self) -> None:
        for name, rows in self.buffers.items():
            if rows:
                began = time.perf_counter()
                self._write(name, self.columns[name], rows)
                self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - began
                self.counts[name] += len(rows)
                self.written += len(rows)
                rows.clear()
        if not self.postgres:
            db.session.commit()
            self.connection = db.session.connection()
        now = time.perf_counter() - self.started
        if now - self.last_report >= 5:
            self.last_report = now
            self.progress(
                f"  {self.written:,} rows in {now:.0f} s ({self.written / max(now, 1e-9):,.0f} rows/s)"
            )

    def _write(self, name: str, columns: list[str], rows: list) -> None:
        if self.postgres:
            # COPY's text format, built here: several times faster than adapting value by value.
            lines = (
                rows if isinstance(rows[0], str) else ["\t".join(map(_copy_text, row)) + "\n" for row in rows]
            )
            raw = self.connection.connection.driver_connection
            with raw.cursor() as cursor:
                with cursor.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
                    for start in range(0, len(lines), 10_000):
                        copy.write("".join(lines[start : start + 10_000]))
            return
        model = db.metadata.tables[name]
        # JSON values are given already encoded: insert them as text.
        table = sa.table(
            name,
            *(
                sa.column(c, sa.Text() if isinstance(model.c[c].type, sa.JSON) else model.c[c].type)
                for c in columns
            ),
        )
        for start in range(0, len(rows), 5000):
            self.connection.execute(
                table.insert(), [dict(zip(columns, row, strict=True)) for row in rows[start : start + 5000]]
            )

    def finish(self) -> None:
        self.flush()
        if self.postgres:
            started = time.perf_counter()
            for _table, statement in self.set_aside:
                self.connection.exec_driver_sql(statement)
            for table in BULK_TABLES:
                self.connection.exec_driver_sql(f"ALTER TABLE {table} ENABLE TRIGGER USER")
            for table in (CohortFigures.__tablename__, PeopleGroups.__tablename__):
                self.connection.exec_driver_sql(f"DELETE FROM {table}")  # noqa: S608 - our names  # nosec B608
            self.progress(
                f"  {len(self.set_aside)} indexes, unique constraints and foreign keys made again and checked "
                f"in {time.perf_counter() - started:.1f} s"
            )
            for name in self.columns:
                if "id" in self.columns[name]:
                    statement = (
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "  # noqa: S608 - our names  # nosec B608
                        f"(SELECT max(id) FROM {name}))"
                    )
                    self.connection.exec_driver_sql(statement)
        db.session.commit()
        if self.postgres:
            started = time.perf_counter()
            # Fresh statistics, so the planner knows the tables' new sizes at once.
            db.session.connection().exec_driver_sql(f"ANALYZE {', '.join(self.columns)}")
            db.session.commit()
            self.progress(f"  ANALYZE in {time.perf_counter() - started:.1f} s")


# -- Reference data through the services (small) ---------------------------------------------


def _reference_data() -> tuple[User, dict[str, Course]]:
    """Geography, the admin, the courses and their question banks; safe to run again."""
    demo.load_geography()
    admin = accounts.find_user_by_email(ADMIN_EMAIL) or accounts.create_user(
        by=None,
        email=ADMIN_EMAIL,
        full_name="Оксана Адміністраторка",
        roles=["admin"],
        password=demo.PASSWORD,
        position="Адміністраторка національної програми",
    )
    by_code = {c.code: c for c in db.session.scalars(select(Course))}
    specs = {spec["code"]: spec for spec in COURSES}
    for spec in COURSES:
        if spec["code"] not in by_code:
            by_code[spec["code"]] = course_services.create_course(by=admin, **_course_values(spec))
    for code, target, days, content_hours, practice_hours in TOT_COURSES:
        if code not in by_code:
            spec = _tot_course(code, specs[target], days, content_hours, practice_hours)
            spec["accredits_course_ids"] = [by_code[target].id]
            by_code[code] = course_services.create_course(by=admin, **_course_values(spec))
            course_services.update_course(
                by_code[code], by=admin, accredits_course_ids=[by_code[target].id, by_code[code].id]
            )
    # One common bank of the programme's items for every course (the demo's banks together).
    items, seen = [], set()
    for bank_items in BANKS.values():
        for item in bank_items:
            if item[3] not in seen:
                seen.add(item[3])
                items.append(item)
    for course in by_code.values():
        if db.session.scalar(select(func.count(Question.id)).where(Question.course_id == course.id)):
            continue
        for topic, form, kind, text, options in items:
            bank.create_question(
                course,
                {
                    "kind": kind,
                    "text": text,
                    "topic": topic,
                    "form": form,
                    "choices": [{"text": option, "correct": correct} for option, correct in options],
                },
                by=admin,
            )
    db.session.commit()
    return admin, by_code


@dataclass
class Item:
    question_id: int
    version_id: int
    right: str  # JSON of the correct choice ids
    wrong: str  # JSON of one wrong choice

    @cached_property
    def right_text(self) -> str:
        return f"{self.question_id}\t{self.version_id}\t{self.right}"

    @cached_property
    def wrong_text(self) -> str:
        return f"{self.question_id}\t{self.version_id}\t{self.wrong}"


def _items(course_ids: list[int]) -> dict[tuple[int, str], list[Item]]:
    """Each course's current items on form A and on form B."""
    rows = db.session.execute(
        select(Question.course_id, Question.id, Question.form, QuestionVersion.id, Choice.id, Choice.correct)
        .join(
            QuestionVersion,
            (QuestionVersion.question_id == Question.id) & (QuestionVersion.number == Question.version),
        )
        .join(Choice, Choice.version_id == QuestionVersion.id)
        .where(Question.course_id.in_(course_ids), Question.active.is_(True))
        .order_by(Question.course_id, Question.position, Choice.position)
    ).all()
    grouped: dict[tuple[int, int], dict] = {}
    for course_id, question_id, form, version_id, choice_id, correct in rows:
        entry = grouped.setdefault(
            (course_id, question_id), {"form": form, "version": version_id, "right": [], "wrong": []}
        )
        entry["right" if correct else "wrong"].append(choice_id)
    items: dict[tuple[int, str], list[Item]] = {}
    for (course_id, question_id), entry in grouped.items():
        item = Item(
            question_id,
            entry["version"],
            json.dumps(entry["right"]),
            json.dumps(entry["wrong"][:1] or entry["right"][:1]),
        )
        for form in ("A", "B"):
            if entry["form"] in (form, "both"):
                items.setdefault((course_id, form), []).append(item)
    return items


# -- The plan --------------------------------------------------------------------------------


@dataclass
class Trainer:
    user_id: int
    generation: int
    track: str
    region_id: int
    accredited_on: date
    parent_id: int | None = None
    root_id: int = 0
    source_cohort_id: int | None = None
    source_region_id: int | None = None
    certificate_ids: list[int] = field(default_factory=list)


def _utc(day: date, hour: int = 10, minute: int = 0) -> datetime:
    # Kyiv is UTC+2/+3: a 12:00 local session is 09:00-10:00 UTC; close enough for stored times.
    return datetime.combine(day, dtime(hour, minute), tzinfo=UTC)


def _split(total: int, weights: list[float]) -> list[int]:
    """``total`` split by ``weights`` (largest remainders), summing exactly to ``total``."""
    whole = sum(weights)
    exact = [total * w / whole for w in weights]
    counts = [int(x) for x in exact]
    for i in sorted(range(len(weights)), key=lambda i: exact[i] - counts[i], reverse=True)[
        : total - sum(counts)
    ]:
        counts[i] += 1
    return counts


def load_scale(
    people: int,
    *,
    responses_per_attempt: int = 11,
    responses: str | None = None,
    seed: int = 2026,
    chunk: int = 50_000,
    progress: Callable[[str], None] = print,
) -> dict[str, int]:
    """Load a programme of ``people`` people; returns the rows written per table.

    ``responses``: which attempts get their per-item responses: ``all``, ``sample`` (one attempt
    in RESPONSE_SAMPLE) or ``none``; by default all up to RESPONSES_ALL_UP_TO people, a sample
    above. Scores and item lists are on every attempt either way, so every figure but item
    analysis is the same; the responses are most of the rows (40 per person with all)."""
    if people < 100:
        raise ValueError("At least 100 people: the cascade needs a dozen trainers.")
    answers = responses or ("all" if people <= RESPONSES_ALL_UP_TO else "sample")
    if answers not in RESPONSE_CHOICES:
        raise ValueError(f"responses: one of {', '.join(RESPONSE_CHOICES)}")
    started = time.perf_counter()
    rng = random.Random(seed)  # reproducible data, not security  # nosec B311
    today = local_today()
    programme_start = today - timedelta(days=365 * YEARS)
    admin, courses = _reference_data()
    progress(f"Reference data (geography, courses, question banks) in {time.perf_counter() - started:.1f} s")

    writer = Writer(chunk=chunk, progress=progress)
    ids = {
        name: writer.next_id(name)
        for name in (
            "institutions", "users", "accreditations", "cohorts", "sessions", "enrollments", "attendance",
            "cohort_tests", "attempts", "responses", "certificates", "step_down_events",
        )
    }  # fmt: skip

    def take(name: str) -> int:
        ids[name] += 1
        return ids[name] - 1

    now = datetime.now(UTC)
    prefix = serial_prefix()
    org_uk, org_en = organisation()
    base_verify = verification_url("")

    # Geography and institutions.
    regions = {
        r.code: r
        for r in db.session.scalars(
            select(Region).where(Region.code.in_(REGION_WEIGHTS)).order_by(Region.code)
        )
    }
    # A small programme runs in fewer regions (the most populous), about 400 people or more each,
    # so that trainings fill as they do nationally.
    used = max(3, min(len(regions), people // 400))
    region_codes = sorted(sorted(regions, key=lambda code: -REGION_WEIGHTS[code])[:used])
    districts: dict[str, list[District]] = {code: [] for code in region_codes}
    for district in db.session.scalars(
        select(District)
        .where(District.region_id.in_([regions[c].id for c in region_codes]))
        .order_by(District.id)
    ):
        districts[next(c for c in region_codes if regions[c].id == district.region_id)].append(district)
    existing = {(i.district_id, i.name): i.id for i in db.session.scalars(select(Institution))}
    institutions: dict[int, list[tuple[int, str]]] = {}  # district id -> [(institution id, type)]
    rows = writer.table(
        "institutions", ["id", "name", "name_en", "type", "district_id", "created_at", "updated_at"]
    )
    for code in region_codes:
        for district in districts[code]:
            stem = _stem(district.name)
            for type_, pattern in INSTITUTION_NAMES:
                name = pattern.format(s=stem, S=stem)
                institution_id = existing.get((district.id, name))
                if institution_id is None:
                    institution_id = take("institutions")
                    rows.append(
                        (institution_id, name, transliterate(name)[:255], type_, district.id, now, now)
                    )
                institutions.setdefault(district.id, []).append((institution_id, type_))

    # People: contiguous id ranges per region, each in a district and an institution there.
    per_region = _split(people, [REGION_WEIGHTS[c] for c in region_codes])
    users = writer.table(
        "users",
        ["id", "email", "full_name", "full_name_latin", "surname", "sort_name", "phone", "position",
         "institution_id", "password_hash", "active", "locale", "session_nonce", "totp_last_step",
         "search_text", "created_at", "updated_at"],
    )  # fmt: skip
    roles = writer.table("user_roles", ["user_id", "role"])
    surnames = demo.SURNAMES + MORE_SURNAMES
    latin = {
        name: transliterate(name).lower().replace("'", "")
        for name in surnames + demo.FIRST_NAMES_F + demo.FIRST_NAMES_M
    }
    region_people: dict[str, range] = {}
    person_district: dict[int, int] = {}
    person_name: dict[int, str] = {}
    for code, count in zip(region_codes, per_region, strict=True):
        first_id = ids["users"]
        for _ in range(count):
            user_id = take("users")
            district = rng.choice(districts[code])
            institution_id, type_ = rng.choices(institutions[district.id], weights=INSTITUTION_WEIGHTS)[0]
            female = rng.random() < 0.78  # the programme's specialists are mostly women
            first = rng.choice(demo.FIRST_NAMES_F if female else demo.FIRST_NAMES_M)
            surname = rng.choice(surnames)
            if rng.random() < 0.25:  # as district lists write them: surname first, with the patronymic
                patronymic = rng.choice(PATRONYMICS_F if female else PATRONYMICS_M)
                full_name, sort_name = f"{surname} {first} {patronymic}", f"{surname} {first} {patronymic}"
            else:
                full_name, sort_name = f"{first} {surname}", f"{surname} {first}"
            email = f"{latin[first]}.{latin[surname]}.{user_id}@{EMAIL_DOMAIN}"
            phone = f"+380{rng.choice((50, 63, 66, 67, 68, 73, 93, 95, 96, 97, 98, 99))}{rng.randint(1000000, 9999999)}"
            users.append(
                (user_id, email, full_name, "", surname, sort_name, phone, rng.choice(POSITIONS[type_]),
                 institution_id, None, True, "uk", f"{rng.getrandbits(64):016x}", 0,
                 f"{full_name} {email} {phone}".casefold(), now, now)
            )  # fmt: skip
            roles.append((user_id, "participant"))
            person_district[user_id] = district.id
            person_name[user_id] = full_name
            writer.maybe_flush()
        region_people[code] = range(first_id, ids["users"])
    # A coordinator per region: a person of the region who also coordinates it.
    coordinator_regions = writer.table("coordinator_regions", ["user_id", "region_id"])
    coordinators = {}
    for code in region_codes:
        if region_people[code]:
            coordinators[code] = region_people[code][0]
            roles.append((coordinators[code], "coordinator"))
            coordinator_regions.append((coordinators[code], regions[code].id))
    progress(f"{people:,} people in {len(region_codes)} regions")

    # The cascade's trainers (about a tenth of the people, as nationally: 100,000 of 1,000,000):
    # generation 0 accredited by the admin before the programme starts, each later generation
    # certified by ToT cohorts the generation above leads, down to generation 6.
    trainer_total = max(len(GENERATION_SHARES) * 2, round(people * TRAINER_SHARE))
    masters = max(2, round(trainer_total * GENERATION_SHARES[0]))
    sizes = [masters] + [max(1, n) for n in _split(trainer_total - masters, list(GENERATION_SHARES[1:]))]
    region_weights = [REGION_WEIGHTS[c] for c in region_codes]
    chosen: set[int] = set()

    def pick_person(code: str) -> int:
        pool = region_people[code]
        while True:
            user_id = pool[rng.randrange(len(pool))]
            if user_id not in chosen:
                chosen.add(user_id)
                return user_id

    def pick_region() -> str:
        while True:
            code = rng.choices(region_codes, weights=region_weights)[0]
            if region_people[code]:
                return code

    track_names = list(TRACKS)
    track_weights = [TRACKS[t][2] for t in track_names]
    trainers: list[Trainer] = []
    by_generation: list[list[Trainer]] = [[] for _ in sizes]
    for i in range(masters):
        code = region_codes[i % len(region_codes)] if i < len(region_codes) else pick_region()
        if not region_people[code]:
            code = pick_region()
        user_id = pick_person(code)
        trainer = Trainer(user_id, 0, "ALL", regions[code].id, programme_start - timedelta(days=30))
        trainer.root_id = user_id
        trainers.append(trainer)
        by_generation[0].append(trainer)

    district_region = {d.id: code for code in region_codes for d in districts[code]}
    course_by_track = {t: (courses[p], courses[tot]) for t, (p, tot, _w) in TRACKS.items()}

    @dataclass
    class Plan:
        course: Course
        track: str
        lead: Trainer
        district_id: int
        start: date
        trainees: list[Trainer] = field(default_factory=list)  # ToT: the future trainers
        size: int = 0

    plans: list[Plan] = []
    for generation in range(1, len(sizes)):
        count = sizes[generation]
        waves_needed = max(1, math.ceil(count / 14))
        pending = []
        # Only a track the generation above can teach (masters teach every track); who may lead
        # a track's ToT, in all and by region, worked out once per generation.
        above: dict[tuple[str, int | None], list[Trainer]] = {}
        for t in by_generation[generation - 1]:
            for track in track_names if t.track == "ALL" else [t.track]:
                above.setdefault((track, None), []).append(t)
                above.setdefault((track, t.region_id), []).append(t)
        tracks = [t for t in track_names if (t, None) in above]
        weights = [TRACKS[t][2] for t in tracks]
        for _ in range(count):
            code = pick_region()
            pending.append((code, rng.choices(tracks, weights=weights)[0]))
        # Group by track and region: each ToT cohort trains one track's trainers, mostly of one
        # region (the group's first), so the ToTs and their leads spread over the country.
        pending.sort(key=lambda item: (item[1], item[0]))
        size = math.ceil(count / waves_needed)
        groups = [pending[i : i + size] for i in range(0, count, size)]
        lo = WAVE_START + (generation - 1) * WAVE_EVERY
        hi = lo + WAVE_LENGTH
        for group in groups:
            if not group:
                continue
            track = group[0][1]
            group = [(code, track) for code, _t in group]
            code = group[0][0]
            lead = rng.choice(above.get((track, regions[code].id)) or above[(track, None)])
            tot = course_by_track[track][1]
            start = programme_start + timedelta(days=rng.randint(lo, hi))
            district = rng.choice(districts[code])
            plan = Plan(tot, track, lead, district.id, start)
            for trainee_code, _t in group:
                user_id = pick_person(trainee_code)
                trainee = Trainer(
                    user_id, generation, track, regions[trainee_code].id, start + timedelta(days=tot.days - 1)
                )
                trainee.parent_id = lead.user_id
                trainee.root_id = lead.root_id
                trainee.source_region_id = regions[code].id
                plan.trainees.append(trainee)
                trainers.append(trainee)
                by_generation[generation].append(trainee)
            plan.size = len(plan.trainees) + rng.randint(1, 3)  # and a few who will not complete
            plans.append(plan)

    # Participants' trainings, spread over the five years up to two months ahead.
    cohort_total = max(len(plans) + 6, round(people * 0.06))
    participant_cohorts = cohort_total - len(plans)
    enrolment_total = 2 * people
    tot_enrolments = sum(plan.size for plan in plans)
    horizon_days = (today - programme_start).days + 60
    # Who may lead a track's training from a day on: (accredited on, trainer), by track.
    leads: dict[tuple[str, int | None], list[tuple[date, int, Trainer]]] = {}
    for trainer in trainers:
        for track in TRACKS:
            if trainer.track in (track, "ALL"):
                leads.setdefault((track, None), []).append((trainer.accredited_on, trainer.user_id, trainer))
                leads.setdefault((track, trainer.region_id), []).append(
                    (trainer.accredited_on, trainer.user_id, trainer)
                )
    for candidates in leads.values():
        candidates.sort(key=lambda item: (item[0], item[1]))

    def pick_trainer(track: str, region_id: int | None, before: date, local: float = 0.9) -> Trainer | None:
        """A trainer of ``track`` accredited before ``before``, of the region ``local`` of the time."""
        for key in ((track, region_id), (track, None)) if rng.random() < local else ((track, None),):
            candidates = leads.get(key, [])
            upto = bisect_left(candidates, (before, 0))
            if upto:
                return candidates[rng.randrange(upto)][2]
        return None

    participant_plans: list[Plan] = []
    for _ in range(participant_cohorts):
        code = pick_region()
        track = rng.choices(track_names, weights=track_weights)[0]
        start = programme_start + timedelta(days=rng.randint(30, horizon_days))
        lead = pick_trainer(track, regions[code].id, start) or by_generation[0][0]
        participant_plans.append(
            Plan(course_by_track[track][0], track, lead, rng.choice(districts[code]).id, start)
        )
    average = max(1, (enrolment_total - tot_enrolments) / max(1, participant_cohorts * 0.97))
    for plan in participant_plans:
        plan.size = max(8, min(45, round(rng.gauss(average, 5))))
    all_plans = plans + participant_plans
    all_plans.sort(key=lambda plan: plan.start)  # ids in date order, ToTs before what they enable

    # Decks of people per region: each person about twice, dealt to the region's trainings.
    decks: dict[str, list[int]] = {}
    cursor: dict[str, int] = {}

    def deal(code: str, count: int, exclude: set[int]) -> list[int]:
        deck = decks.get(code)
        if deck is None or cursor[code] + count > len(deck):
            deck = list(region_people[code]) * 2
            rng.shuffle(deck)
            decks[code], cursor[code] = deck, 0
        taken: list[int] = []
        seen = set(exclude)
        while len(taken) < count and cursor[code] < len(deck):
            user_id = deck[cursor[code]]
            cursor[code] += 1
            if user_id not in seen:
                seen.add(user_id)
                taken.append(user_id)
        return taken

    items = _items([c.id for c in courses.values()])
    modules = {
        course.id: [(m.id, m.title, m.title_en or "", float(m.hours)) for m in course.modules]
        for course in courses.values()
    }
    module_json = {
        cid: json.dumps([{"title": t, "title_en": e, "hours": h} for _i, t, e, h in mods], ensure_ascii=False)
        for cid, mods in modules.items()
    }
    course_hours = {cid: float(sum(m[3] for m in mods)) for cid, mods in modules.items()}
    course_latin = {c.id: c.title_en or transliterate(c.title) for c in courses.values()}
    district_names = {d.id: d.name for code in region_codes for d in districts[code]}
    serials: dict[int, int] = dict(
        db.session.execute(
            select(SerialCounter.year, SerialCounter.last_number).where(SerialCounter.prefix == prefix)
        ).all()
    )
    certified: dict[int, list[int]] = {}  # trainee user id -> trainer certificate ids
    cohort_of_trainee: dict[int, int] = {}

    cohort_rows = writer.table(
        "cohorts",
        ["id", "course_id", "lead_trainer_id", "district_id", "venue", "start_date", "end_date", "capacity",
         "status", "notes", "cancelled_reason", "created_by_id", "checkin_secret", "created_at", "updated_at"],
    )  # fmt: skip
    co_trainer_rows = writer.table("cohort_trainers", ["cohort_id", "user_id"])
    session_rows = writer.table(
        "sessions", ["id", "cohort_id", "date", "starts_at", "ends_at", "venue", "attendance_not_taken"]
    )
    session_module_rows = writer.table("session_modules", ["session_id", "module_id"])
    enrolment_rows = writer.table(
        "enrollments",
        [
            "id",
            "cohort_id",
            "user_id",
            "status",
            "withdrawn_at",
            "enrolled_by_id",
            "created_at",
            "updated_at",
        ],
    )
    attendance_rows = writer.table(
        "attendance",
        ["id", "session_id", "enrollment_id", "status", "note", "source", "marked_by_id", "marked_at"],
    )
    test_rows = writer.table(
        "cohort_tests",
        ["id", "cohort_id", "phase", "form", "status", "opened_at", "closed_at", "room_code", "results_released",
         "created_at", "updated_at"],
    )  # fmt: skip
    attempt_rows = writer.table(
        "attempts",
        ["id", "test_id", "enrollment_id", "source", "form", "shuffle_seed", "item_ids", "started_at",
         "submitted_at", "score_percent"],
    )  # fmt: skip
    response_rows = writer.table(
        "responses", ["id", "attempt_id", "question_id", "version_id", "choice_ids", "answered_at", "credit"]
    )
    certificate_rows = writer.table(
        "certificates",
        ["id", "enrollment_id", "user_id", "cohort_id", "kind", "prefix", "year", "number", "serial",
         "verification_code", "status", "revoked_reason", "revoked_at", "issued_at", "holder_name",
         "holder_name_latin", "course_code", "course_title", "course_title_en", "start_date", "issued_on",
         "hours", "modules", "lead_trainer_name", "lead_trainer_name_latin", "organisation",
         "organisation_en", "district_name", "verification_url", "sha256"],
    )  # fmt: skip
    latin_words: dict[str, str] = {}

    def latin_of(user_id: int) -> str:
        words = []
        for word in person_name[user_id].split():
            latin_word = latin_words.get(word)
            if latin_word is None:
                latin_word = latin_words[word] = transliterate(word)
            words.append(latin_word)
        return " ".join(words)

    trainee_ids = {t.user_id: t for plan in plans for t in plan.trainees}
    statuses = {"closed": 0, "cancelled": 0, "in_progress": 0, "scheduled": 0, "draft": 0}
    for plan in all_plans:
        course = plan.course
        cohort_id = take("cohorts")
        end = plan.start + timedelta(days=course.days - 1)
        code = district_region[plan.district_id]
        coordinator = coordinators.get(code)
        if end < today:
            status = "cancelled" if not plan.trainees and rng.random() < 0.03 else "closed"
        elif plan.start <= today:
            status = "in_progress"
        else:
            status = "draft" if rng.random() < 0.1 else "scheduled"
        statuses[status] += 1
        venue = f"{_stem(district_names[plan.district_id])}ий районний центр соціальних служб, вул. {rng.choice(STREETS)} {rng.randint(1, 60)}"
        cohort_rows.append(
            (cohort_id, course.id, plan.lead.user_id, plan.district_id, venue, plan.start, end,
             max(plan.size, 25), status, "", CANCEL_REASON if status == "cancelled" else None, coordinator,
             "", _utc(plan.start - timedelta(days=30)), _utc(min(end, today)))
        )  # fmt: skip
        for trainee in plan.trainees:
            trainee.source_cohort_id = cohort_id
            cohort_of_trainee[trainee.user_id] = cohort_id
        if rng.random() < 0.3:
            other = pick_trainer(plan.track, regions[code].id, plan.start)
            if other is not None and other.user_id != plan.lead.user_id:
                co_trainer_rows.append((cohort_id, other.user_id))
        sessions = []
        mods = modules[course.id]
        per_day = math.ceil(len(mods) / course.days)
        for day in range(course.days):
            session_id = take("sessions")
            session_date = plan.start + timedelta(days=day)
            session_rows.append((session_id, cohort_id, session_date, dtime(9, 30), dtime(17, 0), "", False))
            for module in mods[day * per_day : (day + 1) * per_day]:
                session_module_rows.append((session_id, module[0]))
            sessions.append((session_id, session_date, _utc(session_date, 7)))
        if status in ("cancelled", "draft"):
            writer.maybe_flush()
            continue
        # Who enrols: the ToT's future trainers first, then people of the region.
        members = [t.user_id for t in plan.trainees]
        members += deal(code, plan.size - len(members), set(members))
        delivered = status in ("closed", "in_progress")
        tests = {}
        if delivered:
            for phase, form in (("pre", "A"), ("post", "B")):
                if phase == "post" and status == "in_progress":
                    continue  # held on the last day
                test_id = take("cohort_tests")
                day = plan.start if phase == "pre" else end
                pool = items[(course.id, form)]
                chosen_items = rng.sample(pool, min(responses_per_attempt, len(pool)))
                tests[phase] = (
                    test_id,
                    form,
                    chosen_items,
                    json.dumps([i.question_id for i in chosen_items]),
                    day,
                )
                test_rows.append(
                    (test_id, cohort_id, phase, form, "closed" if status == "closed" else "open", _utc(day, 7),
                     _utc(day, 8) if status == "closed" else None, f"S{test_id:x}", status == "closed",
                     _utc(plan.start - timedelta(days=7)), _utc(day, 8))
                )  # fmt: skip
        for user_id in members:
            enrolment_id = take("enrollments")
            is_trainee = user_id in trainee_ids and trainee_ids[user_id].source_cohort_id == cohort_id
            withdrawn = not is_trainee and rng.random() < 0.06
            enrolment_rows.append(
                (enrolment_id, cohort_id, user_id, "withdrawn" if withdrawn else "enrolled",
                 _utc(plan.start - timedelta(days=2)) if withdrawn else None, coordinator,
                 _utc(plan.start - timedelta(days=rng.randint(7, 30))), _utc(plan.start - timedelta(days=1)))
            )  # fmt: skip
            if withdrawn or not delivered:
                continue
            # Whether she meets the course's rule: every future trainer does; others mostly.
            completes = is_trainee or (not plan.trainees and rng.random() < 0.88)
            ability = rng.gauss(0.0, 1.0)
            misses = 0 if completes else (1 if rng.random() < 0.5 else 0)
            for index, (session_id, session_date, marked_at) in enumerate(sessions):
                if session_date > today:
                    continue
                absent = index < misses
                attendance_rows.append(
                    (take("attendance"), session_id, enrolment_id,
                     "absent" if absent else ("late" if rng.random() < 0.05 else "present"), "",
                     "self_checkin" if rng.random() < 0.3 else "trainer", plan.lead.user_id, marked_at)
                )  # fmt: skip
            scores = {}
            for phase, (test_id, form, chosen_items, item_json, day) in tests.items():
                if rng.random() < 0.03 and not completes:
                    continue  # missed the test
                count = len(chosen_items)
                chance = 1 / (1 + math.exp(-(ability + (0.3 if phase == "pre" else 1.6))))
                right = sum(1 for _ in range(count) if rng.random() < chance)
                if phase == "post":
                    needed = math.ceil(course.pass_mark_percent * count / 100)
                    if completes:
                        right = max(right, needed)
                    elif misses == 0:
                        right = min(right, needed - 1)
                attempt_id = take("attempts")
                score = round(100 * right / count, 1)
                scores[phase] = score
                began = _utc(day, 7, rng.randint(0, 30))
                submitted = began + timedelta(minutes=rng.randint(8, 25))
                attempt_rows.append(
                    (attempt_id, test_id, enrolment_id, "online", form, rng.getrandbits(31), item_json, began,
                     submitted, score)
                )  # fmt: skip
                if not (answers == "all" or (answers == "sample" and attempt_id % RESPONSE_SAMPLE == 0)):
                    continue
                correct = set(rng.sample(range(count), right))
                first_response = ids["responses"]
                ids["responses"] += count
                if writer.postgres:  # the largest table: COPY lines made directly
                    tail = f"\t{submitted}\t"
                    response_rows.extend(
                        f"{first_response + position}\t{attempt_id}\t"
                        f"{item.right_text if position in correct else item.wrong_text}{tail}"
                        f"{'1.0' if position in correct else '0.0'}\n"
                        for position, item in enumerate(chosen_items)
                    )
                else:
                    response_rows.extend(
                        (first_response + position, attempt_id, item.question_id, item.version_id,
                         item.right if position in correct else item.wrong, submitted,
                         1.0 if position in correct else 0.0)
                        for position, item in enumerate(chosen_items)
                    )  # fmt: skip
            if status != "closed" or not completes or "post" not in scores:
                continue
            certificate_id = take("certificates")
            year = end.year
            serials[year] = serials.get(year, 0) + 1
            revoked = not plan.trainees and rng.random() < 0.01
            code_ = secrets.token_urlsafe(12)
            certificate_rows.append(
                (certificate_id, enrolment_id, user_id, cohort_id, "trainer" if course.is_tot else "participation",
                 prefix, year, serials[year], format_serial(prefix, year, serials[year]), code_,
                 "revoked" if revoked else "valid", REVOKE_REASON if revoked else None,
                 _utc(end + timedelta(days=20)) if revoked else None, _utc(end, 15), person_name[user_id],
                 latin_of(user_id), course.code, course.title, course_latin[course.id], plan.start, end,
                 course_hours[course.id], module_json[course.id], person_name[plan.lead.user_id],
                 latin_of(plan.lead.user_id), org_uk, org_en, district_names[plan.district_id],
                 base_verify + code_, "")
            )  # fmt: skip
            if course.is_tot:
                certified.setdefault(user_id, []).append(certificate_id)
        writer.maybe_flush()
    progress(f"{len(all_plans):,} cohorts planned ({', '.join(f'{k} {v}' for k, v in statuses.items())})")

    # Serial counters continue after the certificates written here.
    counters = writer.table("certificate_serials", ["prefix", "year", "last_number"])
    writer.flush()
    for year, number in serials.items():
        updated = writer.connection.execute(
            sa.update(SerialCounter.__table__)
            .where(SerialCounter.prefix == prefix, SerialCounter.year == year)
            .values(last_number=number)
        ).rowcount
        if not updated:
            counters.append((prefix, year, number))

    # Accreditations and lineage: masters for every course by the admin, the others for their
    # track's course and ToT by their trainer certificate.
    accreditation_rows = writer.table(
        "accreditations",
        ["id", "user_id", "course_id", "source", "certificate_id", "source_cohort_id", "granted_on",
         "granted_by_id", "note", "created_at", "updated_at"],
    )  # fmt: skip
    lineage_rows = writer.table(
        "trainer_lineage",
        ["user_id", "parent_id", "root_id", "generation", "accreditation_id", "source_cohort_id", "region_id",
         "accredited_on", "active"],
    )  # fmt: skip
    trainer_roles = []
    for trainer in trainers:
        trainer_roles.append((trainer.user_id, "trainer"))
        if trainer.generation == 0:
            first = None
            for course in sorted(courses.values(), key=lambda c: c.id):
                accreditation_id = take("accreditations")
                first = first or accreditation_id
                accreditation_rows.append(
                    (accreditation_id, trainer.user_id, course.id, "admin", None, None, trainer.accredited_on,
                     admin.id, MASTER_NOTE, now, now)
                )  # fmt: skip
            lineage_rows.append(
                (
                    trainer.user_id,
                    None,
                    trainer.user_id,
                    0,
                    first,
                    None,
                    trainer.region_id,
                    trainer.accredited_on,
                    True,
                )
            )
            continue
        certificate_id = certified[trainer.user_id][0]
        participant_course, tot_course = course_by_track[trainer.track]  # the ToT's course and itself
        first = None
        for course in sorted((participant_course, tot_course), key=lambda c: c.id):
            accreditation_id = take("accreditations")
            first = first or accreditation_id
            accreditation_rows.append(
                (accreditation_id, trainer.user_id, course.id, "certificate", certificate_id,
                 trainer.source_cohort_id, trainer.accredited_on, None, "", now, now)
            )  # fmt: skip
        lineage_rows.append(
            (trainer.user_id, trainer.parent_id, trainer.root_id, trainer.generation, first,
             trainer.source_cohort_id, trainer.source_region_id, trainer.accredited_on, True)
        )  # fmt: skip
    writer.table("user_roles", ["user_id", "role"]).extend(trainer_roles)

    # Step-down events: trainers of generations 1-3 with their lessons and meetings, by headcount.
    event_rows = writer.table(
        "step_down_events",
        ["id", "trainer_id", "course_id", "date", "district_id", "audience", "headcount", "headcount_female",
         "headcount_under_18", "materials_distributed", "note", "created_by_id", "created_at", "updated_at"],
    )  # fmt: skip
    for trainer in trainers:
        if trainer.generation == 0 or rng.random() < 0.2:
            continue  # a fifth never log one (dormant unless they lead trainings)
        accredited = trainer.accredited_on + timedelta(days=3)
        span = (today - accredited).days
        if span <= 0:
            continue
        for _ in range(rng.randint(1, 8)):
            day = accredited + timedelta(days=rng.randint(0, span))
            audience = rng.choice(AUDIENCES)
            headcount = rng.randint(8, 60)
            district_id = person_district[trainer.user_id]
            event_rows.append(
                (take("step_down_events"), trainer.user_id, course_by_track[trainer.track][0].id, day, district_id,
                 audience, headcount, rng.randint(headcount // 2, headcount),
                 headcount if audience == "pupils" else rng.randint(0, headcount // 5), headcount, EVENT_NOTES[audience],
                 trainer.user_id, _utc(day, 16), _utc(day, 16))
            )  # fmt: skip
    writer.finish()
    began = time.perf_counter()
    computed = kept_cohorts.refresh_stale()
    kept_people.refresh()
    db.session.commit()
    progress(f"  report figures of {computed:,} cohorts kept in {time.perf_counter() - began:.1f} s")
    counts = dict(writer.counts)
    elapsed = time.perf_counter() - started
    total = sum(counts.values())
    progress(f"Loaded {total:,} rows in {elapsed:.1f} s ({total / elapsed:,.0f} rows/s)")
    return counts
