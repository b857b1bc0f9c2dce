"""Server-side SVG charts for the dashboards: printable, no script, no CDN, readable on a phone.

Every chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` that lists its data in
words (what a screen reader reads, and what is left when the picture cannot be seen); the SVG
scales to its container (``viewBox``, ``width="100%"``). Labels are escaped here. With nothing to
draw, a chart is a short sentence instead of an empty frame.

Sizes are in viewBox units: the narrow width (420) keeps the text large when a phone shrinks it.
Long labels are shortened on the picture (``…``) and given whole in the ``<desc>``.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 420
FONT = 14
LABEL = 46  # characters of a label that fit across the chart
BLUE, GREY, ORANGE, GRID = "#0d6efd", "#8c959f", "#fd7e14", "#dee2e6"


@dataclass(frozen=True)
class Series:
    """One named row of values in a stacked chart, drawn in ``colour``."""

    label: str
    values: Sequence[float]
    colour: str = BLUE


def _number(value: float) -> str:
    """A value as the chart writes it: whole numbers without decimals, others to one place."""
    value = float(value)
    return f"{value:.0f}" if value.is_integer() else f"{value:.1f}"


def _svg(height: float, title: str, desc: str, body: list[str], *, kind: str) -> Markup:
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {round(height)}" width="100%" '
        f'preserveAspectRatio="xMidYMin meet" role="img" aria-label="{escape(title)}" '
        f'class="chart chart-{kind}" font-family="system-ui, sans-serif" font-size="{FONT}">',
        f"<title>{escape(title)}</title>",
        f"<desc>{escape(desc)}</desc>",
        *body,
        "</svg>",
    ]
    return Markup("".join(parts))  # noqa: S704  # nosec B704 - every label and value is escaped above or in body


def empty(text: str) -> Markup:
    """What a chart shows with no data: one sentence."""
    return Markup(f'<p class="chart-empty text-body-secondary small mb-0">{escape(text)}</p>')  # noqa: S704  # nosec B704 - text is escaped


def _short(label: str, limit: int = LABEL) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def _describe(labels: Sequence[str], values: Sequence[str]) -> str:
    return "; ".join(f"{label}: {value}" for label, value in zip(labels, values, strict=True))


def vertical_bars(
    points: Sequence[tuple[str, float]],
    *,
    title: str,
    empty_text: str,
    sublabels: Sequence[str] | None = None,
    maximum: float | None = None,
    suffix: str = "",
) -> Markup:
    """One bar per point, labelled below (``sublabels``: a second line, e.g. the year) with its
    value above. Heights are proportional to the values (``maximum``: the top of the scale,
    default the largest value). ``None`` values draw no bar and read "—"."""
    if not points:
        return empty(empty_text)
    top, bottom, left, right = 24, 44 if sublabels else 28, 8, 8
    plot = 180
    height = top + plot + bottom
    values = [value for _label, value in points]
    scale_max = maximum if maximum is not None else max((v for v in values if v is not None), default=0)
    slot = (WIDTH - left - right) / len(points)
    bar = max(min(slot * 0.7, 60), 2)
    body = [f'<line x1="{left}" y1="{top + plot}" x2="{WIDTH - right}" y2="{top + plot}" stroke="{GREY}"/>']
    small = FONT - 2 if len(points) > 8 else FONT
    for index, (label, value) in enumerate(points):
        centre = left + slot * index + slot / 2
        if value is not None:
            h = plot * value / scale_max if scale_max else 0
            body.append(
                f'<rect x="{centre - bar / 2:.1f}" y="{top + plot - h:.1f}" width="{bar:.1f}" '
                f'height="{h:.1f}" fill="{BLUE}"><title>{escape(label)}: {_number(value)}{escape(suffix)}</title></rect>'
            )
        shown = "—" if value is None else f"{_number(value)}{suffix}"
        y_value = top + plot - (plot * value / scale_max if value and scale_max else 0) - 5
        body.append(
            f'<text x="{centre:.1f}" y="{y_value:.1f}" text-anchor="middle" font-size="{small}">{escape(shown)}</text>'
        )
        body.append(
            f'<text x="{centre:.1f}" y="{top + plot + 16}" text-anchor="middle" font-size="{small}">{escape(label)}</text>'
        )
        if sublabels and sublabels[index]:
            body.append(
                f'<text x="{centre:.1f}" y="{top + plot + 32}" text-anchor="middle" font-size="{small - 1}" '
                f'fill="#555">{escape(sublabels[index])}</text>'
            )
    labels = [
        f"{label} {sublabels[i]}".strip() if sublabels else label for i, (label, _v) in enumerate(points)
    ]
    shown = ["—" if v is None else f"{_number(v)}{suffix}" for _l, v in points]
    return _svg(height, title, _describe(labels, shown), body, kind="columns")


def horizontal_bars(points: Sequence[tuple[str, float]], *, title: str, empty_text: str) -> Markup:
    """One row per point: the label on its own line (long oblast names fit on a phone), the bar
    below it with its value at the end. Lengths are proportional to the values; all zero is
    nothing to draw."""
    if not any(value for _label, value in points):
        return empty(empty_text)
    row, left, right = 44, 4, 56
    height = row * len(points) + 8
    scale_max = max(value for _label, value in points) or 0
    span = WIDTH - left - right
    body = []
    for index, (label, value) in enumerate(points):
        y = row * index
        length = span * value / scale_max if scale_max else 0
        body.append(f'<text x="{left}" y="{y + 16}">{escape(_short(label))}</text>')
        body.append(
            f'<rect x="{left}" y="{y + 22}" width="{length:.1f}" height="14" fill="{BLUE}">'
            f"<title>{escape(label)}: {_number(value)}</title></rect>"
        )
        body.append(
            f'<text x="{left + length + 6:.1f}" y="{y + 34}" font-weight="600">{_number(value)}</text>'
        )
    return _svg(
        height,
        title,
        _describe([p[0] for p in points], [_number(p[1]) for p in points]),
        body,
        kind="bars",
    )


def dumbbells(
    rows: Sequence[tuple[str, float | None, float | None]],
    *,
    title: str,
    empty_text: str,
    pre_label: str,
    post_label: str,
) -> Markup:
    """Pre against post on a 0–100 % scale, one row per label: a grey dot (pre), a blue dot
    (post) and the line between them."""
    rows = [r for r in rows if r[1] is not None or r[2] is not None]
    if not rows:
        return empty(empty_text)
    row, left, right, top = 46, 12, 16, 30
    height = top + row * len(rows) + 24
    span = WIDTH - left - right

    def x(value: float) -> float:
        return left + span * value / 100

    body = [
        f'<circle cx="{left + 6}" cy="12" r="6" fill="{GREY}"/><text x="{left + 16}" y="17">{escape(pre_label)}</text>',
        f'<circle cx="{left + 186}" cy="12" r="6" fill="{BLUE}"/><text x="{left + 196}" y="17">{escape(post_label)}</text>',
    ]
    for tick in range(0, 101, 25):
        body.append(
            f'<line x1="{x(tick):.1f}" y1="{top}" x2="{x(tick):.1f}" y2="{height - 20}" stroke="{GRID}"/>'
            f'<text x="{x(tick):.1f}" y="{height - 6}" text-anchor="middle" font-size="{FONT - 2}">{tick}%</text>'
        )
    described = []
    for index, (label, pre, post) in enumerate(rows):
        y = top + row * index
        body.append(f'<text x="{left}" y="{y + 14}">{escape(_short(label))}</text>')
        dots = y + 30
        if pre is not None and post is not None:
            body.append(
                f'<line x1="{x(pre):.1f}" y1="{dots}" x2="{x(post):.1f}" y2="{dots}" stroke="#6c9bd2" stroke-width="3"/>'
            )
        for value, colour, name in ((pre, GREY, pre_label), (post, BLUE, post_label)):
            if value is not None:
                body.append(
                    f'<circle cx="{x(value):.1f}" cy="{dots}" r="6" fill="{colour}">'
                    f"<title>{escape(name)}: {_number(value)}%</title></circle>"
                )
        described.append(
            f"{pre_label} {'—' if pre is None else _number(pre) + '%'}, "
            f"{post_label} {'—' if post is None else _number(post) + '%'}"
        )
    return _svg(height, title, _describe([r[0] for r in rows], described), body, kind="dumbbells")


def stacked_bars(labels: Sequence[str], series: Sequence[Series], *, title: str, empty_text: str) -> Markup:
    """One horizontal bar per label, split into the series' values (a legend on top), with the
    total at the end. Lengths are proportional to the totals."""
    totals = [sum(s.values[i] for s in series) for i in range(len(labels))]
    if not labels or not any(totals):
        return empty(empty_text)
    row, left, right, top = 44, 4, 64, 26
    height = top + row * len(labels) + 4
    span = WIDTH - left - right
    scale_max = max(totals)
    body = []
    legend_x = left
    for s in series:
        body.append(
            f'<rect x="{legend_x}" y="4" width="12" height="12" fill="{s.colour}"/>'
            f'<text x="{legend_x + 16}" y="15">{escape(s.label)}</text>'
        )
        legend_x += 26 + 8 * len(s.label)
    described = []
    for index, label in enumerate(labels):
        y = top + row * index
        body.append(f'<text x="{left}" y="{y + 14}">{escape(_short(label))}</text>')
        start = left
        for s in series:
            length = span * s.values[index] / scale_max
            if length:
                body.append(
                    f'<rect x="{start:.1f}" y="{y + 20}" width="{length:.1f}" height="14" fill="{s.colour}">'
                    f"<title>{escape(s.label)}: {_number(s.values[index])}</title></rect>"
                )
            start += length
        body.append(
            f'<text x="{start + 6:.1f}" y="{y + 32}" font-weight="600">{_number(totals[index])}</text>'
        )
        described.append(", ".join(f"{s.label} {_number(s.values[index])}" for s in series))
    return _svg(height, title, _describe(list(labels), described), body, kind="stacked")
