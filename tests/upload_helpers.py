"""Helpers shared by the tests of uploaded spreadsheets checked in a job (paper answers,
question banks): files written in memory, the latest job of a kind, the files kept."""

import io
import time
from pathlib import Path

import openpyxl
from sqlalchemy import select

from lms.core.models import Job
from tests.conftest import sign_in
from tests.fault_fixtures import HANGS_AFTER


def signed_in(client, user, lang="en"):
    sign_in(client, user)
    with client.session_transaction() as session:
        session["lang"] = lang
    return client


def xlsx(rows) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def latest_job(db, kind):
    return db.session.scalars(select(Job).where(Job.kind == kind).order_by(Job.id.desc())).first()


def kept_files(app, folder: str) -> set:
    path = Path(app.config["UPLOAD_DIR"]) / folder
    return set(path.glob("*")) if path.exists() else set()


def assert_refused_at_once(app, db, send, *, folder: str, check_kind: str, message: str) -> None:
    """``send()`` uploads a file that must be refused at once (before parsing), naming ``message``,
    with nothing kept and no check job started."""
    before = kept_files(app, folder)
    started = time.monotonic()
    response = send()
    assert time.monotonic() - started < HANGS_AFTER  # parsing such a file takes minutes
    assert response.status_code == 422 and message in response.text
    assert kept_files(app, folder) == before and latest_job(db, check_kind) is None
