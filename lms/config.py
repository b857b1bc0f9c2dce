"""Settings read from the environment, with defaults that need no server."""

import os
from datetime import timedelta
from pathlib import Path

from celery.schedules import crontab

MIN_ENCRYPTION_KEY = 32  # characters of each key in LMS_ENCRYPTION_KEY (lms.core.encryption)
DEV_SECRET = "dev-only-secret-change-me"  # noqa: S105 - refused in production below  # nosec B105


def _bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit():
        raise RuntimeError(f"{name} must be a whole number, not {value!r}.")
    return int(value)


def load_config(instance_path: str, overrides: dict | None = None) -> dict:
    """Build the Flask config dict from environment variables and ``overrides``."""
    instance = Path(instance_path)
    env = os.environ.get("LMS_ENV", "development")
    broker_dir = instance / "celery"
    config = {
        "ENV_NAME": env,
        "SECRET_KEY": os.environ.get("SECRET_KEY", DEV_SECRET),
        # Encrypts secrets at rest (two-factor secrets; lms.core.encryption). Production sets
        # LMS_ENCRYPTION_KEY to a random string of 32 or more characters, kept apart from the
        # database and its backups (`python -c "import secrets; print(secrets.token_urlsafe(32))"`).
        # Rotation: "new,old" (comma-separated; the first encrypts, every one decrypts), then
        # `lms keys reencrypt`, then drop "old". Unset, the key derives from SECRET_KEY (HKDF):
        # development needs nothing, but then changing SECRET_KEY needs the old one listed here.
        "ENCRYPTION_KEY": os.environ.get("LMS_ENCRYPTION_KEY", ""),
        "SQLALCHEMY_DATABASE_URI": os.environ.get("DATABASE_URL", f"sqlite:///{instance / 'lms.sqlite3'}"),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "BASE_URL": os.environ.get("LMS_BASE_URL", "http://127.0.0.1:5000"),
        "BABEL_DEFAULT_LOCALE": "uk",
        "BABEL_DEFAULT_TIMEZONE": os.environ.get("LMS_TIMEZONE", "Europe/Kyiv"),
        "LANGUAGES": {"uk": "Українська", "en": "English"},
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env == "production",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": env == "production",
        "TRUSTED_PROXIES": _int("LMS_TRUSTED_PROXIES", 0),
        "JSON_LOGS": _bool("LMS_JSON_LOGS", env == "production"),
        "HEALTH_CHECK_BROKER": True,
        "RETENTION_INACTIVE_DAYS": _int("LMS_RETENTION_INACTIVE_DAYS", 0),
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": 20 * 1024 * 1024,
        "BOOTSTRAP_SERVE_LOCAL": True,
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", ""),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "587")),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS", True),
        "MAIL_DEFAULT_SENDER": os.environ.get(
            "MAIL_DEFAULT_SENDER", "Cascade LMS <no-reply@cascade-lms.local>"
        ),
        "MAIL_OUTBOX_DIR": str(instance / "mail"),
        "UPLOAD_DIR": str(instance / "uploads"),
        # Spreadsheet upload limits (lms.core.upload_limits.UploadLimits): for every kind, and
        # per kind; e.g. {"max_rows": 20000}. Unset keys keep the defaults.
        "UPLOAD_LIMITS": {},
        "UPLOAD_LIMITS_ROSTER": {},
        # A cohort's paper answers: a row per participant, a column per item (up to 200).
        "UPLOAD_LIMITS_PAPER": {"max_bytes": 2 * 1024 * 1024, "max_rows": 2000, "max_columns": 210},
        # A course's question bank: a row per question, the twelve columns of the export.
        "UPLOAD_LIMITS_BANK": {"max_bytes": 2 * 1024 * 1024, "max_rows": 2000, "max_columns": 30},
        "LOGIN_THROTTLE_MAX_FAILURES": int(os.environ.get("LMS_LOGIN_MAX_FAILURES", "5")),
        "LOGIN_THROTTLE_WINDOW_SECONDS": int(os.environ.get("LMS_LOGIN_WINDOW_MINUTES", "15")) * 60,
        "LOGIN_THROTTLE_MAX_PER_IP": int(os.environ.get("LMS_LOGIN_MAX_FAILURES_PER_ADDRESS", "30")),
        "PASSWORD_RESET_MAX_AGE": 2 * 60 * 60,
        "WELCOME_LINK_DAYS": int(os.environ.get("LMS_WELCOME_LINK_DAYS", "14")),
        "PASSWORD_RESET_MAX_PER_ACCOUNT": 3,  # nosec B105 - a count, not a password
        "PASSWORD_RESET_MAX_PER_ADDRESS": 10,  # nosec B105 - a count, not a password
        "PASSWORD_RESET_WINDOW_SECONDS": 60 * 60,
        "SESSION_IDLE_MINUTES": int(os.environ.get("LMS_SESSION_IDLE_MINUTES", "30")),
        "SESSION_MAX_HOURS": int(os.environ.get("LMS_SESSION_MAX_HOURS", "12")),
        "REMEMBER_DAYS": int(os.environ.get("LMS_REMEMBER_DAYS", "30")),
        "TWO_FACTOR_PENDING_SECONDS": 5 * 60,
        "CERTIFICATE_SERIAL_PREFIX": os.environ.get("LMS_CERTIFICATE_PREFIX", "CAS"),
        "CERTIFICATE_ORGANISATION": os.environ.get("LMS_ORGANISATION", "Cascade LMS"),
        "CERTIFICATE_ORGANISATION_EN": os.environ.get("LMS_ORGANISATION_EN", ""),
        "CASCADE_ACTIVATION_DAYS": int(os.environ.get("LMS_ACTIVATION_DAYS", "90")),
        # Weekly reminders a dormant trainer gets before they stop (until she delivers again).
        "CASCADE_REMINDERS_MAX": int(os.environ.get("LMS_REMINDERS_MAX", "4")),
        # Report exports (lms.reports.exports) are deleted this many days after they were written.
        "EXPORT_KEEP_DAYS": int(os.environ.get("LMS_EXPORT_KEEP_DAYS", "7")),
        "API_TOKEN_DAYS": int(os.environ.get("LMS_API_TOKEN_DAYS", "365")),
        # A running job that has not reported progress for this long is presumed dead and put
        # back in the queue (lms.core.jobs); a job interrupted this many times is failed.
        "JOB_LEASE_SECONDS": int(os.environ.get("LMS_JOB_LEASE_SECONDS", "120")),
        "JOB_MAX_ATTEMPTS": int(os.environ.get("LMS_JOB_MAX_ATTEMPTS", "3")),
        "JOB_SWEEP_SECONDS": float(os.environ.get("LMS_JOB_SWEEP_SECONDS", "30")),
        "JOB_LATE_SECONDS": int(os.environ.get("LMS_JOB_LATE_SECONDS", "30")),
        # Publishing in a request gives up after this long and leaves the task to the relay.
        "OUTBOX_PUBLISH_TIMEOUT": float(os.environ.get("LMS_OUTBOX_PUBLISH_TIMEOUT", "0.5")),
        "CELERY": {
            "broker_url": os.environ.get("CELERY_BROKER_URL", "filesystem://"),
            "broker_transport_options": {
                "data_folder_in": str(broker_dir / "queue"),
                "data_folder_out": str(broker_dir / "queue"),
                "processed_folder": str(broker_dir / "processed"),
                "control_folder": str(broker_dir / "control"),
                "store_processed": False,
            },
            "task_default_queue": os.environ.get("LMS_CELERY_QUEUE", "celery"),
            "task_always_eager": _bool("CELERY_ALWAYS_EAGER"),
            "task_eager_propagates": True,
            "task_ignore_result": True,
            "task_serializer": "json",
            "accept_content": ["json"],
            # Crash semantics (README, "Long jobs"): a message is acknowledged only when its task
            # has finished, so a worker killed mid-task leaves it in the broker; when a pool
            # process dies the message goes straight back to the queue rather than being
            # acknowledged as failed; each worker process reserves one message at a time, so a
            # killed worker strands at most its own. Tasks are idempotent and jobs hold leases,
            # so running a task again never does its work twice.
            "task_acks_late": True,
            "task_reject_on_worker_lost": True,
            "worker_prefetch_multiplier": 1,
            "broker_connection_retry_on_startup": True,
            "beat_schedule": {
                "relay-outbox": {"task": "lms.core.relay_outbox", "schedule": 15.0},
                "forget-expired-sessions": {
                    "task": "lms.accounts.forget_expired_sessions",
                    "schedule": 3600.0,
                },
                "apply-retention": {"task": "lms.privacy.apply_retention", "schedule": 24 * 60 * 60.0},
                "recover-jobs": {"task": "lms.core.recover_jobs", "schedule": 30.0},
                "reconcile-certificates": {"task": "lms.certificates.reconcile", "schedule": 60 * 60.0},
                # Each morning (07:00 UTC, 09:00-10:00 in Kyiv): what is due this week and this month
                # goes once (lms.cascade.nudges), so a missed morning is caught up by the next and a
                # repeated run sends nothing.
                "cascade-nudges": {"task": "lms.cascade.send_nudges", "schedule": crontab(minute=0, hour=7)},
                "expire-report-exports": {"task": "lms.reports.expire_exports", "schedule": 60 * 60.0},
                # Reports compute stale figures themselves; this keeps that off their path.
                "refresh-report-figures": {"task": "lms.reports.refresh_figures", "schedule": 60.0},
            },
        },
    }
    broker = config["CELERY"]["broker_url"]
    # The page cache (lms.core.page_cache) keeps table versions in Redis: on with a Redis broker
    # or its own LMS_CACHE_URL, off on the embedded default ("off" turns it off).
    cache_url = os.environ.get(
        "LMS_CACHE_URL", broker if broker.startswith(("redis://", "rediss://")) else ""
    )
    config["PAGE_CACHE_URL"] = "" if cache_url.strip().lower() == "off" else cache_url.strip()
    config["PAGE_CACHE_SECONDS"] = float(os.environ.get("LMS_CACHE_SECONDS", "30"))
    config["PAGE_CACHE_ENTRIES"] = _int("LMS_CACHE_ENTRIES", 256)
    config["CELERY"]["beat_schedule"]["recover-jobs"]["schedule"] = config["JOB_SWEEP_SECONDS"]
    config["CELERY"]["beat_schedule"]["relay-outbox"]["schedule"] = float(
        os.environ.get("LMS_OUTBOX_RELAY_SECONDS", "15")
    )
    if config["CELERY"]["broker_url"].startswith("redis"):
        # A message a worker took but never acknowledged (the worker was killed) comes back only
        # after this long: a backstop, since the job lease recovers the job in minutes. Longer
        # than any job runs, so Redis never hands a healthy running job to a second worker.
        config["CELERY"]["broker_transport_options"] = {"visibility_timeout": 4 * 60 * 60}
    elif not config["CELERY"]["broker_url"].startswith("filesystem"):
        config["CELERY"].pop("broker_transport_options")
    if overrides:
        celery_overrides = overrides.pop("CELERY", None)
        config.update(overrides)
        if celery_overrides:
            config["CELERY"] = {**config["CELERY"], **celery_overrides}
    # "Keep me signed in" lasts as long as its server-side session, not Flask-Login's year.
    config.setdefault("REMEMBER_COOKIE_DURATION", timedelta(days=config["REMEMBER_DAYS"]))
    if config["ENV_NAME"] == "production" and config["SECRET_KEY"] == DEV_SECRET:
        raise RuntimeError("Refusing to start in production with the default SECRET_KEY: set SECRET_KEY.")
    short = [key for key in config["ENCRYPTION_KEY"].split(",") if 0 < len(key.strip()) < MIN_ENCRYPTION_KEY]
    if short:
        raise RuntimeError(
            f"Each key in LMS_ENCRYPTION_KEY needs {MIN_ENCRYPTION_KEY} characters or more "
            f"({len(short)} key(s) are shorter)."
        )
    return config
