"""Writers of report files: XLSX, CSV (a ZIP of files) and a printable PDF.

Each writer takes a ``Cover`` (what the report covers, who exported it, the definitions) and the
report's tables, and streams every table's rows to a file on disk, one row at a time: openpyxl's
write-only workbook and ``zipfile``'s streaming entries keep memory flat whatever the number of
rows (bench/report_export.py measures it). The PDF is for reading, so it prints at most
``PDF_MAX_ROWS`` rows of each table and says so.

Every text cell goes through ``cells`` (formula neutralisation); numbers and dates stay numbers
and dates."""

import csv
import html
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _

from lms.core.cells import csv_cell, safe_cell
from lms.reports.tables import Table

XLSX_MAX_ROWS = 1_048_576 - 1  # a sheet's rows in Excel, less the header
PDF_MAX_ROWS = 500
CSV_DELIMITER = ";"  # what Excel expects where the decimal separator is a comma (Ukraine)
PROGRESS_EVERY = 1000


@dataclass
class Cover:
    """The first sheet, file or page: the report's title, its filters and who made it, and the
    definitions behind its figures."""

    title: str
    lines: list[tuple[str, str]]
    definitions: list[str] = field(default_factory=list)


class Counter:
    """Counts written rows and reports every ``every`` of them (a job's progress)."""

    def __init__(self, report: Callable[[int], None] | None = None, every: int = PROGRESS_EVERY):
        self.done, self.report, self.every = 0, report, every

    def step(self) -> None:
        self.done += 1
        if self.report is not None and self.done % self.every == 0:
            self.report(self.done)

    def finish(self) -> int:
        if self.report is not None and self.done % self.every:
            self.report(self.done)
        return self.done


# --- XLSX -------------------------------------------------------------------------------------

_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def sheet_name(title: str, taken: set[str]) -> str:
    """A sheet name Excel accepts (31 characters, none of ``[]:*?/\\``), unique in the book."""
    base = _SHEET_FORBIDDEN.sub(" ", title).strip().strip("'") or "Sheet"
    name, number = base[:31], 1
    while name.lower() in taken:
        number += 1
        suffix = f" ({number})"
        name = base[: 31 - len(suffix)] + suffix
    taken.add(name.lower())
    return name


class _Sheet:
    """A worksheet written row by row with a cell's type chosen by its value: text is always
    written as text (never as a formula, whatever it starts with), numbers as numbers, dates
    as dates."""

    def __init__(self, book, name: str, formats: dict):
        self.sheet = book.add_worksheet(name)
        self.formats = formats
        self.row = 0

    def header(self, headers: Sequence[str]) -> None:
        for column, header in enumerate(headers):
            self.sheet.set_column(column, column, min(max(len(str(header)) + 4, 12), 45))
        self.sheet.freeze_panes(1, 0)
        self.append(headers, self.formats["bold"])

    def append(self, values: Sequence, text_format=None) -> None:
        sheet, row = self.sheet, self.row
        for column, raw in enumerate(values):
            value = safe_cell(raw)
            if value is None or value == "":
                continue
            if isinstance(value, bool):
                sheet.write_boolean(row, column, value)
            elif isinstance(value, (int, float)):
                sheet.write_number(row, column, value)
            elif isinstance(value, datetime):
                sheet.write_datetime(row, column, value.replace(tzinfo=None), self.formats["datetime"])
            elif isinstance(value, date):
                sheet.write_datetime(row, column, value, self.formats["date"])
            else:
                sheet.write_string(row, column, value, text_format)
        self.row += 1


def write_xlsx(path: Path, cover: Cover, tables: Iterable[Table], counter: Counter | None = None) -> int:
    """One sheet for the cover, then one per table (a table longer than a sheet continues on
    the next one). XlsxWriter's ``constant_memory`` mode flushes each row to disk as soon as
    the next begins. Returns the number of rows written."""
    import xlsxwriter

    counter = counter or Counter()
    options = {
        "constant_memory": True,
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "tmpdir": str(path.parent),
    }
    book = xlsxwriter.Workbook(str(path), options)
    formats = {
        "bold": book.add_format({"bold": True}),
        "title": book.add_format({"bold": True, "font_size": 14}),
        "wrap": book.add_format({"text_wrap": True, "valign": "top"}),
        "date": book.add_format({"num_format": "dd.mm.yyyy"}),
        "datetime": book.add_format({"num_format": "dd.mm.yyyy hh:mm"}),
    }
    taken: set[str] = set()
    first = _Sheet(book, sheet_name(_("Filters"), taken), formats)
    first.sheet.set_column(0, 0, 28)
    first.sheet.set_column(1, 1, 100)
    first.append([cover.title], formats["title"])
    first.append([])
    for label, value in cover.lines:
        first.sheet.write_string(first.row, 0, safe_cell(label), formats["bold"])
        first.sheet.write_string(first.row, 1, safe_cell(value) or "", formats["wrap"])
        first.row += 1
    if cover.definitions:
        first.append([])
        first.append([_("Definitions")], formats["bold"])
        for definition in cover.definitions:
            first.sheet.write_string(first.row, 1, safe_cell(definition), formats["wrap"])
            first.row += 1
    for table in tables:
        sheet = _Sheet(book, sheet_name(table.title, taken), formats)
        sheet.header(table.headers)
        for row in table.rows:
            if sheet.row > XLSX_MAX_ROWS:
                sheet = _Sheet(book, sheet_name(table.title, taken), formats)
                sheet.header(table.headers)
            sheet.append(row)
            counter.step()
    book.close()
    return counter.finish()


# --- CSV --------------------------------------------------------------------------------------


def csv_name(position: int, key: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9_-]+", "-", key).strip("-") or "table"
    return f"{position:02d}-{safe}.csv"


def _csv_entry(archive: zipfile.ZipFile, name: str):
    """A text stream into a new ZIP entry: UTF-8 with a byte order mark (Excel reads Cyrillic
    right only with it), rows separated by CRLF as RFC 4180 says."""
    raw = archive.open(name, "w", force_zip64=True)
    return io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")


def write_csv_zip(path: Path, cover: Cover, tables: Iterable[Table], counter: Counter | None = None) -> int:
    """A ZIP with ``00-filters.csv`` (the cover) and one CSV per table, in order."""
    counter = counter or Counter()
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with _csv_entry(archive, csv_name(0, "filters")) as stream:
            writer = csv.writer(stream, delimiter=CSV_DELIMITER)
            writer.writerow([csv_cell(cover.title), ""])
            for label, value in cover.lines:
                writer.writerow([csv_cell(label), csv_cell(value)])
            for definition in cover.definitions:
                writer.writerow([csv_cell(_("Definition")), csv_cell(definition)])
        for position, table in enumerate(tables, start=1):
            with _csv_entry(archive, csv_name(position, table.key)) as stream:
                writer = csv.writer(stream, delimiter=CSV_DELIMITER)
                writer.writerow([csv_cell(header) for header in table.headers])
                for row in table.rows:
                    writer.writerow([csv_cell(value) for value in row])
                    counter.step()
    return counter.finish()


# --- PDF --------------------------------------------------------------------------------------


def _register_fonts() -> tuple[str, str]:
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    from lms.certificates.render import BOLD, FONT_DIR, REGULAR

    if REGULAR not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(REGULAR, str(FONT_DIR / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont(BOLD, str(FONT_DIR / "DejaVuSans-Bold.ttf")))
    for bold, italic, name in ((0, 0, REGULAR), (1, 0, BOLD), (0, 1, REGULAR), (1, 1, BOLD)):
        addMapping(REGULAR, bold, italic, name)
    return REGULAR, BOLD


def escape(text: str) -> str:
    """Text for a reportlab paragraph, whose markup is XML-like: ``&``, ``<`` and ``>`` escaped."""
    return html.escape(text, quote=False)


def _pdf_text(value) -> str:
    """A cell as printed text (the PDF runs no formulas; markup is escaped for reportlab)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",") if not value.is_integer() else str(int(value))
    if isinstance(value, (date, datetime)):
        return value.strftime("%d.%m.%Y")
    return escape(str(value))


def _number(value) -> float:
    try:
        return float(value) if value is not None else 0.0
    except (TypeError, ValueError):
        return 0.0


def _chart(table: Table, rows: list[Sequence], width: float, font: str):
    """Bars of a table with a ``chart`` hint (at most 20 groups), with a legend."""
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.charts.legends import Legend
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.lib import colors

    hint = table.chart
    rows = rows[:20]
    if hint is None or not rows:
        return None
    palette = [colors.HexColor("#0d5391"), colors.HexColor("#e07b00"), colors.HexColor("#2e8540")]
    height = 190
    drawing = Drawing(width, height)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 40, 45, width - 220, height - 70
    chart.data = [[_number(row[i]) for row in rows] for i in hint.values]
    chart.categoryAxis.categoryNames = [str(row[hint.label])[:18] for row in rows]
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 6
    chart.categoryAxis.labels.angle = 20 if len(rows) > 6 else 0
    chart.categoryAxis.labels.boxAnchor = "ne" if len(rows) > 6 else "n"
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    for index in range(len(hint.values)):
        chart.bars[index].fillColor = palette[index % len(palette)]
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y = width - 170, height - 30
    legend.fontName, legend.fontSize = font, 7
    legend.colorNamePairs = [
        (palette[i % len(palette)], str(table.headers[column])[:30]) for i, column in enumerate(hint.values)
    ]
    drawing.add(legend)
    if hint.title:
        drawing.add(String(40, height - 12, hint.title, fontName=font, fontSize=9))
    return drawing


def _widths(headers: Sequence[str], rows: list[Sequence], width: float) -> list[float]:
    """Column widths in proportion to what they hold (the longest of the header's words and of
    the first rows' texts, within bounds), filling ``width``."""
    weights = []
    for index, header in enumerate(headers):
        longest_word = max((len(word) for word in str(header).split()), default=4)
        longest_cell = max((len(_pdf_text(row[index])) for row in rows[:50] if index < len(row)), default=0)
        weights.append(min(max(longest_word, longest_cell, 4), 40))
    total = sum(weights) or 1
    return [width * weight / total for weight in weights]


def write_pdf(
    path: Path,
    cover: Cover,
    tables: Iterable[Table],
    counter: Counter | None = None,
    max_rows: int = PDF_MAX_ROWS,
) -> int:
    """Landscape A4: the title and filters, the definitions, then each table (its chart first
    when it has one), at most ``max_rows`` rows each."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, TableStyle
    from reportlab.platypus import Table as PdfTable

    counter = counter or Counter()
    regular, bold = _register_fonts()
    styles = {
        "title": ParagraphStyle("title", fontName=bold, fontSize=16, leading=20, spaceAfter=6),
        "h2": ParagraphStyle("h2", fontName=bold, fontSize=12, leading=15, spaceBefore=10, spaceAfter=4),
        "body": ParagraphStyle("body", fontName=regular, fontSize=8.5, leading=11),
        "note": ParagraphStyle("note", fontName=regular, fontSize=7.5, leading=10, textColor=colors.grey),
        "cell": ParagraphStyle("cell", fontName=regular, fontSize=6.5, leading=8),
        "head": ParagraphStyle("head", fontName=bold, fontSize=6.5, leading=8),
    }
    page = landscape(A4)
    margin = 12 * mm
    width = page[0] - 2 * margin
    footer = f"{cover.title}"

    def decorate(canvas, document) -> None:
        canvas.saveState()
        canvas.setFont(regular, 7)
        canvas.setFillColor(colors.grey)
        canvas.drawString(margin, 7 * mm, footer[:150])
        canvas.drawRightString(page[0] - margin, 7 * mm, str(document.page))
        canvas.restoreState()

    story: list = [Paragraph(escape(cover.title), styles["title"])]
    lines = [
        [Paragraph(escape(label), styles["head"]), Paragraph(escape(value), styles["body"])]
        for label, value in cover.lines
    ]
    if lines:
        grid = PdfTable(lines, colWidths=[45 * mm, width - 45 * mm], hAlign="LEFT")
        grid.setStyle(
            TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)])
        )
        story.append(grid)
    if cover.definitions:
        story.append(Paragraph(escape(_("Definitions")), styles["h2"]))
        story.extend(Paragraph(escape(text), styles["body"]) for text in cover.definitions)
    for table in tables:
        story.append(Paragraph(escape(table.title), styles["h2"]))
        if table.definition:
            story.append(Paragraph(escape(table.definition), styles["note"]))
        for note in table.notes:
            story.append(Paragraph(escape(note), styles["note"]))
        rows: list[Sequence] = []
        more = False
        for row in table.rows:
            if len(rows) == max_rows:
                more = True
                break
            rows.append(row)
            counter.step()
        chart = _chart(table, rows, width, regular)
        if chart is not None:
            story.append(chart)
        if not rows:
            story.append(Paragraph(escape(_("No rows.")), styles["body"]))
            continue
        len(table.headers)
        data = [[Paragraph(escape(str(h)), styles["head"]) for h in table.headers]]
        data += [[Paragraph(_pdf_text(v), styles["cell"]) for v in row] for row in rows]
        grid = PdfTable(data, colWidths=_widths(table.headers, rows, width), repeatRows=1)
        grid.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#b8bec6")),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8edf2")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
                ]
            )
        )
        story.append(grid)
        if more:
            total = table.size()
            if total is not None:
                text = ngettext(
                    "The first %(shown)s rows of %(num)d are printed; the XLSX and CSV exports hold all.",
                    "The first %(shown)s rows of %(num)d are printed; the XLSX and CSV exports hold all.",
                    total,
                    shown=format_decimal(max_rows),
                )
            else:
                text = _(
                    "Only the first %(shown)s rows are printed; the XLSX and CSV exports hold all.",
                    shown=format_decimal(max_rows),
                )
            story.append(KeepTogether([Spacer(1, 3), Paragraph(escape(text), styles["note"])]))
    document = SimpleDocTemplate(
        str(path),
        pagesize=page,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=14 * mm,
        title=cover.title,
        author="Cascade LMS",
    )
    document.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return counter.finish()


WRITERS = {"xlsx": write_xlsx, "csv": write_csv_zip, "pdf": write_pdf}
