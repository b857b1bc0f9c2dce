"""Hostile uploads are refused before they are parsed, quickly and in little memory."""

import time
import tracemalloc

import pytest
from flask_babel import force_locale

from lms import create_app
from lms.cohorts.roster.files import read_roster
from lms.core.errors import ValidationError
from lms.core.upload_limits import UploadLimits, check_file, limits_for
from tests import hostile_files
from tests.conftest import app_config
from tests.fault_fixtures import HANGS_AFTER


@pytest.fixture(scope="module")
def plain_app(tmp_path_factory):
    """An app for the messages' language; these tests need no database."""
    folder = tmp_path_factory.mktemp("limits")
    application = create_app(app_config(f"sqlite:///{folder / 'unused.sqlite3'}", folder))
    with application.test_request_context(), force_locale("en"):
        yield application


def refusal(path, limits=None) -> tuple[str, float, int]:
    """Read the file as the roster import does; the message it is refused with, the seconds and
    the peak bytes of memory it took."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(ValidationError) as refused:
            for _row in read_roster(path, limits or UploadLimits()):
                pass
        return (
            str(refused.value.fields["file"][0]),
            time.monotonic() - started,
            tracemalloc.get_traced_memory()[1],
        )
    finally:
        tracemalloc.stop()


def write(tmp_path, content: bytes, name="upload.bin"):
    path = tmp_path / name
    path.write_bytes(content)
    return path


def test_a_sheet_declaring_20_million_rows_is_refused_from_its_first_bytes(plain_app, tmp_path):
    message, seconds, peak = refusal(write(tmp_path, hostile_files.declared_rows(20_000_000)))
    assert "more than 100,000 rows" in message
    assert seconds < HANGS_AFTER and peak < 5 * 1024 * 1024


def test_a_sheet_streaming_20_million_empty_rows_is_stopped_at_the_row_limit(plain_app, tmp_path):
    path = write(tmp_path, hostile_files.streamed_rows(20_000_000))
    assert path.stat().st_size < 10_000
    message, seconds, peak = refusal(path, UploadLimits(max_rows=20_000))
    assert "more than 20,000 rows" in message
    assert seconds < HANGS_AFTER and peak < 20 * 1024 * 1024


def test_a_300_mb_shared_string_is_refused_unread(plain_app, tmp_path):
    path = write(tmp_path, hostile_files.huge_shared_string(300))
    assert path.stat().st_size < 2 * 1024 * 1024
    message, seconds, peak = refusal(path)
    assert "more than 16 MB of text" in message
    assert seconds < HANGS_AFTER and peak < 5 * 1024 * 1024


def test_a_zip_bomb_is_refused_from_its_directory(plain_app, tmp_path):
    path = write(tmp_path, hostile_files.zip_bomb(1))
    assert path.stat().st_size < 2 * 1024 * 1024
    message, seconds, peak = refusal(path)
    assert "more than 64 MB" in message
    assert seconds < HANGS_AFTER and peak < 5 * 1024 * 1024


def test_too_many_columns_or_cells_declared_are_refused(plain_app, tmp_path):
    message, _s, _p = refusal(write(tmp_path, hostile_files.declared_rows(3, columns="AZ")))
    assert "more than 50 columns" in message
    message, _s, _p = refusal(write(tmp_path, hostile_files.declared_rows(40_000, columns="Z")))
    assert "more than 1,000,000 cells" in message


def test_a_sheet_declaring_exactly_the_limit_passes_the_check(plain_app, tmp_path):
    limits = UploadLimits(max_rows=500, max_columns=2, max_cells=1000)
    assert check_file(write(tmp_path, hostile_files.declared_rows(500)), limits) == 500
    with pytest.raises(ValidationError):
        check_file(write(tmp_path, hostile_files.declared_rows(501)), limits)


def test_a_csv_one_line_over_the_limit_is_refused_before_parsing_and_one_under_is_read(plain_app, tmp_path):
    lines = ["ПІБ;Email"] + [f"Особа {n};p{n}@example.org" for n in range(49)]
    limits = UploadLimits(max_rows=50)
    fits = write(tmp_path, ("\n".join(lines) + "\n").encode(), "fits.csv")
    assert len(list(read_roster(fits, limits))) == 49
    over = write(tmp_path, ("\n".join([*lines, "Зайва;x@example.org"]) + "\n").encode(), "over.csv")
    message, seconds, _peak = refusal(over, limits)
    assert "more than 50 rows" in message


def test_a_csv_row_with_too_many_filled_columns_is_refused(plain_app, tmp_path):
    wide = "ПІБ;Email\n" + ";".join(["x"] * 51) + "\n"
    message, _s, _p = refusal(write(tmp_path, wide.encode(), "wide.csv"))
    assert "more than 50 columns" in message


def test_limits_come_from_the_config_per_kind(plain_app, monkeypatch):
    monkeypatch.setitem(plain_app.config, "UPLOAD_LIMITS", {"max_rows": 5000, "max_columns": 20})
    monkeypatch.setitem(plain_app.config, "UPLOAD_LIMITS_ROSTER", {"max_rows": 3000})
    assert (limits_for("roster").max_rows, limits_for("roster").max_columns) == (3000, 20)
    assert limits_for("question_bank").max_rows == 5000


def test_the_refusal_is_in_ukrainian_with_the_right_plural_by_default(plain_app, tmp_path):
    path = write(tmp_path, hostile_files.declared_rows(20_000_000))
    with force_locale("uk"):
        message, _s, _p = refusal(path)
        assert message.startswith("У файлі понад 100\xa0000 рядків")
        message, _s, _p = refusal(path, UploadLimits(max_rows=21))
        assert message.startswith("У файлі понад 21 рядок:")


def test_20_million_streamed_empty_rows_are_refused_by_their_unpacked_size(plain_app, tmp_path):
    path = write(tmp_path, hostile_files.empty_rows_streamed(20_000_000))
    assert path.stat().st_size < 1024 * 1024
    message, seconds, peak = refusal(path)
    assert "Unpacked" in message and seconds < HANGS_AFTER and peak < 5 * 1024 * 1024


def test_empty_rows_streamed_under_the_size_cap_are_stopped_at_the_row_limit(plain_app, tmp_path):
    path = write(tmp_path, hostile_files.empty_rows_streamed(10_000_000))  # 60 MB unpacked: under 64
    message, seconds, peak = refusal(path, UploadLimits(max_rows=20_000))
    assert "more than 20,000 rows" in message
    assert seconds < HANGS_AFTER and peak < 20 * 1024 * 1024


@pytest.mark.parametrize("chunk", [7, 1024 * 1024])
def test_row_and_cell_tags_are_counted_exactly_across_chunk_boundaries(
    plain_app, tmp_path, monkeypatch, chunk
):
    from lms.core import upload_limits

    monkeypatch.setattr(upload_limits, "SCAN_CHUNK", chunk)
    rows = [("ПІБ", "Email")] + [(f"Особа {n}", f"p{n}@example.org") for n in range(299)]
    parts = hostile_files.workbook_parts(rows)
    # No declared size, so only the tags can tell.
    parts[hostile_files.SHEET] = parts[hostile_files.SHEET].replace(b'<dimension ref="A1:B300" />', b"")
    assert b"<dimension" not in parts[hostile_files.SHEET]
    path = write(tmp_path, hostile_files.xlsx(parts), "tags.xlsx")
    assert check_file(path, UploadLimits(max_rows=300, max_cells=600), count_rows=True) == 300
    with pytest.raises(ValidationError, match="299 rows"):
        check_file(path, UploadLimits(max_rows=299), count_rows=True)
    with pytest.raises(ValidationError, match="599 cells"):
        check_file(path, UploadLimits(max_cells=599), count_rows=True)


def test_a_reader_is_stopped_at_the_limits_whatever_the_file_declared(plain_app):
    from lms.core.upload_limits import limit_records

    def endless_empty_rows():
        number = 0
        while True:
            number += 1
            yield number, (None, None, None)

    with pytest.raises(ValidationError, match="more than 1,000 rows"):
        for _record in limit_records(endless_empty_rows(), UploadLimits(max_rows=1000)):
            pass
    with pytest.raises(ValidationError, match="more than 2,000 cells"):
        for _record in limit_records(endless_empty_rows(), UploadLimits(max_cells=2000)):
            pass
    padded = [(1, ("ПІБ", "Email", *([None] * 100)))]  # empty cells a reader pads with are not columns
    assert list(limit_records(padded, UploadLimits(max_columns=50))) == [
        (1, ("ПІБ", "Email", *([None] * 48)))
    ]
