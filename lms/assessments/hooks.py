"""What the tests add to a training's papers: the personal link in each invitation email and
a page of personal slips (QR code, short code) at the end of the session kit. Only for a course
that has questions: a link to tests that cannot exist would promise what does not work."""

import io

import segno
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import exists, select

from lms.assessments import access
from lms.assessments.models import Question
from lms.assessments.views_common import personal_url
from lms.cohorts import hooks
from lms.cohorts.kit import FONT, MARGIN, KitDocument
from lms.cohorts.models import Cohort, Enrollment
from lms.extensions import db

SLIP_COLUMNS = 2
SLIP_ROWS = 5
QR_SIZE = 30  # mm: scans from a phone held at arm's length


def has_tests(cohort: Cohort) -> bool:
    return bool(db.session.scalar(select(exists().where(Question.course_id == cohort.course_id))))


def _dates(cohort: Cohort) -> str:
    if cohort.start_date == cohort.end_date:
        return format_date(cohort.start_date, "long")
    return f"{format_date(cohort.start_date, 'long')} – {format_date(cohort.end_date, 'long')}"


@hooks.invitation_lines
def personal_link_lines(cohort: Cohort, enrollments: list[Enrollment]) -> dict:
    """Her personal link and code: she opens her pre- and post-test with no password."""
    if not has_tests(cohort):
        return {}
    passes, _made = access.passes_for(enrollments)

    def lines_for(access_pass):
        return lambda: [
            _(
                "Your pre-test and post-test open with your personal link, with no password. "
                "It works on the days of the training (%(dates)s) and opens only your own tests "
                "and results: do not pass it on.",
                dates=_dates(cohort),
            ),
            personal_url(access_pass),
            _(
                "In the room you can also open the room's link, choose your name and enter your "
                "personal code: %(code)s",
                code=access_pass.code,
            ),
        ]

    return {e.id: lines_for(passes[e.id]) for e in enrollments}


@hooks.kit_pages
def personal_slips(pdf: KitDocument, cohort: Cohort, people: list[Enrollment]) -> None:
    """Slips to cut and hand out, ten to a page: name, the personal link as a QR code, the
    short code for the room's link, and the dates it works."""
    if not people or not has_tests(cohort):
        return
    passes, _made = access.passes_for(people)
    width = (pdf.w - 2 * MARGIN) / SLIP_COLUMNS
    height = (pdf.bottom - MARGIN - 8) / SLIP_ROWS
    per_page = SLIP_COLUMNS * SLIP_ROWS
    dates = _dates(cohort)
    for index, enrollment in enumerate(people):
        if index % per_page == 0:
            pdf.add_page()
            pdf.set_font(FONT, "B", 11)
            pdf.cell(0, 6, _("Personal slips for the tests: cut along the lines and hand them out"))
        cell = index % per_page
        x = MARGIN + (cell % SLIP_COLUMNS) * width
        y = MARGIN + 8 + (cell // SLIP_COLUMNS) * height
        _slip(pdf, x, y, width, height, enrollment, passes[enrollment.id], dates)


def _slip(pdf: KitDocument, x: float, y: float, width: float, height: float, enrollment, access_pass, dates):
    pdf.set_draw_color(150, 150, 150)
    pdf.set_dash_pattern(dash=2, gap=1.5)
    pdf.rect(x, y, width, height)
    pdf.set_dash_pattern()
    image = io.BytesIO()
    segno.make(personal_url(access_pass), error="m").save(image, kind="png", scale=4, border=1)
    pdf.image(image, x=x + 3, y=y + (height - QR_SIZE) / 2, w=QR_SIZE)
    left = x + QR_SIZE + 6
    text_width = width - QR_SIZE - 9
    pdf.set_font(FONT, "B", 10)
    lines = pdf.fitted_lines(enrollment.user.full_name, text_width, 3)
    pdf.set_font(FONT, "", 8)
    lines_small = [
        *pdf.fitted_lines(_("Scan the code to open your tests."), text_width, 2),
        *pdf.fitted_lines(_("Valid: %(dates)s", dates=dates), text_width, 2),
    ]
    top = y + 4
    pdf.set_font(FONT, "B", 10)
    for line in lines:
        pdf.set_xy(left, top)
        pdf.cell(text_width, 5, line)
        top += 5
    pdf.set_font(FONT, "", 8)
    pdf.set_xy(left, top + 1)
    pdf.cell(text_width, 4, _("Personal code:"))
    pdf.set_font(FONT, "B", 14)
    pdf.set_xy(left, top + 5)
    pdf.cell(text_width, 7, access_pass.code)
    pdf.set_font(FONT, "", 8)
    top += 13
    for line in lines_small:
        pdf.set_xy(left, top)
        pdf.cell(text_width, 4, line)
        top += 4
