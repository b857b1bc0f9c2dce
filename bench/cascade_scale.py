"""Cascade pages and figures on the national-size database, against their targets, in one run.

    .venv/bin/lms seed scale --people 1000000         # once, into DATABASE_URL (bench/README.md)
    .venv/bin/python bench/cascade_scale.py [--database URL] [--region UA-71] [--repeat 3]
        [--trainers 50] [--rounds 3] [--functions]

Through the real app (the Flask test client), as the scale admin:

1. ``GET /api/v1/cascade/summary`` (the whole programme and one region) against its bare SQL:
   one call is made while every statement it runs is captured with its parameters, then the
   call and the replay of exactly those statements on a raw DBAPI connection run ``--repeat``
   times each; target: the endpoint within 2x of its SQL.
2. A trainer's page ``GET /cascade/trainers/<id>`` (which is also the tree's node expanded: her
   figures and the trainers she certified, each with theirs) and ``GET
   /api/v1/cascade/trainers/<id>``, for ``--trainers`` trainers spread over subtree sizes (the
   largest included), ``--rounds`` times each; target: p95 under 200 ms. The statements per
   request are counted too (constant, whatever the subtree), and the largest subtree's request
   is compared with its bare SQL as the summary is.

``--functions`` also times ``lms.cascade.metrics.reach`` and ``activation`` alone. The API token
and the browser session are made for the run and deleted afterwards.
"""

import argparse
import gc
import os
import statistics
import time

from reports_scale import replay
from scale_common import DEFAULT_URL, captured, database_size, scale_app, timed
from sqlalchemy import delete, select

SUMMARY_RATIO = 2.0
PAGE_P95_MS = 200.0


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (p95: the value 95 % of the runs are at or under)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))]


def subtree_sizes(rows: list[tuple[int, int | None]]) -> dict[int, int]:
    """Each trainer's subtree size (herself included) from (user, parent) pairs."""
    children: dict[int | None, list[int]] = {}
    for user_id, parent_id in rows:
        children.setdefault(parent_id, []).append(user_id)
    sizes: dict[int, int] = {}
    order: list[int] = []
    stack = list(children.get(None, []))
    while stack:
        user_id = stack.pop()
        order.append(user_id)
        stack.extend(children.get(user_id, []))
    for user_id in reversed(order):  # children before their parent
        sizes[user_id] = 1 + sum(sizes[child] for child in children.get(user_id, []))
    return sizes


def spread(sizes: dict[int, int], count: int) -> list[int]:
    """``count`` trainers evenly over the sizes' ranks, the largest subtree first."""
    ranked = sorted(sizes, key=lambda user_id: (-sizes[user_id], user_id))
    if len(ranked) <= count:
        return ranked
    step = (len(ranked) - 1) / (count - 1)
    return list(dict.fromkeys(ranked[round(i * step)] for i in range(count)))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", default=os.environ.get("DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--region", default="UA-71", help="Region code for the regional summary.")
    parser.add_argument("--repeat", type=int, default=3, help="Runs of each summary and its SQL.")
    parser.add_argument("--trainers", type=int, default=50, help="Trainers whose pages are timed.")
    parser.add_argument("--rounds", type=int, default=3, help="Times each trainer's page is asked for.")
    parser.add_argument("--functions", action="store_true", help="Also time reach and activation alone.")
    args = parser.parse_args()

    app = scale_app(args.database)
    with app.app_context():
        from lms.accounts.models import ApiToken, User, UserSession
        from lms.accounts.services import create_token
        from lms.cascade import metrics
        from lms.cascade.models import TrainerLineage
        from lms.core.db import utcnow
        from lms.core.i18n import local_today
        from lms.extensions import db
        from lms.org.models import Region
        from seed.scale import ADMIN_EMAIL

        engine = db.engine
        print(f"Database: {engine.url.render_as_string(hide_password=True)}")
        print("Rows: " + ", ".join(f"{k} {v:,}" for k, v in database_size(engine).items()))
        region_id = db.session.scalar(select(Region.id).where(Region.code == args.region))
        admin = db.session.scalar(select(User).where(User.email == ADMIN_EMAIL))
        token, plain = create_token(admin, name="bench/cascade_scale.py")
        import secrets
        from datetime import timedelta

        browser = UserSession(
            id=secrets.token_urlsafe(32), user_id=admin.id, expires_at=utcnow() + timedelta(hours=2)
        )
        db.session.add(browser)
        db.session.flush()
        admin.current_session_id = browser.id
        db.session.commit()
        token_id, session_id = token.id, browser.id
        api = app.test_client()
        headers = {"Authorization": f"Bearer {plain}"}
        page = app.test_client()
        with page.session_transaction() as session:
            session["_user_id"] = admin.get_id()
            session["_fresh"] = True
            session["_seen"] = time.time()

        def get(client, url, **kwargs):
            def call():
                answer = client.get(url, **kwargs)
                assert answer.status_code == 200, (
                    url,
                    answer.status_code,
                    answer.get_data(as_text=True)[:300],
                )

            return call

        def against_bare(call) -> tuple[list, float, float]:
            """The statements one call runs, and the medians of the call and of their replay."""
            with captured(engine) as statements:
                call()
            median, _runs = timed(call, args.repeat)
            bare = statistics.median(sum(replay(engine, statements)) for _ in range(args.repeat))
            return statements, median, bare

        try:
            print(
                f"\n1. The summary against its bare SQL (median of {args.repeat}, ms; target within {SUMMARY_RATIO:g}x)"
            )
            print(f"{'endpoint':<52} {'statements':>10} {'endpoint':>9} {'bare SQL':>9} {'ratio':>6}  target")
            for name, url in (
                ("GET /api/v1/cascade/summary", "/api/v1/cascade/summary"),
                (
                    f"GET /api/v1/cascade/summary?region_id ({args.region})",
                    f"/api/v1/cascade/summary?region_id={region_id}",
                ),
            ):
                statements, median, bare = against_bare(get(api, url, headers=headers))
                ratio = median / bare
                verdict = "met" if ratio <= SUMMARY_RATIO else "MISSED"
                print(
                    f"{name:<52} {len(statements):>10} {median:>9.1f} {bare:>9.1f} {ratio:>6.2f}  {verdict}"
                )

            lineage = db.session.execute(select(TrainerLineage.user_id, TrainerLineage.parent_id)).all()
            every_size = subtree_sizes(lineage)
            chosen = spread(every_size, args.trainers)
            sizes = {user_id: every_size[user_id] for user_id in chosen}
            trainer_count = len(every_size)
            # The 100,000 rows read here are not the app's: freed before timing, so that the
            # garbage collector's full passes cost what they would in a server process.
            del lineage, every_size
            gc.collect()
            db.session.rollback()
            print(
                f"\n2. Trainers' pages: {len(chosen)} trainers of {trainer_count:,}, subtrees of "
                f"{min(sizes[t] for t in chosen)} to {sizes[chosen[0]]:,} trainers (the largest: {chosen[0]}), "
                f"{args.rounds} rounds; ms (target p95 under {PAGE_P95_MS:g})"
            )
            print(
                f"{'route':<40} {'requests':>8} {'statements':>10} {'p50':>7} {'p95':>7} {'max':>7}  target"
            )
            for name, client, pattern, kwargs in (
                ("GET /cascade/trainers/<id>", page, "/cascade/trainers/{}", {}),
                (
                    "GET /api/v1/cascade/trainers/<id>",
                    api,
                    "/api/v1/cascade/trainers/{}",
                    {"headers": headers},
                ),
            ):
                get(client, pattern.format(chosen[0]), **kwargs)()  # warm-up
                counts = set()
                for trainer_id in (chosen[0], chosen[-1]):
                    with captured(engine) as statements:
                        get(client, pattern.format(trainer_id), **kwargs)()
                    counts.add(len(statements))
                runs = []
                worst: tuple[float, int, int] = (0.0, 0, 0)
                for round_ in range(args.rounds):
                    for trainer_id in chosen:
                        started = time.perf_counter()
                        get(client, pattern.format(trainer_id), **kwargs)()
                        elapsed = (time.perf_counter() - started) * 1000
                        runs.append(elapsed)
                        worst = max(worst, (elapsed, trainer_id, round_ + 1))
                p95 = percentile(runs, 0.95)
                verdict = "met" if p95 < PAGE_P95_MS else "MISSED"
                statements_text = "/".join(str(n) for n in sorted(counts))
                print(
                    f"{name:<40} {len(runs):>8} {statements_text:>10} {percentile(runs, 0.5):>7.1f} {p95:>7.1f} "
                    f"{worst[0]:>7.1f}  {verdict} (slowest: trainer {worst[1]}, subtree {sizes[worst[1]]:,}, round {worst[2]})"
                )
                _statements, median, bare = against_bare(get(client, pattern.format(chosen[0]), **kwargs))
                print(
                    f"{'':<4}the largest subtree: {median:.1f} ms, its bare SQL {bare:.1f} ms "
                    f"({median / bare:.2f}x, median of {args.repeat})"
                )

            if args.functions:
                today = local_today()

                def in_session(function):
                    def call():
                        try:
                            return function()
                        finally:
                            db.session.rollback()

                    return call

                print(f"\n3. The figures alone (median of {args.repeat}, ms)")
                for name, function in (
                    ("reach, whole country", lambda: metrics.reach(metrics.Scope())),
                    (f"reach, {args.region}", lambda: metrics.reach(metrics.Scope(region_id=region_id))),
                    ("activation, whole country", lambda: metrics.activation(metrics.Scope(), today)),
                    (
                        f"activation, {args.region}",
                        lambda: metrics.activation(metrics.Scope(region_id=region_id), today),
                    ),
                ):
                    with captured(engine) as statements:
                        in_session(function)()
                    median, runs = timed(in_session(function), args.repeat)
                    print(f"{name:<52} {median:>10.1f} {min(runs):>9.1f} {len(statements):>11}")
        finally:
            db.session.rollback()
            db.session.execute(delete(ApiToken).where(ApiToken.id == token_id))
            db.session.execute(delete(UserSession).where(UserSession.id == session_id))
            db.session.commit()


if __name__ == "__main__":
    main()
