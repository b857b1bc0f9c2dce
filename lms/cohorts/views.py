"""Pages: cohorts."""

from flask import Blueprint

bp = Blueprint("cohorts", __name__, url_prefix="/cohorts", template_folder="templates")
