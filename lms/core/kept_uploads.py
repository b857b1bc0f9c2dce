"""Files people upload to be checked by a job and used later (a roster, paper answers, a
question bank): kept under the instance's upload folder with a random name, beside a JSON note
about them (who, for what, the job checking them, its preview), until they are used or grow
stale.

The web request only copies the file to disk in chunks and checks the upload limits that need
no parsing; a job reads it (see ``lms.core.spreadsheets``) and writes its preview in the note.
"""

import json
import re
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, Protocol

from flask import current_app
from flask_babel import lazy_gettext as _l

from lms.core.db import utcnow
from lms.core.errors import NotFound, ValidationError
from lms.core.jobs import start_job
from lms.core.models import Job
from lms.core.upload_limits import MB, check_file, limits_for

TOKEN = re.compile(r"^[0-9a-f]{32}$")
CHUNK = 64 * 1024
# Files checked but never used are not kept longer than this.
KEEP_SECONDS = 24 * 60 * 60


def _refuse(message) -> ValidationError:
    return ValidationError.on("file", message)


class Preview(Protocol):
    """What a check job finds in a file: its rows, those ready, those with problems."""

    rows: int
    ready: int
    problems: int

    def to_dict(self) -> dict: ...


class KeptUploads:
    """Uploads of one kind: ``UPLOAD_DIR/<folder>/<token><suffix>`` and ``<token>.json``,
    bounded by the upload limits of ``limits_kind``."""

    def __init__(self, folder: str, suffix: str, limits_kind: str):
        self.folder, self.suffix, self.limits_kind = folder, suffix, limits_kind

    def paths(self, token: str) -> tuple[Path, Path]:
        """The uploaded file and its note."""
        folder = Path(current_app.config["UPLOAD_DIR"]) / self.folder
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{token}{self.suffix}", folder / f"{token}.json"

    def max_bytes(self) -> int:
        return limits_for(self.limits_kind).max_bytes

    def save(self, stream: BinaryIO) -> tuple[str, Path]:
        """Copy an upload to disk in chunks under a random name; refuse it empty or too large."""
        self.remove_stale()
        token = secrets.token_hex(16)
        path, _note = self.paths(token)
        size, limit = 0, self.max_bytes()
        with open(path, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    break
                out.write(chunk)
        if size > limit or size == 0:
            self.discard(token)
            if size == 0:
                raise _refuse(_l("The file is empty."))
            raise _refuse(_l("The file is larger than %(mb)d MB: split it.", mb=limit // MB))
        return token, path

    def receive(self, stream: BinaryIO) -> tuple[str, int]:
        """Save an upload and check the limits that need no parsing (the zip directory, or the
        lines counted): returns its token and its rows as far as they can be told cheaply. A
        refused file is not kept."""
        token, path = self.save(stream)
        try:
            return token, check_file(path, limits_for(self.limits_kind))
        except ValidationError:
            self.discard(token)
            raise

    def remove_stale(self) -> int:
        """Delete uploads older than ``KEEP_SECONDS``; returns how many files went."""
        folder = self.paths("x")[0].parent
        cutoff = time.time() - KEEP_SECONDS
        removed = 0
        for path in folder.iterdir():
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:  # another request removed it first
                continue
        return removed

    def discard(self, token: str) -> None:
        for path in self.paths(token):
            path.unlink(missing_ok=True)

    def write_note(self, token: str, note: dict) -> None:
        self.paths(token)[1].write_text(json.dumps(note, ensure_ascii=False), encoding="utf-8")

    def note(self, token: str, **expected) -> dict:
        """The note of upload ``token`` (with ``"token"``), if it holds the ``expected`` values
        (e.g. the cohort it was uploaded for); else NotFound."""
        path = self.paths(token)[1] if TOKEN.match(token or "") else None
        if path is None or not path.exists():
            raise NotFound(_l("This file is no longer here: upload it again."))
        note = json.loads(path.read_text(encoding="utf-8"))
        if any(note.get(key) != value for key, value in expected.items()):
            raise NotFound(_l("This file is no longer here: upload it again."))
        return note | {"token": token}

    def keep_preview(self, token: str, preview: dict) -> None:
        """Store a check job's preview in the upload's note, for the page to show."""
        note = json.loads(self.paths(token)[1].read_text(encoding="utf-8"))
        self.write_note(token, note | {"preview": preview})

    def is_kept(self, token: str) -> bool:
        """Whether the file and its note are both still here."""
        return all(path.exists() for path in self.paths(token))

    def receive_for_check(
        self, stream: BinaryIO, filename: str, *, by, kind: str, task: str, **scope
    ) -> tuple[str, Job]:
        """Keep an upload (``receive``) and start the job ``kind`` that checks it in the worker.
        The job's params and the note hold ``scope`` (what the file is for, e.g. its cohort) and
        the token; the note also who sent it, the file's name and the job."""
        token, estimated_rows = self.receive(stream)
        job = start_job(kind, task, by=by, total=estimated_rows, token=token, **scope)
        note = scope | {"user_id": by.id, "filename": (filename or "")[:200]}
        self.write_note(
            token, note | {"uploaded_at": utcnow().isoformat(), "preview": None, "job_id": job.id}
        )
        return token, job

    def run_check(self, token: str, check: Callable[[dict], Preview]) -> dict:
        """The work of a check job: ``check(note)`` reads the file and gives its preview, kept
        in the note for the page. A file refused is removed at once (the note stays, to say
        why). Returns the job's result."""
        upload = self.note(token)
        try:
            preview = check(upload)
        except ValidationError:
            self.paths(token)[0].unlink(missing_ok=True)
            raise
        self.keep_preview(token, preview.to_dict())
        return {"rows": preview.rows, "ready": preview.ready, "problems": preview.problems}

    def checked(self, token: str, **expected) -> tuple[dict, dict]:
        """The note of a file its check job has read, and the preview; NotFound when the
        preview is not there yet or the file is gone."""
        upload = self.note(token, **expected)
        if upload["preview"] is None or not self.paths(token)[0].exists():
            raise NotFound(_l("This file is no longer here: upload it again."))
        return upload, upload["preview"]
