"""API: Courses and accreditation."""

from flask_smorest import Blueprint

blp = Blueprint("courses_api", __name__, description="Courses and accreditation")
