"""Server-side SVG charts (printable, no script, no CDN): each participant's pre and post."""

from markupsafe import Markup, escape

WIDTH, ROW, LEFT, RIGHT = 640, 22, 200, 20


def pre_post_svg(participants, *, title: str, pre_label: str, post_label: str) -> Markup:
    """A dumbbell chart: one row per participant, a grey dot for pre and a blue dot for post."""
    rows = [p for p in participants if p.pre is not None or p.post is not None]
    height = 40 + ROW * len(rows) + 30
    scale = (WIDTH - LEFT - RIGHT) / 100

    def x(value: float) -> float:
        return round(LEFT + value * scale, 1)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{escape(title)}" class="w-100" style="max-width:{WIDTH}px">',
        f"<title>{escape(title)}</title>",
    ]
    for tick in range(0, 101, 25):
        parts.append(f'<line x1="{x(tick)}" y1="30" x2="{x(tick)}" y2="{height - 25}" stroke="#ddd"/>')
        parts.append(
            f'<text x="{x(tick)}" y="{height - 8}" font-size="11" text-anchor="middle">{tick}%</text>'
        )
    parts.append(
        f'<circle cx="{LEFT}" cy="14" r="5" fill="#999"/><text x="{LEFT + 10}" y="18" font-size="12">{escape(pre_label)}</text>'
    )
    parts.append(
        f'<circle cx="{LEFT + 120}" cy="14" r="5" fill="#0d6efd"/><text x="{LEFT + 130}" y="18" font-size="12">{escape(post_label)}</text>'
    )
    for index, person in enumerate(rows):
        y = 40 + ROW * index + ROW / 2
        name = escape(person.enrollment.user.full_name[:28])
        parts.append(f'<text x="{LEFT - 8}" y="{y + 4}" font-size="12" text-anchor="end">{name}</text>')
        if person.pre is not None and person.post is not None:
            parts.append(
                f'<line x1="{x(person.pre)}" y1="{y}" x2="{x(person.post)}" y2="{y}" stroke="#6c9bd2" stroke-width="2"/>'
            )
        if person.pre is not None:
            parts.append(
                f'<circle cx="{x(person.pre)}" cy="{y}" r="5" fill="#999"><title>{person.pre}</title></circle>'
            )
        if person.post is not None:
            parts.append(
                f'<circle cx="{x(person.post)}" cy="{y}" r="5" fill="#0d6efd"><title>{person.post}</title></circle>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  # nosec B704 - names and labels are escaped above
