"""Where a save and a submit spend their time, in process: the answers benchmark's data on
PostgreSQL, requests through Flask's test client (no HTTP, no other load), and per request the
CPU of this process, the CPU of its PostgreSQL backend, and the time of each statement.

    .venv/bin/python bench/answers_profile.py [--participants 300] [--profile submit]

It saves every participant's 20 answers, submits each attempt once (the real submits), then
again (the "already submitted" replays wrk's submit run cycles through), and reads the bare
endpoint as many times. ``--profile save|submit|replay`` prints cProfile's top functions for
that kind of request. The database is dropped afterwards.
"""

import argparse
import cProfile
import os
import pstats
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.assessment_answers import (  # noqa: E402
    POSTGRES,
    QUESTIONS,
    drop_database,
    make_database,
    parse_test_page,
    prepare,
)

TICKS = os.sysconf("SC_CLK_TCK")


def backend_cpu(pid: int) -> float:
    """User and system CPU seconds of one PostgreSQL backend (same machine)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


class Statements:
    """Time of every statement, by its first words, while ``on``."""

    def __init__(self, engine):
        self.on = False
        self.times: dict[str, list[float]] = defaultdict(list)
        sa.event.listen(engine, "before_cursor_execute", self._before)
        sa.event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        conn.info["started"] = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        if self.on:
            self.times[" ".join(statement.split()[:3])].append(time.perf_counter() - conn.info["started"])


def open_session(client, token: str):
    client.get(f"/t/p/{token}")
    return parse_test_page(client.get("/t/post", follow_redirects=True).get_data(as_text=True))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--participants", type=int, default=300)
    parser.add_argument("--postgres", default=POSTGRES)
    parser.add_argument("--profile", choices=("save", "submit", "replay", "bare"))
    parser.add_argument("--sort", default="cumulative", help="cProfile's order: cumulative, tottime")
    options = parser.parse_args()

    url = make_database(options.postgres)
    instance = tempfile.mkdtemp(prefix="lms-answers-profile-")
    try:
        _tokens, course_id, _test_id = prepare(url, instance, options.participants)
        tokens = _tokens
        from bench.assessment_wsgi import app
        from lms.extensions import db

        with app.app_context():
            engine = db.engine
        statements = Statements(engine)
        people = []
        for token in tokens:
            client = app.test_client()
            csrf, items = open_session(client, token)
            people.append((client, csrf, items))
        with engine.connect() as connection:
            pids = [
                row[0]
                for row in connection.execute(
                    sa.text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
                )
            ]
        # The test client runs one request at a time: one pooled connection serves them all,
        # but read every backend of this database to be sure.

        def backends() -> float:
            return sum(backend_cpu(pid) for pid in pids if Path(f"/proc/{pid}").exists())

        def run(kind: str, requests: list) -> None:
            profiler = cProfile.Profile() if options.profile == kind else None
            statements.times.clear()
            statements.on = True
            cpu, pg, wall = time.process_time(), backends(), time.perf_counter()
            if profiler:
                profiler.enable()
            for send in requests:
                response = send()
                assert response.status_code == 200, (kind, response.status_code, response.get_data())
            if profiler:
                profiler.disable()
            wall, cpu, pg = time.perf_counter() - wall, time.process_time() - cpu, backends() - pg
            statements.on = False
            n = len(requests)
            print(
                f"{kind:<7} {n:>6} requests: wall {1000 * wall / n:6.2f} ms, this process's CPU "
                f"{1000 * cpu / n:5.2f} ms, PostgreSQL backend CPU {1000 * pg / n:5.2f} ms per request"
            )
            for statement, times in sorted(statements.times.items(), key=lambda kv: -sum(kv[1])):
                print(f"    {len(times) / n:4.1f} x {1000 * sum(times) / len(times):6.3f} ms  {statement}")
            if profiler:
                pstats.Stats(profiler).sort_stats(options.sort).print_stats(35)

        def save(client, csrf, question, choice):
            return lambda: client.post(
                "/t/post/answer",
                json={"question_id": question, "choice_ids": [choice]},
                headers={"X-CSRFToken": csrf},
            )

        def submit(client, csrf):
            return lambda: client.post("/t/post/submit", json={}, headers={"X-CSRFToken": csrf})

        run(
            "save",
            [
                save(client, csrf, items[index][0], items[index][1][index % len(items[index][1])])
                for index in range(QUESTIONS)
                for client, csrf, items in people
            ],
        )
        run("submit", [submit(client, csrf) for client, csrf, _items in people])
        run("replay", [submit(client, csrf) for client, csrf, _items in people])
        bare = app.test_client()
        run("bare", [lambda: bare.get(f"/bench/bare/{course_id}") for _ in people])
        time.sleep(1)  # the backends' table statistics reach pg_stat_user_tables within a second
        with engine.connect() as connection:
            print(
                "submitted",
                connection.execute(sa.text("SELECT count(submitted_at) FROM attempts")).scalar(),
                "responses",
                connection.execute(sa.text("SELECT count(*) FROM responses")).scalar(),
            )
            # Updates that stayed on their page without new index entries (HOT) against all.
            for row in connection.execute(
                sa.text(
                    "SELECT relname, n_tup_ins, n_tup_upd, n_tup_hot_upd, pg_relation_size(relid) AS heap,"
                    " pg_indexes_size(relid) AS indexes FROM pg_stat_user_tables"
                    " WHERE relname IN ('responses', 'attempts') ORDER BY relname"
                )
            ):
                print("   ", dict(row._mapping))
        engine.dispose()
    finally:
        drop_database(url)


if __name__ == "__main__":
    main()
