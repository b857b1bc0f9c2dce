"""What the fault tests share: a private Redis they can stop and start, real workers in their own
process groups, a migrated PostgreSQL database and a roster job to run."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

from sqlalchemy import func, select

from lms.cohorts.models import Enrollment
from lms.cohorts.roster import uploads
from lms.core.jobs import start_job
from lms.core.models import Job
from lms.extensions import db
from tests import factories

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, timeout=60.0, step=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return False


class RedisServer:
    """A redis-server of the test's own on a free port, without persistence."""

    def __init__(self, folder: Path):
        self.port = free_port()
        self.folder = folder
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        assert wait_for(self._answers, timeout=10), "redis-server did not start"

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return True
        except OSError:
            return False


class Worker:
    """``celery worker`` (prefork, one child) in a process group of its own, like a service."""

    def __init__(self, env: dict, folder: Path, name: str, *, beat: bool):
        self.log = folder / f"worker-{name}.log"
        command = [
            sys.executable, "-m", "celery", "-A", "tests.fault_worker", "worker",
            "--pool=prefork", "--concurrency=1", "--loglevel=INFO", "-n", f"{name}@%h",
            "--without-heartbeat", "--without-mingle", "--without-gossip", "-Q", env["LMS_CELERY_QUEUE"],
        ]  # fmt: skip
        if beat:
            command += ["-B", "-s", str(folder / f"beat-{name}")]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def kill_group(self) -> None:
        """SIGKILL to the whole group, as an out-of-memory kill or a power cut does."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill_group()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def worker_env(database_url: str, broker_url: str, instance: Path, queue: str, lease: int) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker_url,
        "LMS_INSTANCE_PATH": str(instance),
        "LMS_CELERY_QUEUE": queue,
        "SECRET_KEY": "test-secret",
        "LMS_JOB_LEASE_SECONDS": str(lease),
        "LMS_JOB_SWEEP_SECONDS": os.environ.get("LMS_FAULT_SWEEP_SECONDS", "1"),
        "LMS_OUTBOX_RELAY_SECONDS": "1",
        "LMS_JOB_MAX_ATTEMPTS": "5",
    }


def new_queue() -> str:
    return f"lms-fault-{uuid.uuid4().hex[:8]}"


def make_cohort(capacity: int):
    region = factories.RegionFactory(name="Черкаська область", name_en="Cherkasy Oblast")
    uman = factories.DistrictFactory(region=region, name="Уманський район", name_en="Uman Raion")
    return factories.CohortFactory(district=uman, capacity=capacity, with_sessions=True)


def roster_csv(rows: int, prefix: str = "fault") -> bytes:
    lines = ["ПІБ;Email;Телефон"] + [
        f"Учасниця Номер {n};{prefix}{n}@example.org;+380 67 {n // 10000:03d} {n % 10000:04d}"
        for n in range(rows)
    ]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def start_roster_job(cohort, rows: int, task: str = "tests.slow_roster_import") -> Job:
    """An import job of ``rows`` new people, as the preview page starts it."""
    token = uuid.uuid4().hex
    path, note = uploads._paths(token)
    path.write_bytes(roster_csv(rows))
    note.write_text(json.dumps({"cohort_id": cohort.id, "user_id": cohort.lead_trainer_id}), encoding="utf-8")
    return start_job(
        uploads.JOB_KIND, task, by=cohort.lead_trainer, total=rows, cohort_id=cohort.id, token=token,
        filename="fault.csv", skip_invalid=True, send_invitations=False,
    )  # fmt: skip


def job_row(job_id: int):
    row = db.session.execute(
        select(Job.status, Job.progress, Job.attempts, Job.lease_owner, Job.result, Job.error).where(
            Job.id == job_id
        )
    ).one()
    db.session.commit()
    return row


def enrolled_count(cohort_id: int) -> int:
    count = db.session.scalar(
        select(func.count()).select_from(Enrollment).where(Enrollment.cohort_id == cohort_id)
    )
    db.session.commit()
    return count
