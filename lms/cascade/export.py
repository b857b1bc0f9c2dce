"""The cascade tree of a subtree, a region or the programme, as CSV and as an SVG diagram.

One row per trainer in tree order (each trainer followed by the trainers she certified, in
alphabetical order), computed in a fixed number of queries whatever the size. The CSV has every
trainer; the diagram is bounded (``MAX_SVG_NODES``): a larger tree is cut at the deepest
generation that fits, and the diagram says so.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup, escape
from sqlalchemy import func, select

from lms.accounts.models import User
from lms.cascade import metrics
from lms.cascade.models import StepDownEvent, TrainerLineage
from lms.certificates.models import Certificate
from lms.cohorts.models import Cohort
from lms.core.cells import safe_cell
from lms.core.collation import sort_key
from lms.courses.models import Accreditation, Course
from lms.extensions import db

MAX_SVG_NODES = 250
INDENT, ROW, BOX_WIDTH, BOX_HEIGHT, MARGIN = 26, 44, 340, 36, 12


@dataclass
class Node:
    user_id: int
    name: str
    generation: int
    parent_id: int | None
    parent_name: str = ""
    courses: list[str] = field(default_factory=list)
    cohorts: int = 0
    people: int = 0
    headcount: int = 0
    dormant: bool = False
    depth: int = 0  # levels below the top of this export


def tree(scope: metrics.Scope, today: date) -> list[Node]:
    """Every trainer in ``scope``, in tree order, with what she delivered herself."""
    ids = scope.trainers()
    nodes = {
        user_id: Node(user_id, sort_name or full_name, generation, parent_id)
        for user_id, generation, parent_id, sort_name, full_name in db.session.execute(
            select(
                TrainerLineage.user_id,
                TrainerLineage.generation,
                TrainerLineage.parent_id,
                User.sort_name,
                User.full_name,
            )
            .join(User, User.id == TrainerLineage.user_id)
            .where(TrainerLineage.user_id.in_(ids))
        )
    }
    if not nodes:
        return []
    parents = {n.parent_id for n in nodes.values() if n.parent_id is not None}
    parent_names = {
        user_id: sort_name or full_name
        for user_id, sort_name, full_name in db.session.execute(
            select(User.id, User.sort_name, User.full_name).where(User.id.in_(list(parents)))
        )
    }
    for user_id, code in db.session.execute(
        select(Accreditation.user_id, Course.code)
        .join(Course, Course.id == Accreditation.course_id)
        .where(Accreditation.user_id.in_(ids), Accreditation.revoked_at.is_(None))
        .order_by(Course.code)
    ):
        if code not in nodes[user_id].courses:
            nodes[user_id].courses.append(code)
    for user_id, count in db.session.execute(
        select(Cohort.lead_trainer_id, func.count(Cohort.id))
        .where(Cohort.lead_trainer_id.in_(ids), Cohort.status.in_(metrics.DELIVERED))
        .group_by(Cohort.lead_trainer_id)
    ):
        nodes[user_id].cohorts = count
    for user_id, count in db.session.execute(
        select(Cohort.lead_trainer_id, func.count(func.distinct(Certificate.user_id)))
        .join(Certificate, Certificate.cohort_id == Cohort.id)
        .where(Cohort.lead_trainer_id.in_(ids), Certificate.status == "valid")
        .group_by(Cohort.lead_trainer_id)
    ):
        nodes[user_id].people = count
    for user_id, total in db.session.execute(
        select(StepDownEvent.trainer_id, func.sum(StepDownEvent.headcount))
        .where(StepDownEvent.trainer_id.in_(ids))
        .group_by(StepDownEvent.trainer_id)
    ):
        nodes[user_id].headcount = int(total or 0)
    for user_id in metrics.activation(scope, today)["dormant_ids"]:
        if user_id in nodes:
            nodes[user_id].dormant = True
    children: dict[int | None, list[Node]] = {}
    for node in nodes.values():
        node.parent_name = parent_names.get(node.parent_id, "") if node.parent_id else ""
        top = node.parent_id if node.parent_id in nodes else None
        children.setdefault(top, []).append(node)
    for siblings in children.values():
        siblings.sort(key=lambda n: (sort_key(n.name), n.user_id))
    ordered: list[Node] = []
    stack = [(node, 0) for node in reversed(children.get(None, []))]
    while stack:
        node, depth = stack.pop()
        node.depth = depth
        ordered.append(node)
        stack.extend((child, depth + 1) for child in reversed(children.get(node.user_id, [])))
    return ordered


def csv_bytes(nodes: list[Node]) -> bytes:
    """UTF-8 with a BOM and semicolons, as spreadsheets in Ukraine open it; formulas neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(
        [
            _("Trainer"),
            _("Generation"),
            _("Certified by"),
            _("Accredited courses"),
            _("Trainings delivered"),
            _("People trained"),
            _("Step-down events headcount"),
            _("Dormant"),
        ]
    )
    for node in nodes:
        writer.writerow(
            [
                safe_cell(node.name),
                node.generation,
                safe_cell(node.parent_name),
                safe_cell(", ".join(node.courses)),
                node.cohorts,
                node.people,
                node.headcount,
                _("yes") if node.dormant else _("no"),
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def bounded(nodes: list[Node], limit: int = MAX_SVG_NODES) -> tuple[list[Node], bool]:
    """The nodes a diagram shows: all when they fit; else level by level from the top while they
    fit, the last level cut in tree order (so every node shown has its parent shown). Returns them
    and whether any were left out."""
    if len(nodes) <= limit:
        return nodes, False
    allowed: set[int] = set()
    budget = limit
    for level in sorted({n.depth for n in nodes}):
        at_level = [n for n in nodes if n.depth == level]
        taken = at_level[:budget]
        allowed.update(n.user_id for n in taken)
        budget -= len(taken)
        if budget <= 0 or len(taken) < len(at_level):
            break
    return [n for n in nodes if n.user_id in allowed], True


def _stats(node: Node) -> str:
    parts = [
        _("gen. %(n)s", n=node.generation),
        ngettext("%(num)d training", "%(num)d trainings", node.cohorts),
        ngettext("%(num)d trained", "%(num)d trained", node.people),
    ]
    if node.headcount:
        parts.append(ngettext("%(num)d at events", "%(num)d at events", node.headcount))
    if node.dormant:
        parts.append(_("dormant"))
    return " · ".join(parts)


def svg(nodes: list[Node], *, title: str) -> Markup:
    """An indented tree: one box per trainer, joined to the trainer who certified her."""
    shown, cut = bounded(nodes)
    note = ""
    if cut:
        note = _(
            "Too many trainers for one picture: showing %(shown)s of %(total)s, from the top down. "
            "The CSV has them all; a trainer's own page exports her part of the tree.",
            shown=len(shown),
            total=len(nodes),
        )
    elif not nodes:
        note = _("No trainers in the cascade yet.")
    top = 40 + (20 if note else 0)
    depth = max((n.depth for n in shown), default=0)
    width = MARGIN * 2 + depth * INDENT + BOX_WIDTH
    height = top + ROW * len(shown) + MARGIN
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="{escape(title)}" font-family="sans-serif">',
        f"<title>{escape(title)}</title>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fff"/>',
        f'<text x="{MARGIN}" y="24" font-size="15" font-weight="bold">{escape(title)}</text>',
    ]
    if note:
        parts.append(f'<text x="{MARGIN}" y="44" font-size="12" fill="#8a5a00">{escape(note)}</text>')
    position: dict[int, tuple[int, int]] = {}
    for index, node in enumerate(shown):
        x, y = MARGIN + node.depth * INDENT, top + ROW * index
        position[node.user_id] = (x, y)
        parent = position.get(node.parent_id) if node.depth else None
        if parent is not None:
            px = parent[0] + 10
            parts.append(
                f'<path d="M{px} {parent[1] + BOX_HEIGHT} V{y + BOX_HEIGHT // 2} H{x}" '
                'fill="none" stroke="#6c757d" stroke-width="1.2"/>'
            )
        stroke = 'stroke="#b35c00" stroke-dasharray="4 3"' if node.dormant else 'stroke="#0d6efd"'
        fill = "#fff8ec" if node.dormant else "#f3f7ff"
        parts.append(
            f'<rect x="{x}" y="{y}" width="{BOX_WIDTH}" height="{BOX_HEIGHT}" rx="5" fill="{fill}" {stroke}/>'
        )
        parts.append(
            f'<text x="{x + 8}" y="{y + 15}" font-size="12" font-weight="bold">{escape(node.name[:48])}</text>'
        )
        parts.append(
            f'<text x="{x + 8}" y="{y + 30}" font-size="11" fill="#495057">{escape(_stats(node))}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  # nosec B704 - every name and label is escaped above
