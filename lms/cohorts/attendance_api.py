"""API: Attendance."""

from flask_smorest import Blueprint

blp = Blueprint("attendance_api", __name__, description="Attendance")
