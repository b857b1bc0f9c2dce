"""Settings read from the environment, with defaults that need no server."""

import os
from pathlib import Path

DEV_SECRET = "dev-only-secret-change-me"  # noqa: S105 - refused in production below


def _bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def load_config(instance_path: str, overrides: dict | None = None) -> dict:
    """Build the Flask config dict from environment variables and ``overrides``."""
    instance = Path(instance_path)
    env = os.environ.get("LMS_ENV", "development")
    broker_dir = instance / "celery"
    config = {
        "ENV_NAME": env,
        "SECRET_KEY": os.environ.get("SECRET_KEY", DEV_SECRET),
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
        "LOGIN_THROTTLE_MAX_FAILURES": 5,
        "LOGIN_THROTTLE_WINDOW_SECONDS": 15 * 60,
        "LOGIN_THROTTLE_MAX_PER_IP": 30,
        "PASSWORD_RESET_MAX_AGE": 2 * 60 * 60,
        "CERTIFICATE_SERIAL_PREFIX": os.environ.get("LMS_CERTIFICATE_PREFIX", "CAS"),
        "CERTIFICATE_ORGANISATION": os.environ.get("LMS_ORGANISATION", "Cascade LMS"),
        "CERTIFICATE_ORGANISATION_EN": os.environ.get("LMS_ORGANISATION_EN", ""),
        "CASCADE_ACTIVATION_DAYS": int(os.environ.get("LMS_ACTIVATION_DAYS", "90")),
        "API_TOKEN_DAYS": int(os.environ.get("LMS_API_TOKEN_DAYS", "365")),
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
            "task_acks_late": True,
            "task_reject_on_worker_lost": True,
            "worker_prefetch_multiplier": 1,
            "broker_connection_retry_on_startup": True,
            "beat_schedule": {
                "relay-outbox": {"task": "lms.core.relay_outbox", "schedule": 15.0},
                "reconcile-certificates": {"task": "lms.certificates.reconcile", "schedule": 60 * 60.0},
            },
        },
    }
    if not config["CELERY"]["broker_url"].startswith("filesystem"):
        config["CELERY"].pop("broker_transport_options")
    if overrides:
        celery_overrides = overrides.pop("CELERY", None)
        config.update(overrides)
        if celery_overrides:
            config["CELERY"] = {**config["CELERY"], **celery_overrides}
    if config["ENV_NAME"] == "production" and config["SECRET_KEY"] == DEV_SECRET:
        raise RuntimeError("Refusing to start in production with the default SECRET_KEY: set SECRET_KEY.")
    return config
