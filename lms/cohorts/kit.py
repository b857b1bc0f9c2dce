"""The printable session kit: a cover page about the training, then one sign-in sheet per
session, numbered like the attendance grid so that a trainer can enter the paper sheet later."""

from pathlib import Path

from flask_babel import format_date
from flask_babel import gettext as _
from fpdf import FPDF
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.cohorts.attendance import roster
from lms.cohorts.hooks import add_kit_pages
from lms.cohorts.models import Cohort, Enrollment, TrainingSession
from lms.core.i18n import current_language
from lms.extensions import db

FONT_DIR = Path(__file__).resolve().parent.parent / "static" / "fonts"
FONT = "DejaVu"
MARGIN = 12
FOOTER_SPACE = 16
ROW_HEIGHT = 9  # mm: enough to sign in
HEADER_ROW_HEIGHT = 8
MIN_WALK_IN_ROWS = 3
# Column widths in mm (the signature column takes what is left of the line).
NUMBER_WIDTH = 10
NAME_WIDTH = 55
POSITION_WIDTH = 64
GREY = (235, 237, 240)


class KitDocument(FPDF):
    """A4 pages in DejaVu Sans (Cyrillic) with the kit's footer on every page."""

    def __init__(self, cohort: Cohort):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.cohort = cohort
        self._fitted: dict[tuple, list[str]] = {}
        self.add_font(FONT, "", FONT_DIR / "DejaVuSans.ttf")
        self.add_font(FONT, "B", FONT_DIR / "DejaVuSans-Bold.ttf")
        self.set_margins(MARGIN, MARGIN, MARGIN)
        # Rows are placed by hand so that a row never splits and headers repeat.
        self.set_auto_page_break(False)
        self.alias_nb_pages()
        self.set_title(_("Session kit") + f" · {cohort.course.display_title}")
        self.set_author("Cascade LMS")
        self.set_lang(current_language())
        self.set_creation_date(cohort.updated_at or cohort.created_at)

    @property
    def bottom(self) -> float:
        return self.h - FOOTER_SPACE

    def footer(self) -> None:
        self.set_y(-11)
        self.set_font(FONT, "", 8)
        self.set_text_color(110, 110, 110)
        self.cell(0, 5, _("Cascade LMS · cohort #%(id)s", id=self.cohort.id), align="L")
        self.set_x(MARGIN)
        self.cell(0, 5, _("Page %(page)s of %(pages)s", page=self.page_no(), pages="{nb}"), align="R")
        self.set_text_color(0, 0, 0)

    def fitted_lines(self, text: str, width: float, max_lines: int) -> list[str]:
        """``text`` wrapped to ``width`` in the current font, cut with "…" after ``max_lines``."""
        # Every sheet repeats the same names: measuring them once keeps big kits quick.
        key = (text, width, max_lines, self.font_family, self.font_style, self.font_size_pt)
        if key not in self._fitted:
            self._fitted[key] = self._fit(text, width, max_lines)
        return self._fitted[key]

    def _fit(self, text: str, width: float, max_lines: int) -> list[str]:
        lines = self.multi_cell(width, 4, text, dry_run=True, output="LINES") if text else [""]
        if len(lines) <= max_lines:
            return lines
        kept = lines[:max_lines]
        last = kept[-1]
        while last and self.get_string_width(last + "…") > width - 2 * self.c_margin:
            last = last[:-1]
        kept[-1] = last.rstrip() + "…"
        return kept

    def text_in_box(self, x: float, y: float, width: float, height: float, lines: list[str]) -> None:
        """Lines centred vertically in a box, left-aligned."""
        line_height = self.font_size * 1.25
        top = y + (height - line_height * len(lines)) / 2
        for index, line in enumerate(lines):
            self.set_xy(x, top + index * line_height)
            self.cell(width, line_height, line)


def _dates(cohort: Cohort) -> str:
    if cohort.start_date == cohort.end_date:
        return format_date(cohort.start_date, "long")
    return f"{format_date(cohort.start_date, 'long')} – {format_date(cohort.end_date, 'long')}"


def _times(session: TrainingSession) -> str:
    return f"{session.starts_at:%H:%M}–{session.ends_at:%H:%M}"


def _modules(session: TrainingSession) -> str:
    return "; ".join(module.display_title for module in session.modules)


def _position(enrollment: Enrollment) -> str:
    user = enrollment.user
    parts = [user.position, user.institution.name if user.institution else ""]
    return ", ".join(part for part in parts if part)


def _trainers(cohort: Cohort) -> str:
    names = [cohort.lead_trainer.full_name]
    names += [t.full_name for t in cohort.co_trainers if t.id != cohort.lead_trainer_id]
    return ", ".join(names)


def _fact(pdf: KitDocument, label: str, value: str) -> None:
    pdf.set_font(FONT, "B", 10)
    pdf.set_x(MARGIN)
    pdf.cell(45, 6, label)
    pdf.set_font(FONT, "", 10)
    pdf.multi_cell(0, 6, value or "—", align="L", new_x="LMARGIN", new_y="NEXT")


def _cover(pdf: KitDocument, cohort: Cohort, sessions: list[TrainingSession], enrolled: int) -> None:
    pdf.add_page()
    pdf.set_font(FONT, "", 10)
    pdf.set_text_color(110, 110, 110)
    pdf.cell(0, 6, _("Session kit") + f" · {cohort.course.code}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font(FONT, "B", 16)
    pdf.multi_cell(0, 8, cohort.course.display_title, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    _fact(pdf, _("Dates"), _dates(cohort))
    district = cohort.district
    _fact(pdf, _("District"), f"{district.display_name}, {district.region.display_name}")
    _fact(pdf, _("Venue"), cohort.venue)
    _fact(pdf, _("Trainers"), _trainers(cohort))
    _fact(pdf, _("Enrolled participants"), str(enrolled))
    pdf.ln(4)
    pdf.set_font(FONT, "B", 12)
    pdf.cell(0, 8, _("Sessions"), new_x="LMARGIN", new_y="NEXT")
    if not sessions:
        pdf.set_font(FONT, "", 10)
        pdf.cell(0, 6, _("No sessions are planned yet."), new_x="LMARGIN", new_y="NEXT")
    for number, session in enumerate(sessions, start=1):
        if pdf.get_y() > pdf.bottom - 14:
            pdf.add_page()
        pdf.set_font(FONT, "B", 10)
        heading = f"{number}. {format_date(session.date, 'full')}, {_times(session)}"
        pdf.multi_cell(0, 6, heading, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FONT, "", 9)
        details = session.effective_venue
        if session.modules:
            details += "\n" + _modules(session)
        pdf.set_x(MARGIN + 5)
        pdf.multi_cell(0, 5, details, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
    pdf.ln(4)
    pdf.set_font(FONT, "", 9)
    pdf.set_text_color(80, 80, 80)
    pdf.multi_cell(
        0,
        5,
        _(
            "Print one sign-in sheet per session. The numbers on the sheets are the numbers on the "
            "attendance page, so the marks can be entered from the paper afterwards (tick "
            "“entered from the paper sheet”). Walk-ins write their name in the empty rows."
        ),
        align="L",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_text_color(0, 0, 0)


def _line(pdf: KitDocument, text: str, size: float, *, style: str = "", max_lines: int = 2) -> None:
    """A left-aligned paragraph of at most ``max_lines`` lines (cut with "…")."""
    pdf.set_font(FONT, style, size)
    height = size * 0.45
    for line in pdf.fitted_lines(text, pdf.epw, max_lines):
        pdf.cell(0, height, line, new_x="LMARGIN", new_y="NEXT")


def _sheet_header(pdf: KitDocument, cohort: Cohort, session: TrainingSession, day: int, days: int) -> None:
    pdf.add_page()
    pdf.set_font(FONT, "B", 13)
    pdf.cell(pdf.epw / 2, 7, _("Sign-in sheet"))
    pdf.set_font(FONT, "", 9)
    when = _("Session %(number)s of %(total)s", number=day, total=days)
    pdf.cell(0, 7, when, align="R", new_x="LMARGIN", new_y="NEXT")
    _line(pdf, cohort.course.display_title, 10, style="B")
    _line(pdf, f"{format_date(session.date, 'full')} · {_times(session)}", 9)
    _line(pdf, f"{_('Venue')}: {session.effective_venue}, {cohort.district.display_name}", 9)
    if session.modules:
        _line(pdf, f"{_('Modules')}: {_modules(session)}", 8)
    pdf.ln(1.5)
    pdf.set_font(FONT, "", 9)
    pdf.cell(pdf.epw * 0.55, 6, f"{_('Trainer')}: {cohort.lead_trainer.full_name}")
    pdf.cell(0, 6, _("Signature") + ": ______________________", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


def _continued_header(pdf: KitDocument, cohort: Cohort, session: TrainingSession) -> None:
    pdf.add_page()
    pdf.set_font(FONT, "", 9)
    pdf.set_text_color(90, 90, 90)
    text = (
        f"{_('Sign-in sheet')} · {format_date(session.date, 'long')} · {_times(session)} · {_('continued')}"
    )
    pdf.cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.ln(2)


def _column_widths(pdf: KitDocument) -> list[float]:
    return [NUMBER_WIDTH, NAME_WIDTH, POSITION_WIDTH, pdf.epw - NUMBER_WIDTH - NAME_WIDTH - POSITION_WIDTH]


def _table_header(pdf: KitDocument) -> None:
    pdf.set_font(FONT, "B", 9)
    pdf.set_fill_color(*GREY)
    labels = [_("No."), _("Full name"), _("Position, institution"), _("Signature")]
    x, y = MARGIN, pdf.get_y()
    for width, label in zip(_column_widths(pdf), labels, strict=True):
        pdf.rect(x, y, width, HEADER_ROW_HEIGHT, style="DF")
        pdf.text_in_box(x, y, width, HEADER_ROW_HEIGHT, pdf.fitted_lines(label, width, 2))
        x += width
    pdf.set_xy(MARGIN, y + HEADER_ROW_HEIGHT)


def _row(pdf: KitDocument, number: int, name: str, position: str) -> None:
    x, y = MARGIN, pdf.get_y()
    widths = _column_widths(pdf)
    for width in widths:
        pdf.rect(x, y, width, ROW_HEIGHT)
        x += width
    pdf.set_font(FONT, "", 9)
    pdf.text_in_box(MARGIN, y, widths[0], ROW_HEIGHT, [str(number)])
    pdf.text_in_box(MARGIN + widths[0], y, widths[1], ROW_HEIGHT, pdf.fitted_lines(name, widths[1], 2))
    pdf.set_font(FONT, "", 7.5)
    pdf.text_in_box(
        MARGIN + widths[0] + widths[1], y, widths[2], ROW_HEIGHT, pdf.fitted_lines(position, widths[2], 2)
    )
    pdf.set_xy(MARGIN, y + ROW_HEIGHT)


def _fits_a_row(pdf: KitDocument) -> bool:
    return pdf.get_y() + ROW_HEIGHT <= pdf.bottom


def _rows_left_on_page(pdf: KitDocument) -> int:
    return int((pdf.bottom - pdf.get_y()) // ROW_HEIGHT)


def _sign_in_sheet(
    pdf: KitDocument, cohort: Cohort, session: TrainingSession, day: int, days: int, people: list[Enrollment]
) -> None:
    _sheet_header(pdf, cohort, session, day, days)
    _table_header(pdf)
    number = 0
    for number, enrollment in enumerate(people, start=1):
        if not _fits_a_row(pdf):
            _continued_header(pdf, cohort, session)
            _table_header(pdf)
        _row(pdf, number, enrollment.user.full_name, _position(enrollment))
    # Walk-ins fill the rest of the page, with at least a few rows even on a full page.
    if _rows_left_on_page(pdf) < MIN_WALK_IN_ROWS:
        _continued_header(pdf, cohort, session)
        _table_header(pdf)
    for extra in range(_rows_left_on_page(pdf)):
        _row(pdf, number + extra + 1, "", "")


def session_kit_pdf(cohort: Cohort) -> bytes:
    """The kit as PDF bytes: a cover page, then a sign-in sheet for each session listing the
    enrolled people in the attendance grid's order, then empty rows for walk-ins, then what
    other features add (the personal slips for the tests). Those may make rows (a missing
    pass): the caller commits."""
    sessions = db.session.scalars(
        select(TrainingSession)
        .where(TrainingSession.cohort_id == cohort.id)
        .options(selectinload(TrainingSession.modules))
        .order_by(TrainingSession.date, TrainingSession.starts_at)
    ).all()
    people = roster(cohort)
    pdf = KitDocument(cohort)
    _cover(pdf, cohort, sessions, len(people))
    for day, session in enumerate(sessions, start=1):
        _sign_in_sheet(pdf, cohort, session, day, len(sessions), people)
    add_kit_pages(pdf, cohort, people)
    return bytes(pdf.output())
