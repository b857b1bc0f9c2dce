"""Worker entry point of the fault tests: the app plus ``tests.fault_tasks``."""

from lms import create_app

flask_app = create_app({"CELERY_EXTRA_IMPORTS": ["tests.fault_tasks"]})
celery_app = flask_app.extensions["celery"]
