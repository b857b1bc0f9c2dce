"""API: Cohorts and sessions."""

from flask_smorest import Blueprint

blp = Blueprint("cohorts_api", __name__, description="Cohorts and sessions")
