"""Pages benchmark: the busiest pages and endpoints against a bare ceiling, on PostgreSQL.

    .venv/bin/python bench/pages.py                # or: make bench-pages
    .venv/bin/python bench/pages.py --duration 5 --postgres postgresql+psycopg://…/postgres

Makes its own PostgreSQL database (a random name, dropped afterwards), loads the demo
(``lms db upgrade``, ``lms seed demo``), starts ``gunicorn -w 2 bench.bare:app`` on a free port
(the product plus a bare one-SELECT endpoint in the same workers), signs the demo trainer in,
and runs ``wrk -t1 -c8`` against each target, after a short warm-up. Prints req/s, p99 and the
ratio to the bare endpoint. See bench/README.md.
"""

import argparse
import http.cookiejar
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
TRAINER = "o.melnyk@cascade.demo"
PASSWORD = "cascade-demo"  # noqa: S105 - the documented demo password
# (label, path, how it signs in, minimum ratio to bare)
TARGETS = [
    ("GET /api/v1/cohorts (trainer token)", "/api/v1/cohorts", "token", 0.5),
    ("GET /api/v1/cohorts/{{id}}", "/api/v1/cohorts/{id}", "token", 0.5),
    ("GET /cohorts/ page", "/cohorts/", "cookie", 0.25),
    ("GET /cohorts/{{id}} page ({n} participants)", "/cohorts/{id}", "cookie", 0.25),
    ("GET / home", "/", "cookie", 0.25),
]
P99_TARGET_MS = 50.0
# A browser sends the same User-Agent with every request, and the sign-in session is tied to it
# (Flask-Login's session protection): wrk sends the one the trainer signed in with.
USER_AGENT = "Mozilla/5.0 (cascade-lms bench/pages.py)"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(args: list, env: dict) -> str:
    done = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{' '.join(map(str, args))} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def create_database(server: str) -> str:
    name = f"lms_bench_pages_{secrets.token_hex(6)}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return sa.engine.make_url(server).set(database=name).render_as_string(hide_password=False)


def drop_database(server: str, url: str) -> None:
    """Drop this run's database, and only it."""
    name = sa.engine.make_url(url).database
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def pick_cohort(url: str) -> tuple[int, int, int]:
    """The trainer's cohort nearest to 20 participants: (id, participants, the trainer's id)."""
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT c.id, count(e.id) AS n FROM cohorts c JOIN users u ON u.id = c.lead_trainer_id "
                "LEFT JOIN enrollments e ON e.cohort_id = c.id AND e.status = 'enrolled' "
                "WHERE u.email = :email GROUP BY c.id"
            ),
            {"email": TRAINER},
        ).all()
        user_id = connection.execute(
            sa.text("SELECT id FROM users WHERE email = :e"), {"e": TRAINER}
        ).scalar()
    engine.dispose()
    cohort_id, participants = min(rows, key=lambda row: (abs(row.n - 20), row.id))
    return cohort_id, participants, user_id


def wait_until_up(base: str, process: subprocess.Popen) -> None:
    for _ in range(300):
        if process.poll() is not None:
            sys.exit("gunicorn exited while starting")
        try:
            urllib.request.urlopen(base + "/health", timeout=1)  # noqa: S310 - our own local server
            return
        except OSError:
            time.sleep(0.1)
    sys.exit("gunicorn did not answer /health")


def session_cookie(base: str) -> str:
    """Sign the trainer in through the real form; returns the Cookie header value."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", USER_AGENT)]
    page = opener.open(base + "/login").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"csrf_token": token, "email": TRAINER, "password": PASSWORD}).encode()
    opener.open(base + "/login", data=form)
    cookies = "; ".join(f"{c.name}={c.value}" for c in jar)
    if "session=" not in cookies:
        sys.exit("signing in failed")
    return cookies


def check(url: str, header: str) -> str:
    """The answer is a 200 at that address; returns where it came from (X-Page-Cache)."""
    name, _, value = header.partition(": ")
    headers = {"User-Agent": USER_AGENT, **({name: value} if header else {})}
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request) as response:  # noqa: S310 - our own local server
        if response.status != 200 or response.url != url:
            sys.exit(f"{url} answered {response.status} at {response.url}")
        return response.headers.get("X-Page-Cache") or "-"


def wrk(url: str, header: str, duration: int, connections: int) -> tuple[float, float]:
    args = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{duration}s",
        "--latency",
        "-H",
        f"User-Agent: {USER_AGENT}",
        url,
    ]
    if header:
        args[1:1] = ["-H", header]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        sys.exit(f"errors while measuring {url}:\n{out}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"\s99%\s+([\d.]+)(us|ms|s)\b", out).groups()
    p99 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    return rate, p99


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--postgres", default=os.environ.get("LMS_BENCH_POSTGRES_URL", DEFAULT_POSTGRES))
    parser.add_argument("--duration", type=int, default=10, help="seconds of wrk per target")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of wrk before each target")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--redis",
        default=os.environ.get("LMS_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"),
        help="the production setting: Redis keeps the page cache's table versions ('off': no cache)",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed")

    instance = Path(tempfile.mkdtemp(prefix="lms-bench-pages-"))
    url = create_database(args.postgres)
    server = None
    try:
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "LMS_INSTANCE_PATH": str(instance),
            "SECRET_KEY": secrets.token_hex(16),
            "LMS_ENV": "development",
            "LMS_CACHE_URL": args.redis,
        }
        print("loading the demo …", file=sys.stderr)
        run([BIN / "lms", "db", "upgrade"], env)
        run([BIN / "lms", "seed", "demo"], env)
        token = run([BIN / "lms", "users", "token", TRAINER], env).strip().splitlines()[-1]
        cohort_id, participants, user_id = pick_cohort(url)

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [BIN / "gunicorn", "-w", str(args.workers), "-b", f"127.0.0.1:{port}", "bench.bare:app"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until_up(base, server)
        cookie = f"Cookie: {session_cookie(base)}"
        auth = f"Authorization: Bearer {token}"

        plan = [("bare: one primary-key SELECT", f"/_bare/{user_id}", "", None)]
        for label, path, how, minimum in TARGETS:
            header = auth if how == "token" else cookie
            plan.append((label.format(n=participants), path.format(id=cohort_id), header, minimum))
        results = []
        for label, path, header, minimum in plan:
            check(base + path, header)
            if args.warmup:
                wrk(base + path, header, args.warmup, args.connections)
            kept = check(base + path, header)  # after the warm-up: "hit" when the page cache answers
            rate, p99 = wrk(base + path, header, args.duration, args.connections)
            results.append((label, rate, p99, minimum, kept))
            print(f"  {label}: {rate:.0f} req/s, p99 {p99:.1f} ms", file=sys.stderr)
        report(results, args)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        drop_database(args.postgres, url)
        shutil.rmtree(instance, ignore_errors=True)


def report(results: list, args) -> None:
    bare_rate = results[0][1]
    print(
        f"\ngunicorn -w {args.workers}, wrk -t1 -c{args.connections} -d{args.duration}s, PostgreSQL, demo data, "
        f"page cache {'off' if args.redis == 'off' else 'on (' + args.redis + ')'}\n"
    )
    print("| endpoint | req/s | p99 | ratio to bare | page cache | target |")
    print("|---|---:|---:|---:|---|---|")
    for label, rate, p99, minimum, kept in results:
        ratio = rate / bare_rate
        if minimum is None:
            verdict = "ceiling"
        else:
            met = ratio >= minimum and p99 < P99_TARGET_MS
            verdict = f"{'met' if met else 'MISSED'} (>= {minimum}x, p99 < {P99_TARGET_MS:.0f} ms)"
        print(f"| {label} | {rate:.0f} | {p99:.1f} ms | {ratio:.2f} | {kept} | {verdict} |")


if __name__ == "__main__":
    main()
