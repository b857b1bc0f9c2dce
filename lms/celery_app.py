"""The Celery application bound to Flask: every task runs inside an app context."""

from pathlib import Path

from celery import Celery, Task
from flask import Flask, has_app_context

from lms.core.broker import use_atomic_filesystem_broker

TASK_MODULES = [
    "lms.core.tasks",
    "lms.accounts.tasks",
    "lms.cohorts.tasks",
    "lms.assessments.tasks",
    "lms.privacy.tasks",
    "lms.certificates.tasks",
    "lms.cascade.tasks",
    "lms.reports.exports.tasks",
    "lms.reports.kept.tasks",
]


def celery_init_app(app: Flask) -> Celery:
    class FlaskTask(Task):
        # Late acknowledgement means a task may run again after a crash: tasks are idempotent.
        acks_late = True
        retry_backoff = True
        retry_backoff_max = 300
        retry_jitter = True

        def __call__(self, *args, **kwargs):
            if has_app_context():  # eager execution inside a request or a test
                return self._run_in_context(args, kwargs)
            with app.app_context():
                return self._run_in_context(args, kwargs)

        def _run_in_context(self, args, kwargs):
            from lms.core.db import in_task

            # Tasks write: on SQLite they take the write lock when their transaction begins.
            marked = in_task.set(True)
            try:
                return self._run_writing(args, kwargs)
            finally:
                in_task.reset(marked)

        def _run_writing(self, args, kwargs):
            from lms.core.db import writing
            from lms.core.outbox import publish_ready
            from lms.extensions import db

            with writing():
                try:
                    result = self.run(*args, **kwargs)
                    db.session.commit()
                except Exception:
                    db.session.rollback()
                    raise
                publish_ready()
            return result

    for folder in app.config["CELERY"].get("broker_transport_options", {}).values():
        if isinstance(folder, str) and folder.startswith("/"):
            Path(folder).mkdir(parents=True, exist_ok=True)  # the filesystem broker's queue folders
    use_atomic_filesystem_broker()
    celery = Celery(app.import_name, task_cls=FlaskTask)
    celery.config_from_object(app.config["CELERY"])
    celery.conf.imports = TASK_MODULES + app.config.get("CELERY_EXTRA_IMPORTS", [])
    celery.set_default()
    app.extensions["celery"] = celery
    for module in celery.conf.imports:
        __import__(module)
    return celery
