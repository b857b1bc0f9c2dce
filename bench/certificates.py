"""Certificate issuance benchmark: Celery workers on Redis and PostgreSQL against the raw render rate.

    .venv/bin/python bench/certificates.py --certificates 2000 --workers 2

Builds a fresh PostgreSQL database with finished trainings (50 people each, attendance marked,
post-test scored), starts ``--workers`` real Celery worker processes (one process each) on a
private Redis queue, closes every training through the real service (the outbox publishes the
issuance jobs), and times until every certificate is issued. In the same run it measures the
raw rate of the PDF code alone: ``render_pdf`` in as many processes as there are workers. The
ratio of the two is what the queue, the database, the serial counter and the audit cost.
"""

import argparse
import multiprocessing
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from datetime import time as clock
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
POSTGRES = os.environ.get("LMS_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("LMS_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
PER_COHORT = 50


def make_database() -> str:
    import sqlalchemy as sa

    name = f"cert_bench_{os.getpid()}_{secrets.token_hex(3)}"
    admin = sa.create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return sa.engine.make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    import sqlalchemy as sa

    parsed = sa.engine.make_url(url)
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    admin.dispose()


def build(count: int) -> None:
    """Finished trainings holding ``count`` people who all meet the course's rule."""
    from lms.accounts.models import User
    from lms.assessments.models import Attempt, CohortTest
    from lms.cohorts.models import Attendance, Cohort, Enrollment, TrainingSession
    from lms.core.db import utcnow
    from lms.courses.models import Accreditation, Course, CourseModule
    from lms.extensions import db
    from lms.org.models import District, Region

    region = Region(name="Черкаська область", name_en="Cherkasy oblast", code="UA-71")
    district = District(name="Уманський район", name_en="Uman raion", region=region)
    course = Course(
        code="PTL-STATUS",
        title="Процедура встановлення статусу особи, яка постраждала від торгівлі людьми",
        title_en="Procedure for establishing the status of a victim of trafficking",
        days=1,
        modules=[
            CourseModule(position=i, title=f"Модуль {i}", title_en=f"Module {i}", hours=3) for i in (1, 2)
        ],
    )
    trainer = User(
        email="trainer@bench.local", full_name="Наталія Бондаренко", full_name_latin="Nataliia Bondarenko"
    )
    trainer.set_roles(["trainer"])
    db.session.add_all([region, district, course, trainer])
    db.session.flush()
    db.session.add(
        Accreditation(user_id=trainer.id, course_id=course.id, source="admin", granted_on=date(2020, 1, 1))
    )
    day = date.today() - timedelta(days=10)
    people = 0
    cohort_number = 0
    while people < count:
        cohort_number += 1
        cohort = Cohort(
            course_id=course.id,
            lead_trainer_id=trainer.id,
            district_id=district.id,
            venue="Зала",
            start_date=day,
            end_date=day,
            capacity=PER_COHORT,
            status="in_progress",
        )
        session = TrainingSession(date=day, starts_at=clock(9), ends_at=clock(15))
        cohort.sessions.append(session)
        db.session.add(cohort)
        db.session.flush()
        test = CohortTest(cohort_id=cohort.id, phase="post", form="B", room_code=secrets.token_hex(4))
        db.session.add(test)
        db.session.flush()
        for _ in range(min(PER_COHORT, count - people)):
            people += 1
            user = User(
                email=f"p{people}@bench.local",
                full_name=f"Олена Шевченко {people}",
                full_name_latin=f"Olena Shevchenko {people}",
            )
            user.set_roles(["participant"])
            enrollment = Enrollment(cohort=cohort, user=user, status="enrolled")
            db.session.add(enrollment)
            db.session.flush()
            db.session.add(Attendance(session_id=session.id, enrollment_id=enrollment.id, status="present"))
            db.session.add(
                Attempt(
                    test_id=test.id,
                    enrollment_id=enrollment.id,
                    form="B",
                    source="score_only",
                    submitted_at=utcnow(),
                    score_percent=90.0,
                )
            )
        db.session.commit()


def _render_many(args) -> int:
    """Render ``n`` certificates of a fixed snapshot in this process; returns how many."""
    from lms import create_app
    from lms.certificates.models import Certificate
    from lms.certificates.render import render_pdf

    n, instance = args
    app = create_app({"INSTANCE_PATH": instance, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.app_context():
        template = {
            "kind": "participation",
            "prefix": "CAS",
            "year": 2026,
            "holder_name": "Олена Петрівна Шевченко",
            "holder_name_latin": "Olena Shevchenko",
            "course_code": "PTL-STATUS",
            "course_title": "Процедура встановлення статусу особи, яка постраждала від торгівлі людьми",
            "course_title_en": "Procedure for establishing the status of a victim of trafficking",
            "start_date": date(2026, 11, 2),
            "issued_on": date(2026, 11, 3),
            "hours": 12.0,
            "modules": [],
            "lead_trainer_name": "Наталія Бондаренко",
            "lead_trainer_name_latin": "Nataliia Bondarenko",
            "organisation": "Cascade LMS",
            "organisation_en": "Cascade LMS",
            "district_name": "Уманський район",
        }
        sizes = []
        for number in range(n):
            certificate = Certificate(
                **template,
                number=number,
                serial=f"CAS-2026-{number:06d}",
                verification_code=secrets.token_urlsafe(12),
                verification_url=f"http://127.0.0.1:5000/verify/{secrets.token_urlsafe(12)}",
            )
            sizes.append(len(render_pdf(certificate)))
    return statistics.mean(sizes)


def raw_render_rate(processes: int, per_process: int, instance: str) -> tuple[float, float]:
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        pool.map(_render_many, [(5, instance)] * processes)  # warm-up: fonts, imports
        started = time.perf_counter()
        sizes = pool.map(_render_many, [(per_process, instance)] * processes)
        elapsed = time.perf_counter() - started
    return processes * per_process / elapsed, statistics.mean(sizes)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--certificates", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    options = parser.parse_args()
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from lms import create_app
    from lms.accounts.models import User
    from lms.certificates import closing
    from lms.certificates.models import Certificate
    from lms.cohorts.models import Cohort
    from lms.core.models import Job
    from lms.core.outbox import publish_ready
    from lms.extensions import db

    url = make_database()
    queue = f"cert-bench-{secrets.token_hex(4)}"
    workers = []
    with tempfile.TemporaryDirectory(prefix="cert-bench-") as instance:
        try:
            config = {
                "INSTANCE_PATH": instance,
                "SQLALCHEMY_DATABASE_URI": url,
                "CELERY": {"broker_url": REDIS, "task_default_queue": queue, "task_always_eager": False},
            }
            app = create_app(config)
            with app.app_context():
                upgrade()
                print(f"building {options.certificates} people in finished trainings…", flush=True)
                build(options.certificates)
            raw, size = raw_render_rate(options.workers, 300, instance)  # 150 varied from 73 to 106 a second
            env = {
                **os.environ,
                "DATABASE_URL": url,
                "CELERY_BROKER_URL": REDIS,
                "LMS_CELERY_QUEUE": queue,
                "LMS_INSTANCE_PATH": instance,
            }
            for n in range(options.workers):
                workers.append(
                    subprocess.Popen(
                        [
                            sys.executable,
                            "-m",
                            "celery",
                            "-A",
                            "celery_worker",
                            "worker",
                            "-c",
                            "1",
                            "-Q",
                            queue,
                            "-n",
                            f"bench{n}@%h",
                            "--loglevel",
                            "WARNING",
                            "--without-gossip",
                            "--without-mingle",
                        ],
                        cwd=ROOT,
                        env=env,
                    )
                )
            time.sleep(4)  # the workers connect
            with app.app_context():
                closer = db.session.scalar(select(User).where(User.email == "trainer@bench.local"))
                cohorts = db.session.scalars(select(Cohort).order_by(Cohort.id)).all()
                started = time.perf_counter()
                for cohort in cohorts:
                    closing.close_cohort(cohort, by=closer)
                db.session.commit()
                publish_ready()
                while True:
                    issued = db.session.scalar(select(func.count(Certificate.id)))
                    pending = db.session.scalar(
                        select(func.count(Job.id)).where(Job.status.in_(("queued", "running")))
                    )
                    db.session.commit()
                    if issued >= options.certificates and not pending:
                        break
                    time.sleep(0.2)
                elapsed = time.perf_counter() - started
            rate = options.certificates / elapsed
            print(f"\n{'':34}{'certificates/s':>16}")
            print(f"{'raw render, ' + str(options.workers) + ' processes':34}{raw:16.1f}")
            print(f"{'issued by ' + str(options.workers) + ' Celery workers':34}{rate:16.1f}")
            print(f"ratio to raw render: {rate / raw:.2f}  (target >= 0.75)")
            print(
                f"{options.certificates} certificates in {elapsed:.1f} s; mean PDF size {size / 1024:.1f} KB"
            )
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait(timeout=20)
            drop_database(url)


if __name__ == "__main__":
    main()
