"""Cascade LMS: learning management for trainer-of-trainers programmes."""

import os
from pathlib import Path

from flask import Flask

from lms.config import load_config

BLUEPRINTS = [
    "lms.core.views:bp",
    "lms.core.audit_views:bp",
    "lms.accounts.views:bp",
    "lms.accounts.admin_views:bp",
    "lms.accounts.security_views:bp",
    "lms.org.views:bp",
    "lms.courses.views:bp",
    "lms.cohorts.views:bp",
    "lms.cohorts.views:feeds",
    "lms.cohorts.enrolment_views:bp",
    "lms.cohorts.attendance_views:bp",
    "lms.privacy.views:bp",
    "lms.assessments.views:bp",
    "lms.assessments.cohort_views:bp",
    "lms.assessments.paper_views:bp",
    "lms.assessments.take:bp",
    "lms.certificates.views:bp",
    "lms.cascade.views:bp",
    "lms.reports.dashboard.views:bp",
    "lms.reports.views:bp",
    "lms.cascade.nudges.views:bp",
    "lms.reports.exports.views:bp",
]
API_BLUEPRINTS = [
    "lms.core.api:blp",
    "lms.accounts.api:blp",
    "lms.org.api:blp",
    "lms.courses.api:blp",
    "lms.cohorts.api:blp",
    "lms.cohorts.enrolment_api:blp",
    "lms.cohorts.attendance_api:blp",
    "lms.privacy.api:blp",
    "lms.assessments.api:blp",
    "lms.assessments.results_api:blp",
    "lms.certificates.api:blp",
    "lms.cascade.api:blp",
    "lms.me.api:blp",
    "lms.reports.api:blp",
    "lms.reports.exports.api:blp",
]
MODEL_MODULES = [
    "lms.core.models",
    "lms.org.models",
    "lms.accounts.models",
    "lms.courses.models",
    "lms.cohorts.models",
    "lms.assessments.models",
    "lms.certificates.models",
    "lms.cascade.models",
    "lms.reports.kept.models",
]
# Each feature registers its permission rules in its own module; core knows none of them.
RULE_MODULES = [
    "lms.core.rules",
    "lms.accounts.rules",
    "lms.org.rules",
    "lms.courses.rules",
    "lms.cohorts.rules",
    "lms.assessments.rules",
    "lms.certificates.rules",
    "lms.cascade.rules",
    "lms.privacy.rules",
    "lms.reports.rules",
]

# Each feature plugs into another's extension points (how its actions read in the audit trail,
# report tables, the invitation's and the session kit's extra parts) from these modules, so
# that the feature it extends imports nothing of it.
HOOK_MODULES = [
    "lms.accounts.audit_texts",
    "lms.org.audit_texts",
    "lms.courses.audit_texts",
    "lms.cohorts.audit_texts",
    "lms.cascade.audit_texts",
    "lms.reports.exports.audit_texts",
    "lms.reports.results_tables",
    "lms.reports.exports.rows",
    "lms.assessments.hooks",
]


def create_app(config: dict | None = None) -> Flask:
    """Build the web application; ``config`` overrides settings read from the environment."""
    instance_path = (config or {}).get("INSTANCE_PATH") or os.environ.get(
        "LMS_INSTANCE_PATH", str(Path(__file__).resolve().parent.parent / "instance")
    )
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(load_config(app.instance_path, dict(config or {})))
    app.config.setdefault("PUBLIC_ENDPOINTS", {"static", "bootstrap.static"})

    register_shell(app)
    register_page_cache(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def _load(target: str):
    module_name, attribute = target.split(":")
    module = __import__(module_name, fromlist=[attribute])
    return getattr(module, attribute)


def register_extensions(app: Flask) -> None:
    from lms.accounts.auth import init_login
    from lms.celery_app import celery_init_app
    from lms.core.i18n import CountingDomain, select_locale
    from lms.core.permissions import register_access_control
    from lms.extensions import babel, bootstrap, csrf, db, login_manager, migrate

    for module in MODEL_MODULES + RULE_MODULES + HOOK_MODULES:
        __import__(module)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, default_translation_directories="translations")
    babel.domain_instance = CountingDomain(domain=app.extensions["babel"].default_domain)
    bootstrap.init_app(app)
    init_login(app, login_manager)
    register_access_control(app, login_manager)
    celery_init_app(app)

    @app.after_request
    def _publish_outbox(response):
        from lms.core.outbox import publish_ready

        publish_ready()
        return response


def register_blueprints(app: Flask) -> None:
    from lms.api import init_api

    for target in BLUEPRINTS:
        app.register_blueprint(_load(target))
    init_api(app, [_load(target) for target in API_BLUEPRINTS])


def register_errorhandlers(app: Flask) -> None:
    from lms.core.errors import register_error_handlers

    register_error_handlers(app)


def register_template_helpers(app: Flask) -> None:
    from lms.core.templating import init_templating

    init_templating(app)


def register_shell(app: Flask) -> None:
    from lms.core.shell import init_shell

    init_shell(app)


def register_page_cache(app: Flask) -> None:
    from lms.core.page_cache import init_page_cache

    init_page_cache(app)


def register_commands(app: Flask) -> None:
    from lms.cli import register_cli

    register_cli(app)
