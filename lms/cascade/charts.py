"""Server-side SVG charts of the cascade (printable, no script, no CDN): activation over time."""

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy import select

from lms.cascade import metrics
from lms.cascade.models import StepDownEvent, TrainerLineage
from lms.cohorts.models import Cohort
from lms.extensions import db

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 640, 240, 40, 40, 34
MAX_QUARTERS = 12
ACCREDITED, ACTIVATED = "#adb5bd", "#0d6efd"


@dataclass
class Quarter:
    year: int
    quarter: int
    accredited: int = 0
    activated: int = 0
    open: bool = False  # some of its trainers are still within their N days

    @property
    def label(self) -> str:
        return _("Q%(q)s %(year)s", q=self.quarter, year=self.year)

    @property
    def short_label(self) -> str:
        return _("Q%(q)s", q=self.quarter)


def _quarter(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def activation_by_quarter(scope: metrics.Scope, today: date) -> list[Quarter]:
    """Per quarter of accreditation (the last ``MAX_QUARTERS`` with any): trainers accredited, and
    of them those who delivered a training or an event within N days (the activation rule)."""
    days = metrics.activation_days()
    rows = db.session.execute(
        select(TrainerLineage.user_id, TrainerLineage.accredited_on).where(
            TrainerLineage.user_id.in_(scope.trainers()), TrainerLineage.active.is_(True)
        )
    ).all()
    if not rows:
        return []
    delivered: dict[int, list[date]] = {}
    trainers = select(TrainerLineage.user_id).where(TrainerLineage.user_id.in_(scope.trainers()))
    for trainer_id, day in db.session.execute(
        select(Cohort.lead_trainer_id, Cohort.start_date)
        .where(Cohort.lead_trainer_id.in_(trainers), Cohort.status.in_(metrics.DELIVERED))
        .union_all(
            select(StepDownEvent.trainer_id, StepDownEvent.date).where(StepDownEvent.trainer_id.in_(trainers))
        )
    ):
        delivered.setdefault(trainer_id, []).append(day)
    quarters: dict[tuple[int, int], Quarter] = {}
    for user_id, accredited_on in rows:
        key = _quarter(accredited_on)
        row = quarters.setdefault(key, Quarter(*key))
        row.accredited += 1
        limit = accredited_on + timedelta(days=days)
        if any(accredited_on <= day <= limit for day in delivered.get(user_id, [])):
            row.activated += 1
        if limit > today:
            row.open = True
    first = min(quarters)
    last = max(max(quarters), _quarter(today))
    series, (year, quarter) = [], first
    while (year, quarter) <= last:
        series.append(quarters.get((year, quarter), Quarter(year, quarter)))
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    return series[-MAX_QUARTERS:]


def legend(days: int) -> tuple[str, str]:
    """The two series' names (the page shows them beside the chart, which may scroll)."""
    return _("accredited"), _("activated within %(days)s days", days=days)


def activation_svg(series: list[Quarter], *, title: str, days: int) -> Markup:
    """Grouped bars per quarter: accredited (grey) and activated (blue); open quarters hatched
    by a lighter blue, since their trainers may still activate."""
    top = max((q.accredited for q in series), default=0) or 1
    plot = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - 10) / max(len(series), 1)
    bar = min(22.0, slot / 2 - 4)

    def y(value: int) -> float:
        return round(TOP + plot - plot * value / top, 1)

    accredited, activated = legend(days)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" class="w-100" style="max-width:{WIDTH}px">',
        f"<title>{escape(title)}</title>",
    ]
    step = max(1, -(-top // 4))
    for tick in range(0, top + 1, step):
        parts.append(f'<line x1="{LEFT}" y1="{y(tick)}" x2="{WIDTH - 10}" y2="{y(tick)}" stroke="#e5e5e5"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y(tick) + 4}" font-size="12" text-anchor="end">{tick}</text>')
    for index, row in enumerate(series):
        x = round(LEFT + slot * index + slot / 2, 1)
        fill = "#8fb8f7" if row.open else ACTIVATED
        for offset, value, colour, name in (
            (-bar - 1, row.accredited, ACCREDITED, accredited),
            (1, row.activated, fill, activated),
        ):
            parts.append(
                f'<rect x="{round(x + offset, 1)}" y="{y(value)}" width="{round(bar, 1)}" '
                f'height="{round(TOP + plot - y(value), 1)}" fill="{colour}">'
                f"<title>{escape(row.label)}: {escape(name)} {value}</title></rect>"
            )
            if value:  # the figure over its bar: readable without the axis, which scrolls away
                parts.append(
                    f'<text x="{round(x + offset + bar / 2, 1)}" y="{y(value) - 4}" font-size="12" '
                    f'text-anchor="middle">{value}</text>'
                )
        # The quarter under each pair, the year under its first quarter (and the first shown).
        parts.append(
            f'<text x="{x}" y="{HEIGHT - BOTTOM + 15}" font-size="12" text-anchor="middle">'
            f"{escape(row.short_label)}</text>"
        )
        if row.quarter == 1 or index == 0:
            parts.append(
                f'<text x="{x}" y="{HEIGHT - BOTTOM + 30}" font-size="12" text-anchor="middle" '
                f'fill="#495057">{row.year}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  # nosec B704 - labels are escaped above
