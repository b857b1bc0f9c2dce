"""Step-down events, and who may see which part of the cascade."""

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from lms.accounts.models import User
from lms.cascade.lineage import ancestors
from lms.cascade.metrics import subtree
from lms.cascade.models import AUDIENCES, StepDownEvent, TrainerLineage
from lms.core import audit
from lms.core.errors import NotFound, ValidationError
from lms.core.i18n import local_today
from lms.core.permissions import require
from lms.extensions import db
from lms.org.models import Community, District

AUDIENCE_LABELS = {
    "pupils": _l("Pupils"),
    "parents": _l("Parents"),
    "teachers": _l("Teachers"),
    "civil_servants": _l("Civil servants"),
    "social_workers": _l("Social workers"),
    "police": _l("Police officers"),
    "community": _l("Community members"),
    "other": _l("Other"),
}
EVENT_FIELDS = (
    "trainer_id", "course_id", "date", "district_id", "community_id", "audience", "headcount",
    "headcount_female", "headcount_under_18", "materials_distributed", "note",
)  # fmt: skip


def may_see_trainer(by, trainer_id: int) -> bool:
    """Admins see every trainer; a coordinator those of her regions; a trainer her own subtree."""
    if by.has_role("admin"):
        return True
    row = db.session.get(TrainerLineage, trainer_id)
    if row is None:
        return False
    if by.has_role("coordinator") and row.region_id in by.region_ids:
        return True
    return by.id == trainer_id or by.id in ancestors(trainer_id)


def trainer_for(trainer_id: int, *, by) -> TrainerLineage:
    require(by, "cascade.view")
    row = db.session.scalar(
        select(TrainerLineage)
        .where(TrainerLineage.user_id == trainer_id)
        .options(joinedload(TrainerLineage.user), joinedload(TrainerLineage.parent))
    )
    if row is None or not may_see_trainer(by, trainer_id):
        raise NotFound(_l("No such trainer in the cascade."))
    return row


def summary_region(by, region_id: int | None) -> int | None:
    """The region a summary covers: any (or all) for admins, one of hers for a coordinator."""
    if by.has_role("admin"):
        return region_id
    if region_id is None and len(by.region_ids) == 1:
        region_id = next(iter(by.region_ids))
    require(by, "cascade.summary", region_id)
    return region_id


def log_event(*, by, **values) -> StepDownEvent:
    """Log a step-down event; a trainer logs her own, a coordinator for trainers of her region."""
    require(by, "stepdown.log")
    unknown = set(values) - set(EVENT_FIELDS)
    if unknown:
        raise ValidationError(fields={name: [_l("Unknown field.")] for name in unknown})
    values.setdefault("trainer_id", by.id)
    problems: dict[str, list] = {}
    trainer = db.session.get(User, values.get("trainer_id") or 0)
    district = db.session.get(District, values.get("district_id") or 0)
    if trainer is None or "trainer" not in trainer.roles:
        problems["trainer_id"] = [_l("Choose a trainer.")]
    elif trainer.id != by.id and not by.has_role("admin"):
        row = db.session.get(TrainerLineage, trainer.id)
        if not (by.has_role("coordinator") and row is not None and row.region_id in by.region_ids):
            problems["trainer_id"] = [_l("You can log events for yourself only.")]
    if district is None:
        problems["district_id"] = [_l("Choose the district.")]
    elif (
        by.has_role("coordinator")
        and not by.has_role("admin", "trainer")
        and district.region_id not in by.region_ids
    ):
        problems["district_id"] = [_l("Choose a district of your region.")]
    community_id = values.get("community_id")
    if community_id:
        community = db.session.get(Community, community_id)
        if community is None or district is None or community.district_id != district.id:
            problems["community_id"] = [_l("The community is not in that district.")]
    when = values.get("date")
    if not isinstance(when, date):
        problems["date"] = [_l("Give the date.")]
    elif when > local_today():
        problems["date"] = [_l("An event is logged after it took place.")]
    if values.get("audience") not in AUDIENCES:
        problems["audience"] = [_l("Choose the audience.")]
    headcount = values.get("headcount")
    if not isinstance(headcount, int) or headcount < 1:
        problems["headcount"] = [_l("At least 1 person.")]
    elif headcount > 100000:
        problems["headcount"] = [_l("At most 100,000 people.")]
    for name in ("headcount_female", "headcount_under_18"):
        value = values.get(name) or 0
        if not isinstance(value, int) or value < 0:
            problems[name] = [_l("A whole number, 0 or more.")]
        elif isinstance(headcount, int) and value > headcount:
            problems[name] = [_l("Not more than the headcount.")]
    materials = values.get("materials_distributed") or 0
    if not isinstance(materials, int) or materials < 0:
        problems["materials_distributed"] = [_l("A whole number, 0 or more.")]
    if len(values.get("note") or "") > 2000:
        problems["note"] = [_l("At most 2,000 characters.")]
    if problems:
        raise ValidationError(fields=problems)
    event = StepDownEvent(
        trainer_id=trainer.id,
        course_id=values.get("course_id"),
        date=when,
        district_id=district.id,
        community_id=community_id or None,
        audience=values["audience"],
        headcount=headcount,
        headcount_female=values.get("headcount_female") or 0,
        headcount_under_18=values.get("headcount_under_18") or 0,
        materials_distributed=materials,
        note=(values.get("note") or "").strip(),
        created_by_id=by.id,
    )
    db.session.add(event)
    db.session.flush()
    audit.record(by, "stepdown.log", event, trainer_id=trainer.id, headcount=headcount)
    return event


def events_query(by) -> Select:
    """Events ``by`` may see, newest first: her own, her subtree's, her regions'."""
    require(by, "cascade.view")
    query = (
        select(StepDownEvent)
        .options(
            joinedload(StepDownEvent.trainer),
            joinedload(StepDownEvent.district),
            joinedload(StepDownEvent.community),
        )
        .order_by(StepDownEvent.date.desc(), StepDownEvent.id.desc())
    )
    if by.has_role("admin"):
        return query
    conditions = [StepDownEvent.trainer_id.in_(subtree(by.id))]
    if by.has_role("coordinator") and by.region_ids:
        conditions.append(
            StepDownEvent.district_id.in_(select(District.id).where(District.region_id.in_(by.region_ids)))
        )
    from sqlalchemy import or_

    return query.where(or_(*conditions))
