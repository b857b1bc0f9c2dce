"""Generated hostile spreadsheets: small files that declare or unpack to enormous ones.

A deflate stream of a repeated chunk is the chunk compressed once (ending with a full flush,
so the compressor starts afresh) repeated: a gigabyte of zeros is written in milliseconds.
"""

import io
import re
import struct
import zipfile
import zlib
from functools import cache

import openpyxl

MB = 1024 * 1024


def _deflate(parts: list[tuple[bytes, int]]) -> tuple[bytes, int, int]:
    """Raw deflate of ``chunk * times`` for each part in turn; returns (stream, size, crc)."""
    stream, size, crc = bytearray(), 0, 0
    for chunk, times in parts:
        compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
        block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
        stream += block * times
        size += len(chunk) * times
        crc = _repeated_crc(chunk, times, crc)
    stream += zlib.compressobj(9, zlib.DEFLATED, -15).flush()  # an empty final block
    return bytes(stream), size, crc


@cache
def _crc_of_repeats(chunk: bytes, times: int) -> int:
    crc = 0
    for _ in range(times):
        crc = zlib.crc32(chunk, crc)
    return crc


def _repeated_crc(chunk: bytes, times: int, crc: int) -> int:
    if crc == 0:
        return _crc_of_repeats(chunk, times)
    for _ in range(times):
        crc = zlib.crc32(chunk, crc)
    return crc


def _zip(members: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip of ``(name, raw deflate, unpacked size, crc)`` members, written by hand so that a
    member's stream need not be produced by compressing its whole content."""
    out, directory = bytearray(), bytearray()
    for name, stream, size, crc in members:
        offset, encoded = len(out), name.encode()
        out += struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(stream), size, len(encoded), 0
        )
        out += encoded + stream
        directory += struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, len(stream), size, len(encoded),
            0, 0, 0, 0, 0, offset,
        )  # fmt: skip
        directory += encoded
    start = len(out)
    out += directory
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(directory), start, 0)
    return bytes(out)


def workbook_parts(rows=(("ПІБ", "Email"), ("Ґалаґан Марʼяна", "m@example.org"))) -> dict[str, bytes]:
    """The parts of an ordinary small workbook, by name."""
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    with zipfile.ZipFile(buffer) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def xlsx(parts: dict[str, bytes], hostile: dict[str, list[tuple[bytes, int]]] | None = None) -> bytes:
    members = [(name, *_deflate([(data, 1)])) for name, data in parts.items() if name not in (hostile or {})]
    members += [(name, *_deflate(pieces)) for name, pieces in (hostile or {}).items()]
    return _zip(members)


SHEET = "xl/worksheets/sheet1.xml"


def declared_rows(rows: int, columns: str = "B") -> bytes:
    """An ordinary two-row workbook whose sheet declares ``rows`` rows."""
    parts = workbook_parts()
    declared = f'<dimension ref="A1:{columns}{rows}" />'.encode()
    parts[SHEET], found = re.subn(rb"<dimension ref=\"[A-Z0-9:]+\"\s*/>", declared, parts[SHEET])
    assert found == 1
    return xlsx(parts)


def streamed_rows(last_row: int) -> bytes:
    """A sheet with no declared size, the header and one cell at row ``last_row``: a reader
    hands over every empty row in between (20 million for the report's 176 KB file)."""
    parts = workbook_parts()
    parts[SHEET] = (
        b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
        b'spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>\xd0\x9f\xd0\x86\xd0\x91'
        b"</t></is></c></row>"
        + f'<row r="{last_row}"><c r="A{last_row}" t="inlineStr"><is><t>x</t></is></c></row>'.encode()
        + b"</sheetData></worksheet>"
    )
    return xlsx(parts)


def huge_shared_string(megabytes: int = 300) -> bytes:
    """One shared string of ``megabytes`` MB (the report's 300 KB file that took 730 MB)."""
    head = b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>'
    return xlsx(
        workbook_parts(),
        {"xl/sharedStrings.xml": [(head, 1), (b"a" * MB, megabytes), (b"</t></si></sst>", 1)]},
    )


def zip_bomb(gigabytes: int = 1) -> bytes:
    """A workbook carrying a member of ``gigabytes`` GB of zeros."""
    return xlsx(workbook_parts(), {"xl/media/image1.bin": [(b"\0" * MB, 1024 * gigabytes)]})


def empty_rows_streamed(rows: int) -> bytes:
    """A sheet with no declared size streaming ``rows`` empty ``<row/>`` elements one by one."""
    head = (
        b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
        b'spreadsheetml/2006/main"><sheetData><row><c t="inlineStr"><is><t>\xd0\x9f\xd0\x86\xd0\x91</t></is></c></row>'
    )
    return xlsx(
        workbook_parts(),
        {SHEET: [(head, 1), (b"<row/>" * 1000, rows // 1000), (b"</sheetData></worksheet>", 1)]},
    )
