"""A national webinar: 1,000 participants answer a 20-question post-test, every answer saved as
given, then submitted; against gunicorn on PostgreSQL, with wrk, next to a bare endpoint doing
one primary-key SELECT measured in the same run.

    .venv/bin/python bench/assessment_answers.py [--participants 1000] [--workers 4] [--connections 50]

It makes its own database (dropped afterwards), opens every participant's personal link (the
limited session and its CSRF token), then runs wrk three times: the answers (20 per person, each
request naming one person's next question), the submits (one per person), and the bare
endpoint. wrk runs for a fixed time, so each run cycles through its requests (saving an answer
again is an upsert, submitting again answers "already submitted"); the answer run lasts long
enough to send every answer at least once. Afterwards it checks that no answer was lost and no
attempt duplicated.
"""

import argparse
import http.cookiejar
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
QUESTIONS = 20

LUA = r"""
local lines = {}
local counter = 1
local total = 0
function setup(thread)
  thread:set("id", #threads_list + 1)
  table.insert(threads_list, thread)
end
threads_list = {}
function init(args)
  local n = tonumber(args[2])
  for line in io.lines(args[1]) do
    total = total + 1
    if (total - 1) % n == id - 1 then table.insert(lines, line) end
  end
end
function request()
  -- Saving an answer again, or submitting again, is harmless (an upsert; "already submitted"),
  -- so after the last line each connection starts over until the run's time is up.
  local line = lines[(counter - 1) % #lines + 1]
  counter = counter + 1
  local path, cookie, token, body = line:match("([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)")
  return wrk.format("POST", path, {["Cookie"] = cookie, ["X-CSRFToken"] = token,
    ["Content-Type"] = "application/json"}, body)
end
function done(summary, latency, requests)
  io.write(string.format("RESULT requests=%d seconds=%.3f rps=%.1f p50=%.2f p99=%.2f max=%.2f errors=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""

BARE_LUA = r"""
function done(summary, latency, requests)
  io.write(string.format("RESULT requests=%d seconds=%.3f rps=%.1f p50=%.2f p99=%.2f max=%.2f errors=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_database(base: str) -> str:
    name = f"lms_bench_assess_{os.getpid()}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return sa.engine.make_url(base).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    parsed = sa.engine.make_url(url)
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    admin.dispose()


def prepare(url: str, instance: str, participants: int) -> tuple[list[str], int, int]:
    """The course, a running cohort with ``participants`` enrolled, an open post-test; returns
    the personal tokens, the course id and the test id."""
    os.environ.update(
        DATABASE_URL=url, LMS_INSTANCE_PATH=instance, SECRET_KEY="bench-" + secrets.token_hex(8)
    )
    from flask_migrate import upgrade

    from lms import create_app
    from lms.accounts.models import User
    from lms.assessments import access, bank, delivery
    from lms.cohorts.models import Cohort, Enrollment
    from lms.courses.models import Course, CourseModule
    from lms.extensions import db
    from lms.org.models import District, Region

    app = create_app()
    with app.app_context():
        upgrade()
        admin = User(email="admin@bench.test", full_name="Адміністраторка")
        admin.set_password("x" * 12)
        db.session.add(admin)
        db.session.flush()
        admin.set_roles(["admin"])
        region = Region(code="UA-71", name="Черкаська область", name_en="Cherkasy", kind="oblast")
        district = District(region=region, name="Черкаський район", name_en="Cherkasy Raion")
        course = Course(code="PTL-STATUS", title="Порядок встановлення статусу", days=1)
        course.modules = [CourseModule(position=1, title="Модуль", hours=6.5)]
        db.session.add_all([region, district, course])
        db.session.flush()
        for n in range(QUESTIONS):
            bank.create_question(
                course,
                {
                    "kind": "multiple" if n % 4 == 0 else "single",
                    "text": f"Питання {n + 1} про порядок встановлення статусу",
                    "form": "both",
                    "choices": [
                        {"text": f"Варіант {i + 1}", "correct": i == 0 or (n % 4 == 0 and i == 2)}
                        for i in range(4)
                    ],
                },
                by=admin,
            )
        cohort = Cohort(
            course_id=course.id,
            lead_trainer_id=admin.id,
            district_id=district.id,
            venue="Вебінар",
            start_date=date.today(),
            end_date=date.today() + timedelta(days=1),
            capacity=participants,
            status="in_progress",
        )
        db.session.add(cohort)
        db.session.flush()
        people = [
            {"email": f"p{n}@bench.test", "full_name": f"Учасниця {n}", "full_name_latin": f"Uchasnytsia {n}",
             "password_hash": "", "active": True, "locale": "uk"}
            for n in range(participants)
        ]  # fmt: skip
        ids = db.session.execute(sa.insert(User).returning(User.id), people).scalars().all()
        db.session.execute(
            sa.insert(Enrollment),
            [{"cohort_id": cohort.id, "user_id": uid, "status": "enrolled"} for uid in ids],
        )
        enrollments = db.session.scalars(sa.select(Enrollment).where(Enrollment.cohort_id == cohort.id)).all()
        passes, _made = access.passes_for(enrollments)
        test = delivery.open_test(cohort, "post", by=admin)
        db.session.commit()
        return [p.token for p in passes.values()], course.id, test.id


def open_session(base: str, token: str) -> tuple[str, str, list[tuple[int, list[int]]]]:
    """Open her personal link and her test: her cookie, CSRF token and (question, choices)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(f"{base}/t/p/{token}").read()
    csrf, items = parse_test_page(opener.open(f"{base}/t/post").read().decode())
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    return cookie, csrf, items


def parse_test_page(html: str) -> tuple[str, list[tuple[int, list[int]]]]:
    """The test page's CSRF token and its items as (question, choices), in the page's order."""
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    items = []
    for block in html.split('class="card mb-3 test-item"')[1:]:
        question = int(re.search(r'data-question="(\d+)"', block).group(1))
        choices = [int(c) for c in re.findall(r'value="(\d+)"', block)]
        items.append((question, choices))
    return csrf, items


def wrk(url: str, script: str, args: list[str], *, connections: int, duration: int) -> dict:
    command = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "10s",
        "-s",
        script,
        url,
        "--",
    ] + args
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("RESULT"))
    return {k: float(v) for k, v in (part.split("=") for part in line.split()[1:])}


def server_times(log: str, participants: int) -> None:
    """Time in the worker (gunicorn's %(D)s, without the wait for a free worker) by endpoint;
    the submits split into the first ``participants`` logged (first submits: each wrk thread
    sends its people in order before starting over) and the rest (replays)."""
    times: dict[str, list[float]] = {}
    for line in Path(log).read_text().splitlines():
        path, _status, micros = line.split()
        kind = {"answer": "save", "submit": "submit"}.get(path.rsplit("/", 1)[-1], "bare")
        if not path.startswith(("/t/post/", "/bench/bare/")):
            continue  # opening the personal links
        if kind == "submit" and len(times.get("first submit", [])) < participants:
            kind = "first submit"
        elif kind == "submit":
            kind = "replayed submit"
        times.setdefault(kind, []).append(int(micros) / 1000)
    for kind, values in times.items():
        values.sort()
        print(
            f"in the worker, {kind}: {len(values)} requests, p50 {values[len(values) // 2]:.1f} ms, "
            f"p99 {values[int(len(values) * 0.99)]:.1f} ms, max {values[-1]:.1f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--participants", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60, help="length of the answer and bare runs")
    parser.add_argument("--submit-seconds", type=int, default=10, help="length of the submit run")
    parser.add_argument("--postgres", default=POSTGRES)
    parser.add_argument(
        "--access-log",
        help="a diagnosis, not for the figures: gunicorn logs each request's time in the worker to this "
        "file, and the script splits the submits into first submits and replays",
    )
    options = parser.parse_args()

    url = make_database(options.postgres)
    instance = tempfile.mkdtemp(prefix="lms-bench-assess-")
    server = None
    try:
        tokens, course_id, test_id = prepare(url, instance, options.participants)
        port = free_port()
        env = dict(os.environ, DATABASE_URL=url, LMS_INSTANCE_PATH=instance)
        logging = (
            ["--access-logfile", options.access_log, "--access-logformat", "%(U)s %(s)s %(D)s"]
            if options.access_log
            else []
        )
        server = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "-w", str(options.workers), "-b", f"127.0.0.1:{port}",
             "--chdir", str(ROOT), *logging, "bench.assessment_wsgi:app"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/bench/bare/{course_id}").read()
                break
            except OSError:
                time.sleep(0.2)
        started = time.perf_counter()
        # Setup, not measured: eight at a time (one by one took 85-150 s of the run).
        with ThreadPoolExecutor(8) as pool:
            sessions = list(pool.map(lambda token: open_session(base, token), tokens))
        print(f"opened {len(sessions)} personal links in {time.perf_counter() - started:.1f} s")

        answers = Path(instance) / "answers.tsv"
        submits = Path(instance) / "submits.tsv"
        with open(answers, "w") as out:
            # Round-robin: everyone answers question 1, then question 2, … as in the room.
            for index in range(QUESTIONS):
                for cookie, csrf, items in sessions:
                    question, choices = items[index]
                    out.write(
                        f'/t/post/answer\t{cookie}\t{csrf}\t{{"question_id": {question}, "choice_ids": [{choices[index % len(choices)]}]}}\n'
                    )
        with open(submits, "w") as out:
            for cookie, csrf, _items in sessions:
                out.write(f"/t/post/submit\t{cookie}\t{csrf}\t{{}}\n")
        script = Path(instance) / "replay.lua"
        script.write_text(LUA)
        bare_script = Path(instance) / "bare.lua"
        bare_script.write_text(BARE_LUA)

        save = wrk(
            base, str(script), [str(answers), "2"], connections=options.connections, duration=options.seconds
        )
        if save["requests"] < options.participants * QUESTIONS:
            print("warning: the answer run ended before every answer was sent once; give it more --seconds")
        submit = wrk(
            base,
            str(script),
            [str(submits), "2"],
            connections=options.connections,
            duration=options.submit_seconds,
        )
        bare = wrk(
            f"{base}/bench/bare/{course_id}", str(bare_script), [], connections=options.connections,
            duration=options.seconds,
        )  # fmt: skip
        print(f"{'endpoint':<10} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
        for name, r in (("save", save), ("submit", submit), ("bare", bare)):
            print(
                f"{name:<10} {r['requests']:>9.0f} {r['rps']:>8.1f} {r['p50']:>8.2f} {r['p99']:>8.2f} {r['errors']:>7.0f}"
            )
        print(
            f"save / bare = {save['rps'] / bare['rps']:.2f}x, submit / bare = {submit['rps'] / bare['rps']:.2f}x"
        )

        engine = sa.create_engine(url)
        with engine.connect() as connection:
            attempts = connection.execute(
                sa.text(
                    "SELECT count(*), count(submitted_at), count(DISTINCT enrollment_id) FROM attempts WHERE test_id = :t"
                ),
                {"t": test_id},
            ).one()
            responses = connection.execute(sa.text("SELECT count(*) FROM responses")).scalar()
        engine.dispose()
        expected = options.participants * QUESTIONS
        # Each wrk thread sends its share of the answers in order, so the answers sent at least
        # once are min(requests, all answers); up to one request per connection may have been
        # cut off in flight when the run's time was up.
        sent = min(int(save["requests"]), expected)
        print(f"attempts {attempts[0]} (submitted {attempts[1]}, distinct people {attempts[2]}); "
              f"answers stored {responses}, sent at least once {sent} of {expected}")  # fmt: skip
        # Likewise for the submits: everyone whose submit was sent is submitted, nobody twice.
        submits_sent = min(int(submit["requests"]), options.participants)
        if submits_sent < options.participants:
            print(
                f"warning: the submit run sent {submits_sent} of {options.participants} submits; give it more --submit-seconds"
            )
        ok = (
            attempts[0] == attempts[2] == options.participants
            and submits_sent <= attempts[1] <= min(submits_sent + options.connections, options.participants)
            and sent <= responses <= sent + options.connections
        )
        print("check: no answer lost, no attempt duplicated" if ok else "check FAILED")
        if options.access_log:
            server_times(options.access_log, options.participants)
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        drop_database(url)


if __name__ == "__main__":
    main()
