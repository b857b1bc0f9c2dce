"""API: Enrolment and rosters."""

from flask_smorest import Blueprint

blp = Blueprint("enrolment_api", __name__, description="Enrolment and rosters")
