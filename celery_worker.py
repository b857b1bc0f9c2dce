"""Entry point for the worker: ``celery -A celery_worker worker --beat``."""

from lms import create_app

flask_app = create_app()
celery_app = flask_app.extensions["celery"]
