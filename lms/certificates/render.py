"""The certificate as an A4 landscape PDF, rendered from the certificate's snapshot alone.

reportlab draws the page: about three times faster than weasyprint and eight times faster than
fpdf2 for this page (measured for the issue; fpdf2 re-parses the font for every document), and
its ``invariant`` mode fixes the creation date and document id, so every render of the same
certificate is byte-identical and its SHA-256 can be published.
"""

import hashlib
import io
import os
from pathlib import Path

import segno
from reportlab.lib.colors import Color
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from lms.certificates.models import Certificate

FONT_DIR = Path(__file__).resolve().parent.parent / "static" / "fonts"
REGULAR, BOLD = "DejaVuSans", "DejaVuSans-Bold"
INK = Color(0.12, 0.16, 0.22)
ACCENT = Color(0.05, 0.33, 0.55)
MUTED = Color(0.38, 0.42, 0.48)
KIND_TITLES = {
    "participation": ("СЕРТИФІКАТ", "CERTIFICATE OF COMPLETION"),
    "trainer": ("СЕРТИФІКАТ ТРЕНЕРА", "TRAINER CERTIFICATE"),
}


def _register_fonts() -> None:
    if REGULAR not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(REGULAR, str(FONT_DIR / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont(BOLD, str(FONT_DIR / "DejaVuSans-Bold.ttf")))


def _date(value) -> str:
    return value.strftime("%d.%m.%Y")


def _hours(value: float) -> str:
    # As printed on every certificate issued so far: a lost file must render byte-identical to
    # its published SHA-256, so the printed text never changes for an issued certificate.
    return f"{value:g}"


def credits_uk(value: float) -> str:
    """«0,4 кредиту», «1 кредит», «2 кредити», «5 кредитів» ЄКТС."""
    text = f"{value:g}".replace(".", ",")
    if value != int(value):
        return f"{text} кредиту ЄКТС"
    n = int(value)
    if n % 10 == 1 and n % 100 != 11:
        word = "кредит"
    elif 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        word = "кредити"
    else:
        word = "кредитів"
    return f"{text} {word} ЄКТС"


def _qr(canvas: Canvas, url: str, x: float, y: float, size: float) -> None:
    """Draw the QR code as filled runs of modules (vector, deterministic)."""
    matrix = segno.make(url, error="m").matrix
    count = len(matrix)
    cell = size / count
    canvas.setFillColor(INK)
    for row_index, row in enumerate(matrix):
        column = 0
        while column < count:
            if row[column]:
                start = column
                while column < count and row[column]:
                    column += 1
                canvas.rect(
                    x + start * cell,
                    y + size - (row_index + 1) * cell,
                    (column - start) * cell,
                    cell,
                    stroke=0,
                    fill=1,
                )
            else:
                column += 1


def _centred(canvas: Canvas, text: str, y: float, font: str, size: float, color=INK, width=None) -> None:
    canvas.setFont(font, size)
    canvas.setFillColor(color)
    page_width = width or landscape(A4)[0]
    while size > 7 and pdfmetrics.stringWidth(text, font, size) > page_width - 60 * mm:
        size -= 0.5  # long course titles shrink rather than run off the page
        canvas.setFont(font, size)
    canvas.drawCentredString(page_width / 2, y, text)


def render_pdf(certificate: Certificate) -> bytes:
    """The PDF of ``certificate``; the same bytes on every call."""
    _register_fonts()
    buffer = io.BytesIO()
    width, height = landscape(A4)
    canvas = Canvas(buffer, pagesize=(width, height), invariant=1, pageCompression=1)
    canvas.setTitle(f"{certificate.serial}")
    canvas.setAuthor(certificate.organisation_en)
    canvas.setCreator("Cascade LMS")
    canvas.setSubject(certificate.course_title_en)

    canvas.setStrokeColor(ACCENT)
    canvas.setLineWidth(3)
    canvas.rect(10 * mm, 10 * mm, width - 20 * mm, height - 20 * mm)
    canvas.setLineWidth(0.8)
    canvas.rect(13 * mm, 13 * mm, width - 26 * mm, height - 26 * mm)

    title_uk, title_en = KIND_TITLES[certificate.kind]
    _centred(canvas, certificate.organisation, height - 30 * mm, BOLD, 13)
    _centred(canvas, certificate.organisation_en, height - 36 * mm, REGULAR, 10, MUTED)
    _centred(canvas, title_uk, height - 54 * mm, BOLD, 30, ACCENT)
    _centred(canvas, title_en, height - 62 * mm, REGULAR, 12, MUTED)
    _centred(canvas, "засвідчує, що / certifies that", height - 75 * mm, REGULAR, 11, MUTED)
    _centred(canvas, certificate.holder_name, height - 88 * mm, BOLD, 24)
    _centred(canvas, certificate.holder_name_latin, height - 96 * mm, REGULAR, 12, MUTED)
    completed_uk = (
        "пройшов(-ла) навчання за програмою"
        if certificate.kind == "participation"
        else ("пройшов(-ла) підготовку тренерів за програмою")
    )
    completed_en = (
        "completed the training"
        if certificate.kind == "participation"
        else ("completed the training of trainers")
    )
    _centred(canvas, completed_uk, height - 108 * mm, REGULAR, 11)
    _centred(canvas, f"«{certificate.course_title}»", height - 117 * mm, BOLD, 15)
    _centred(canvas, f"{completed_en} “{certificate.course_title_en}”", height - 124 * mm, REGULAR, 10, MUTED)
    period = f"{_date(certificate.start_date)} – {_date(certificate.issued_on)}"
    credits = f"{certificate.ects_credits:g}"
    _centred(
        canvas,
        f"{period}, {certificate.district_name} · {_hours(certificate.hours)} год. · "
        f"{credits_uk(certificate.ects_credits)}",
        height - 135 * mm,
        REGULAR,
        11,
    )
    _centred(
        canvas,
        f"{_hours(certificate.hours)} hours · {credits} ECTS credits",
        height - 141 * mm,
        REGULAR,
        9,
        MUTED,
    )

    canvas.setFont(REGULAR, 10)
    canvas.setFillColor(INK)
    canvas.drawString(30 * mm, 40 * mm, "Тренер / Trainer:")
    canvas.setFont(BOLD, 11)
    canvas.drawString(30 * mm, 34 * mm, certificate.lead_trainer_name)
    canvas.setFont(REGULAR, 9)
    canvas.setFillColor(MUTED)
    canvas.drawString(30 * mm, 29 * mm, certificate.lead_trainer_name_latin)
    canvas.setFont(REGULAR, 9)
    canvas.drawString(30 * mm, 21 * mm, f"№ {certificate.serial} · {_date(certificate.issued_on)}")

    qr_size = 30 * mm
    _qr(canvas, certificate.verification_url, width - 30 * mm - qr_size, 22 * mm, qr_size)
    canvas.setFont(REGULAR, 7)
    canvas.setFillColor(MUTED)
    canvas.drawRightString(width - 30 * mm, 18 * mm, "Перевірка / Verify: " + certificate.verification_url)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def sha256_of(pdf: bytes) -> str:
    return hashlib.sha256(pdf).hexdigest()


def stored_path(certificate: Certificate) -> Path:
    """Where the rendered document is kept (``CERTIFICATE_DIR``, by default in the instance)."""
    from flask import current_app

    root = Path(current_app.config.get("CERTIFICATE_DIR") or Path(current_app.instance_path) / "certificates")
    return root / str(certificate.year) / f"{certificate.serial}.pdf"


def store_pdf(certificate: Certificate, pdf: bytes) -> None:
    path = stored_path(certificate)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_bytes(pdf)
    partial.replace(path)


def pdf_of(certificate: Certificate) -> bytes:
    """The certificate's document: the stored file when it is intact, else rendered again from
    the snapshot (byte-identical) and stored."""
    path = stored_path(certificate)
    if path.exists():
        pdf = path.read_bytes()
        if sha256_of(pdf) == certificate.sha256:
            return pdf
    pdf = render_pdf(certificate)
    store_pdf(certificate, pdf)
    return pdf
