#!/usr/bin/env bash
# Rebuild migration 0002 (courses, cohorts, sessions, enrolment, attendance) from the models.
# Only for use while 0002 has not landed on main; afterwards every change is a new migration.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
export LMS_INSTANCE_PATH="$tmp"
rm -f migrations/versions/0002_*.py
.venv/bin/lms db upgrade 0001 >/dev/null 2>&1
.venv/bin/lms db migrate -m "courses cohorts sessions enrolment attendance" --rev-id 0002 >/dev/null 2>&1
mv migrations/versions/0002_*.py migrations/versions/0002_courses_and_cohorts.py
.venv/bin/lms db upgrade >/dev/null 2>&1
rm -rf "$tmp"
echo "migrations/versions/0002_courses_and_cohorts.py rebuilt"
