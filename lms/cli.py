"""The ``lms`` command: Flask's commands plus seed data, users, the worker and the outbox."""

import contextlib
import os
import signal
import subprocess  # nosec B404
import sys

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import select
from werkzeug.serving import run_simple

from lms.core.jobs_cli import jobs_group
from lms.extensions import db


def main() -> None:
    from lms import create_app

    cli = FlaskGroup(create_app=create_app, help="Cascade LMS: run, migrate, seed and manage users.")
    cli(prog_name="lms")


def register_cli(app) -> None:
    from flask_migrate.cli import db as db_group

    from lms.core.backup import backup_command

    db_group.add_command(backup_command)  # beside Flask-Migrate's `lms db upgrade`
    app.cli.add_command(seed_group)
    app.cli.add_command(users_group)
    app.cli.add_command(outbox_group)
    app.cli.add_command(jobs_group)
    app.cli.add_command(keys_group)
    app.cli.add_command(worker)
    app.cli.add_command(dev)


@click.group("seed", help="Load data.")
def seed_group():
    pass


@seed_group.command("demo")
@click.option("--if-empty", is_flag=True, help="Only when the database holds no people yet.")
@with_appcontext
def seed_demo(if_empty: bool):
    """Load the demo programme: geography, institutions, people, courses and trainings."""
    from lms.accounts.models import User
    from seed.demo import DEMO_LOGINS, load_demo

    if if_empty and db.session.scalar(select(User.id).limit(1)) is not None:
        click.echo("The database already has data; the demo was not loaded again.")
    else:
        summary = load_demo()
        db.session.commit()
        click.echo("Demo data loaded: " + ", ".join(f"{k} {v}" for k, v in summary.items()))
    demo_emails = [email for _role, email in DEMO_LOGINS["users"]]
    if db.session.scalar(select(User.id).where(User.email.in_(demo_emails)).limit(1)) is not None:
        click.echo(f"Demo sign-ins (password for all: {DEMO_LOGINS['password']}):")
        width = max(len(role) for role, _email in DEMO_LOGINS["users"])
        for role, email in DEMO_LOGINS["users"]:
            click.echo(f"  {role:<{width}}  {email}")


@seed_group.command("scale")
@click.option(
    "--people", type=click.IntRange(min=100), required=True, help="People to load (the nation: 1,000,000)."
)
@click.option(
    "--responses-per-attempt",
    type=click.IntRange(min=1, max=17),
    default=11,
    show_default=True,
    help="Test items answered per attempt; fewer loads faster (11 gives about 40 responses per person).",
)
@click.option(
    "--responses",
    type=click.Choice(["all", "sample", "none"]),
    default=None,
    help="Which test attempts get per-item responses: all, one in 20 (sample) or none. "
    "Default: all up to 100,000 people, a sample above (scores are on every attempt either way).",
)
@click.option("--seed", "random_seed", type=int, default=2026, show_default=True, help="Random seed.")
@click.option(
    "--force", is_flag=True, help="Load even though the database already has people (adds to them)."
)
@with_appcontext
def seed_scale(people: int, responses_per_attempt: int, responses: str | None, random_seed: int, force: bool):
    """Load a national-size programme proportional to PEOPLE, for measuring (bench/README.md)."""
    import time

    from lms.accounts.models import User
    from seed.scale import load_scale

    if not force and db.session.scalar(select(User.id).limit(1)) is not None:
        raise click.ClickException(
            "The database already has people; the scale data is meant for an empty database "
            "(use --force to add it anyway)."
        )
    started = time.perf_counter()
    counts = load_scale(
        people,
        responses_per_attempt=responses_per_attempt,
        responses=responses,
        seed=random_seed,
        progress=click.echo,
    )
    elapsed = time.perf_counter() - started
    if db.engine.dialect.name == "postgresql":
        # Marks the new pages all-visible, so counts can read an index alone at once.
        began = time.perf_counter()
        with db.engine.connect() as connection:
            autocommit = connection.execution_options(isolation_level="AUTOCOMMIT")
            autocommit.exec_driver_sql(
                "VACUUM " + ", ".join(name for name in counts if name != "institutions")
            )
            # The report figures kept at the end of the load: statistics too (the tables were empty).
            autocommit.exec_driver_sql("VACUUM ANALYZE report_cohort_figures, report_people_groups")
        click.echo(f"  VACUUM in {time.perf_counter() - began:.1f} s (not counted in the load rate)")
    width = max(len(name) for name in counts)
    for name, count in counts.items():
        click.echo(f"  {name:<{width}}  {count:>12,}")
    total = sum(counts.values())
    click.echo(f"{total:,} rows in {elapsed:.1f} s: {total / elapsed:,.0f} rows/s")


@click.group("users", help="Manage people from the command line.")
def users_group():
    pass


@users_group.command("create")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option(
    "--role",
    "roles",
    multiple=True,
    default=["participant"],
    show_default=True,
    type=click.Choice(["admin", "coordinator", "trainer", "participant"]),
)
@click.option("--name", "full_name", default=None, help="Full name (defaults to the email's local part).")
@click.option("--region", "region_codes", multiple=True, help="A coordinator's region code, e.g. UA-71.")
@with_appcontext
def users_create(
    email: str, password: str, roles: tuple[str, ...], full_name: str | None, region_codes: tuple[str, ...]
):
    """Create a person with a password and roles."""
    from lms.accounts import services
    from lms.core.errors import DomainError
    from lms.org.models import Region

    codes = {code.strip().upper() for code in region_codes}
    regions = dict(db.session.execute(select(Region.code, Region.id).where(Region.code.in_(codes))).all())
    if codes - set(regions):
        raise click.ClickException(f"Unknown region code: {', '.join(sorted(codes - set(regions)))}")
    try:
        user = services.create_user(
            by=None,
            email=email,
            full_name=full_name or email.split("@")[0],
            roles=roles,
            password=password,
            region_ids=list(regions.values()),
        )
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from None
    db.session.commit()
    click.echo(f"Created {user.email} ({', '.join(sorted(user.roles))}), id {user.id}")


@users_group.command("token")
@click.argument("email")
@click.option("--name", default="command line")
@with_appcontext
def users_token(email: str, name: str):
    """Print a new API token for EMAIL (the token alone on the last line)."""
    from lms.accounts import services

    user = services.find_user_by_email(email)
    if user is None or not user.active:
        raise click.ClickException(f"No active person with email {email}")
    token, plain = services.create_token(user, name=name)
    db.session.commit()
    click.echo(f"Token for {user.email}, expires {token.expires_at:%Y-%m-%d}:", err=True)
    click.echo(plain)


@click.group("outbox", help="The task outbox.")
def outbox_group():
    pass


@outbox_group.command("relay")
@with_appcontext
def outbox_relay():
    """Publish tasks that were committed but not yet sent to the broker."""
    from lms.core.outbox import relay

    click.echo(f"Published {relay()} message(s).")


@click.group("keys", help="The keys: certificates' signing key, the key of secrets at rest.")
def keys_group():
    pass


@keys_group.command("rotate")
def keys_rotate():
    """Make a new signing key current; the old public keys stay published."""
    from lms.certificates.credential import rotate_key

    click.echo(f"New signing key: {rotate_key()}")


@keys_group.command("reencrypt")
def keys_reencrypt():
    """Encrypt the secrets stored at rest (two-factor secrets) again with the first key of
    LMS_ENCRYPTION_KEY; afterwards the old keys can leave the list."""
    from lms.core.encryption import reencrypt_all

    count = reencrypt_all(db.session, db.metadata)
    db.session.commit()
    click.echo(f"Encrypted {count} value(s) again with the first key.")


@click.command("worker")
@click.option("--beat/--no-beat", default=True, help="Also run the periodic outbox relay and job recovery.")
@click.option("--concurrency", default=2, show_default=True)
def worker(beat: bool, concurrency: int):
    """Start a Celery worker for this app."""
    os.execvp(sys.executable, _worker_command(beat, concurrency))  # noqa: S606 - replaces this process  # nosec B606


def _worker_command(beat: bool, concurrency: int) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "celery_worker",
        "worker",
        "--loglevel=INFO",
        f"--concurrency={concurrency}",
    ]
    if beat:
        instance = os.environ.get("LMS_INSTANCE_PATH", "instance")
        command += ["--beat", f"--schedule={os.path.join(instance, 'celerybeat-schedule')}"]
    return command


@click.command("dev")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=click.IntRange(1, 65535))
@with_appcontext
def dev(host: str, port: int):
    """Run the web app and a Celery worker together; Ctrl-C stops both."""
    address = dev_base_url(host, port)
    # Emails are written by the worker, so both processes learn the address from the environment.
    os.environ["LMS_BASE_URL"] = address
    current_app.config["BASE_URL"] = address
    # Its own process group, so stopping it reaches the pool and beat children too.
    worker_process = subprocess.Popen(_worker_command(True, 2), start_new_session=True)  # noqa: S603  # nosec B603
    signal.signal(signal.SIGTERM, _interrupt)
    click.echo(f"Cascade LMS is running at {address}  (Ctrl-C stops the web app and the worker)")
    try:
        run_simple(host, port, current_app._get_current_object(), threaded=True, use_reloader=False)
    except KeyboardInterrupt:
        pass
    finally:
        _stop(worker_process)


def dev_base_url(host: str, port: int, environ=os.environ) -> str:
    """``LMS_BASE_URL`` when set, else the address the development server listens on."""
    if environ.get("LMS_BASE_URL"):
        return environ["LMS_BASE_URL"].rstrip("/")
    if host in ("0.0.0.0", "::", ""):  # noqa: S104  # nosec B104 - naming the wildcard, not binding to it
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _stop(process: subprocess.Popen) -> None:
    click.echo("Stopping the worker…")
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
