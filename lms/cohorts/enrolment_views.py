"""Pages: enrolment."""

from flask import Blueprint

bp = Blueprint("enrolment", __name__, url_prefix="/cohorts", template_folder="templates")
