"""Cascade figures on the national-size database: ms and SQL statements per call.

    .venv/bin/lms seed scale --people 100000          # once, into DATABASE_URL (bench/README.md)
    .venv/bin/python bench/cascade_scale.py [--database URL] [--region UA-71] [--repeat 5]

Times ``lms.cascade.metrics.reach`` and ``activation`` for the whole country and for one region,
and ``GET /api/v1/cascade/summary`` (the same two scopes) through the Flask test client as the
scale admin with an API token (made for the run and deleted afterwards).
"""

import argparse
import os

from scale_common import DEFAULT_URL, captured, database_size, scale_app, timed
from sqlalchemy import delete, select


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", default=os.environ.get("DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--region", default="UA-71", help="Region code for the regional figures.")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    app = scale_app(args.database)
    with app.app_context():
        from lms.accounts.models import ApiToken, User
        from lms.accounts.services import create_token
        from lms.cascade import metrics
        from lms.core.i18n import local_today
        from lms.extensions import db
        from lms.org.models import Region
        from seed.scale import ADMIN_EMAIL

        engine = db.engine
        print(f"Database: {engine.url.render_as_string(hide_password=True)}")
        print("Rows: " + ", ".join(f"{k} {v:,}" for k, v in database_size(engine).items()))
        region_id = db.session.scalar(select(Region.id).where(Region.code == args.region))
        today = local_today()
        admin = db.session.scalar(select(User).where(User.email == ADMIN_EMAIL))
        token, plain = create_token(admin, name="bench/cascade_scale.py")
        db.session.commit()
        token_id = token.id
        client = app.test_client()
        headers = {"Authorization": f"Bearer {plain}"}

        def api(query: str):
            def call():
                answer = client.get(f"/api/v1/cascade/summary{query}", headers=headers)
                assert answer.status_code == 200, answer.get_data(as_text=True)[:300]

            return call

        def in_session(function):
            def call():
                try:
                    return function()
                finally:
                    db.session.rollback()

            return call

        targets = [
            ("reach, whole country", in_session(lambda: metrics.reach(metrics.Scope()))),
            (f"reach, {args.region}", in_session(lambda: metrics.reach(metrics.Scope(region_id=region_id)))),
            ("activation, whole country", in_session(lambda: metrics.activation(metrics.Scope(), today))),
            (
                f"activation, {args.region}",
                in_session(lambda: metrics.activation(metrics.Scope(region_id=region_id), today)),
            ),
            ("GET /api/v1/cascade/summary", api("")),
            (f"GET /api/v1/cascade/summary?region_id ({args.region})", api(f"?region_id={region_id}")),
        ]
        try:
            print(f"\n{'target':<52} {'median ms':>10} {'min ms':>9} {'statements':>11}")
            for name, function in targets:
                with captured(engine) as statements:
                    function()
                median, runs = timed(function, args.repeat)
                print(f"{name:<52} {median:>10.1f} {min(runs):>9.1f} {len(statements):>11}")
        finally:
            db.session.rollback()
            db.session.execute(delete(ApiToken).where(ApiToken.id == token_id))
            db.session.commit()


if __name__ == "__main__":
    main()
