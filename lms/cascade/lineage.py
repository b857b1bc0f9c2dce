"""Keeping each trainer's edge in the cascade in step with her accreditations.

A trainer's parent is the lead trainer of the ToT cohort whose certificate gave her first
accreditation; an accreditation granted by an admin makes her a master trainer (generation 0)
and wins over any certificate. History entered later (a 2017 cohort) can move an edge, so every
change is checked: an edge that would make a person her own ancestor is refused.
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, select

from lms.accounts.models import User
from lms.cascade.models import TrainerLineage
from lms.cohorts.models import Cohort
from lms.core.errors import Conflict
from lms.courses.models import Accreditation
from lms.extensions import db
from lms.org.models import District, Institution


class CascadeCycle(Conflict):
    pass


def _first_accreditation(user_id: int) -> tuple[Accreditation | None, bool]:
    """The accreditation that places her in the cascade, and whether any is still in force."""
    rows = db.session.scalars(
        select(Accreditation)
        .where(Accreditation.user_id == user_id)
        .order_by(
            case((Accreditation.source == "admin", 0), else_=1), Accreditation.granted_on, Accreditation.id
        )
    ).all()
    return (rows[0] if rows else None), any(row.revoked_at is None for row in rows)


def _own_region(user_id: int) -> int | None:
    return db.session.scalar(
        select(District.region_id)
        .join(Institution, Institution.district_id == District.id)
        .join(User, User.institution_id == Institution.id)
        .where(User.id == user_id)
    )


def ancestors(user_id: int) -> list[int]:
    """Her trainer, her trainer's trainer, … up to the master trainer."""
    chain: list[int] = []
    current = db.session.get(TrainerLineage, user_id)
    while current is not None and current.parent_id is not None and len(chain) < 100:
        chain.append(current.parent_id)
        current = db.session.get(TrainerLineage, current.parent_id)
    return chain


def refresh_lineage(user_id: int, _depth: int = 0) -> TrainerLineage | None:
    """Recompute her edge; her descendants follow when her root or generation changed.
    Raises CascadeCycle when the edge would make her her own ancestor."""
    accreditation, in_force = _first_accreditation(user_id)
    row = db.session.get(TrainerLineage, user_id)
    if accreditation is None:
        if row is not None:
            db.session.delete(row)
        return None
    parent_row = None
    region_id = None
    if accreditation.source != "admin" and accreditation.source_cohort_id is not None:
        # Her trainer and the training's region, read in one statement (nothing loaded lazily).
        parent_id, region_id = db.session.execute(
            select(Cohort.lead_trainer_id, District.region_id)
            .join(District, District.id == Cohort.district_id)
            .where(Cohort.id == accreditation.source_cohort_id)
        ).one()
        if parent_id == user_id or user_id in ancestors(parent_id):
            raise CascadeCycle(_l("This would make a trainer the trainer of her own trainer."))
        parent_row = db.session.get(TrainerLineage, parent_id)
        if parent_row is None and _depth < 50:
            parent_row = refresh_lineage(parent_id, _depth + 1)
    values = {
        "parent_id": parent_row.user_id if parent_row else None,
        "root_id": parent_row.root_id if parent_row else user_id,
        "generation": parent_row.generation + 1 if parent_row else 0,
        "accreditation_id": accreditation.id,
        "source_cohort_id": accreditation.source_cohort_id if parent_row else None,
        "region_id": region_id if parent_row else _own_region(user_id),
        "accredited_on": accreditation.granted_on,
        "active": in_force,
    }
    if row is None:
        row = TrainerLineage(user_id=user_id)
        db.session.add(row)
    before = (row.root_id, row.generation)
    for name, value in values.items():
        setattr(row, name, value)
    db.session.flush()
    if before != (row.root_id, row.generation):
        _follow(row)
    return row


def _follow(row: TrainerLineage) -> None:
    """Carry a changed root and generation down to every descendant."""
    level = [row]
    while level:
        children = db.session.scalars(
            select(TrainerLineage).where(TrainerLineage.parent_id.in_([item.user_id for item in level]))
        ).all()
        parents = {item.user_id: item for item in level}
        for child in children:
            parent = parents[child.parent_id]
            child.root_id, child.generation = parent.root_id, parent.generation + 1
        level = list(children)
    db.session.flush()


def rebuild_all() -> int:
    """Recompute every trainer's edge (after importing history); returns how many."""
    user_ids = db.session.scalars(select(Accreditation.user_id).distinct()).all()
    for user_id in user_ids:
        refresh_lineage(user_id)
    return len(user_ids)
