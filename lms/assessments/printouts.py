"""Printable paper tests: a question booklet per form and one answer sheet per participant
(name, training, phase, form, numbered items with boxes, a QR code naming the enrolment and
phase), in the DejaVu fonts of the session kit."""

import io

import segno
from flask_babel import gettext as _
from fpdf import FPDF

from lms.assessments import paper
from lms.cohorts.attendance import roster
from lms.cohorts.kit import FONT, FONT_DIR
from lms.cohorts.models import Cohort
from lms.core.i18n import current_language

MARGIN = 15
BOX = 6
LETTERS = paper.LETTERS


class PaperDocument(FPDF):
    def __init__(self, title: str):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.add_font(FONT, "", FONT_DIR / "DejaVuSans.ttf")
        self.add_font(FONT, "B", FONT_DIR / "DejaVuSans-Bold.ttf")
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=MARGIN)
        self.set_title(title)
        self.set_author("Cascade LMS")
        self.set_lang(current_language())


def _phase_label(phase: str) -> str:
    return _("Pre-test") if phase == "pre" else _("Post-test")


def booklet_pdf(cohort: Cohort, phase: str, form: str) -> bytes:
    """The form's questions in booklet order (the grid's numbering), options lettered А–Г."""
    questions = paper.grid_columns(cohort, form)
    pdf = PaperDocument(f"{cohort.course.display_title} · {_phase_label(phase)} · {form}")
    pdf.add_page()
    pdf.set_font(FONT, "B", 13)
    pdf.multi_cell(0, 7, cohort.course.display_title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 10)
    pdf.multi_cell(0, 6, f"{_phase_label(phase)} · {_('form')} {form}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    for number, question in enumerate(questions, start=1):
        version = question.current
        pdf.set_font(FONT, "B", 11)
        pdf.multi_cell(0, 6, f"{number}. {version.display_text}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FONT, "", 10)
        for index, choice in enumerate(version.choices):
            pdf.set_x(MARGIN + 6)
            pdf.multi_cell(0, 5.5, f"{LETTERS[index]}) {choice.display_text}", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    return bytes(pdf.output())


def answer_sheets_pdf(cohort: Cohort, phase: str, form: str) -> bytes:
    """One page per enrolled participant: boxes to tick per item and a QR code with
    ``enrollment:<id>:<phase>`` for entering the sheet later."""
    questions = paper.grid_columns(cohort, form)
    pdf = PaperDocument(f"{cohort.course.display_title} · {_phase_label(phase)} · {_('Answer sheets')}")
    for enrollment in roster(cohort):
        pdf.add_page()
        qr = segno.make(f"enrollment:{enrollment.id}:{phase}", error="m")
        image = io.BytesIO()
        qr.save(image, kind="png", scale=4, border=1)
        pdf.image(image, x=pdf.w - MARGIN - 28, y=MARGIN, w=28)
        pdf.set_font(FONT, "B", 13)
        pdf.multi_cell(pdf.w - 2 * MARGIN - 32, 7, enrollment.user.full_name, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FONT, "", 10)
        pdf.multi_cell(
            pdf.w - 2 * MARGIN - 32, 5.5, cohort.course.display_title, new_x="LMARGIN", new_y="NEXT"
        )
        pdf.multi_cell(
            pdf.w - 2 * MARGIN - 32,
            5.5,
            f"{_phase_label(phase)} · {_('form')} {form}",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.set_y(MARGIN + 34)
        for number, question in enumerate(questions, start=1):
            pdf.set_x(MARGIN)
            pdf.cell(12, BOX + 2, f"{number}.")
            for index, _choice in enumerate(question.current.choices):
                pdf.cell(BOX, BOX, LETTERS[index], border=1, align="C")
                pdf.cell(4, BOX, "")
            pdf.ln(BOX + 3)
    return bytes(pdf.output())
