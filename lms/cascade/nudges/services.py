"""Deciding who is reminded this week and this month, and composing each reminder.

Celery beat runs ``lms.cascade.send_nudges`` every day; what it sends depends on the period, not
on the day, so a day missed is caught up the next one. Each reminder is a ``Nudge`` row keyed by
``(user_id, kind, period_start)``: the week's Monday for weekly reminders, the month's first day
for the digest. A re-run, a duplicated beat or two workers at once try to insert the same row,
and only the first insert wins (the unique constraint, each insert in its own savepoint); only
the winner queues the email, through the outbox, with the nudge's id only. The email is composed
by the worker in the person's language from the figures at that moment, and named by the
nudge's id, so a redelivered task rewrites the same message rather than sending another.

*Dormant* is ``lms.cascade.metrics``'s definition: accredited at least N days ago
(``CASCADE_ACTIVATION_DAYS``) and no training or step-down event in the last N days. A dormant
trainer is reminded at most ``CASCADE_REMINDERS_MAX`` times after her last delivery (or her
accreditation): then the reminders stop until she delivers again, and her coordinator's weekly
list still names her.
"""

from collections import defaultdict
from datetime import date, timedelta

from flask import current_app
from flask_babel import force_locale, format_date, format_decimal, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from lms.accounts.models import User, UserRole
from lms.cascade import metrics
from lms.cascade.models import CascadeSettings, Nudge, StepDownEvent, TrainerLineage
from lms.cohorts.models import Cohort
from lms.core import audit
from lms.core.db import utcnow
from lms.core.i18n import local_today, localized
from lms.core.links import external_url
from lms.core.outbox import enqueue
from lms.core.permissions import require
from lms.extensions import db
from lms.org.models import Region

KIND_LABELS = {
    "trainer_dormant": _l("Reminder to a dormant trainer"),
    "coordinator_dormant": _l("Dormant trainers, to a coordinator"),
    "coordinator_digest": _l("Monthly digest, to a coordinator"),
}
STATUS_LABELS = {
    "queued": _l("Pending"),
    "sent": _l("Sent"),
    "skipped": _l("Not sent"),
    "failed": _l("Failed"),
}
LIST_LIMIT = 50  # names in one email; the rest are counted and the dashboard has them all


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def month_start(day: date) -> date:
    return day.replace(day=1)


def previous_month(day: date) -> tuple[date, date]:
    """First and last day of the month before ``day``'s."""
    end = month_start(day) - timedelta(days=1)
    return end.replace(day=1), end


# --- the programme's switches -------------------------------------------------------------------


def current_settings() -> CascadeSettings:
    return db.session.get(CascadeSettings, 1) or CascadeSettings(
        id=1, weekly_nudges=True, monthly_digest=True
    )


def set_switches(*, weekly: bool, monthly: bool, by) -> CascadeSettings:
    require(by, "cascade.nudges")
    settings = db.session.get(CascadeSettings, 1)
    if settings is None:
        settings = CascadeSettings(id=1, weekly_nudges=True, monthly_digest=True)
        db.session.add(settings)
    before = {"weekly": settings.weekly_nudges, "monthly": settings.monthly_digest}
    after = {"weekly": bool(weekly), "monthly": bool(monthly)}
    if before != after:
        audit.record(by, "cascade.nudge_settings", None, before=before, after=after)
    settings.weekly_nudges, settings.monthly_digest = after["weekly"], after["monthly"]
    settings.updated_by_id = by.id
    return settings


# --- deciding who is reminded -------------------------------------------------------------------


def _claim(user_id: int, kind: str, period: date, details: dict) -> Nudge | None:
    """Insert the period's nudge unless one exists; the winner queues its email."""
    try:
        with db.session.begin_nested():
            nudge = Nudge(user_id=user_id, kind=kind, period_start=period, status="queued", details=details)
            db.session.add(nudge)
            db.session.flush()
    except IntegrityError:
        return None  # another run (or worker) has it already
    enqueue("lms.cascade.deliver_nudge", nudge_id=nudge.id)
    return nudge


def _already(kind: str, period: date) -> set[int]:
    return set(
        db.session.scalars(select(Nudge.user_id).where(Nudge.kind == kind, Nudge.period_start == period))
    )


def _reachable(ids) -> list[User]:
    """People who can receive an email: active, not erased."""
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(User).where(User.id.in_(list(ids)), User.active.is_(True), User.erased_at.is_(None))
        )
    )


def _coordinators() -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == "coordinator", User.active.is_(True), User.erased_at.is_(None))
            .options(selectinload(User.regions), selectinload(User.role_rows))
        )
    )


def dormant_by_region(today: date) -> tuple[list[int], dict[int, list[int]]]:
    """The programme's dormant trainers, and them by the region they belong to."""
    dormant = metrics.activation(metrics.Scope(), today)["dormant_ids"]
    by_region: dict[int, list[int]] = defaultdict(list)
    if dormant:
        for user_id, region_id in db.session.execute(
            select(TrainerLineage.user_id, TrainerLineage.region_id).where(
                TrainerLineage.user_id.in_(dormant)
            )
        ):
            if region_id is not None:
                by_region[region_id].append(user_id)
    return dormant, by_region


def reminders_max() -> int:
    return int(current_app.config["CASCADE_REMINDERS_MAX"])


def _last_deliveries(ids) -> dict[int, date]:
    """Each trainer's latest training (led) or step-down event, in one statement."""
    ids = sorted(ids)
    if not ids:
        return {}
    delivered = (
        select(Cohort.lead_trainer_id.label("user_id"), Cohort.start_date.label("day"))
        .where(Cohort.lead_trainer_id.in_(ids), Cohort.status.in_(metrics.DELIVERED))
        .union_all(
            select(StepDownEvent.trainer_id, StepDownEvent.date).where(StepDownEvent.trainer_id.in_(ids))
        )
        .subquery()
    )
    return dict(
        db.session.execute(
            select(delivered.c.user_id, func.max(delivered.c.day)).group_by(delivered.c.user_id)
        ).all()
    )


def reminded_enough(ids) -> set[int]:
    """Of the trainers ``ids``, those already reminded ``reminders_max()`` times since their last
    delivery (or accreditation): three statements, whatever their number."""
    ids = set(ids)
    if not ids:
        return set()
    since = dict(
        db.session.execute(
            select(TrainerLineage.user_id, TrainerLineage.accredited_on).where(
                TrainerLineage.user_id.in_(sorted(ids))
            )
        ).all()
    )
    for user_id, day in _last_deliveries(ids).items():
        since[user_id] = max(since.get(user_id) or day, day)
    counts: dict[int, int] = defaultdict(int)
    for user_id, period in db.session.execute(
        select(Nudge.user_id, Nudge.period_start).where(
            Nudge.kind == "trainer_dormant", Nudge.user_id.in_(sorted(ids)), Nudge.status != "skipped"
        )
    ):
        if since.get(user_id) is None or period >= week_start(since[user_id]):
            counts[user_id] += 1
    return {user_id for user_id, count in counts.items() if count >= reminders_max()}


def send_due(today: date | None = None) -> dict[str, int]:
    """Queue every reminder due in the current week and month that is not queued yet."""
    today = today or local_today()
    settings = current_settings()
    queued = dict.fromkeys(KIND_LABELS, 0)
    if not (settings.weekly_nudges or settings.monthly_digest):
        return queued
    days = metrics.activation_days()
    coordinators = _coordinators()
    if settings.weekly_nudges:
        week = week_start(today)
        dormant, by_region = dormant_by_region(today)
        done = _already("trainer_dormant", week)
        waiting = set(dormant) - done
        for trainer in _reachable(waiting - reminded_enough(waiting)):
            queued["trainer_dormant"] += bool(_claim(trainer.id, "trainer_dormant", week, {"days": days}))
        done = _already("coordinator_dormant", week)
        for coordinator in coordinators:
            ids = sorted({i for r in coordinator.region_ids for i in by_region.get(r, [])})
            if ids and coordinator.id not in done:
                details = {"days": days, "count": len(ids), "region_ids": sorted(coordinator.region_ids)}
                queued["coordinator_dormant"] += bool(
                    _claim(coordinator.id, "coordinator_dormant", week, details)
                )
    if settings.monthly_digest:
        month = month_start(today)
        done = _already("coordinator_digest", month)
        with_trainers = set(db.session.scalars(select(TrainerLineage.region_id).distinct()))
        for coordinator in coordinators:
            # A digest of a region without trainers yet would say nothing.
            if coordinator.region_ids & with_trainers and coordinator.id not in done:
                details = {"region_ids": sorted(coordinator.region_ids)}
                queued["coordinator_digest"] += bool(
                    _claim(coordinator.id, "coordinator_digest", month, details)
                )
    return queued


# --- composing and delivering -------------------------------------------------------------------


def deliver(nudge_id: int) -> str | None:
    """Compose the reminder in the person's language and send it; once (see the module doc)."""
    from lms.core.mail import build_message
    from lms.core.mail import deliver as send

    nudge = db.session.scalar(select(Nudge).where(Nudge.id == nudge_id).options(joinedload(Nudge.user)))
    if nudge is None or nudge.status not in ("queued", "failed"):
        return None
    person = nudge.user
    if not person.active or person.erased_at is not None:
        nudge.status = "skipped"
        return None
    with force_locale(person.locale or "uk"):
        composed = COMPOSERS[nudge.kind](nudge, local_today())
    if composed is None:  # nothing to say any more (she delivered since, the region is empty)
        nudge.status = "skipped"
        return None
    subject, body = composed
    where = send(build_message(person.email, subject, body, [], f"nudge-{nudge.id}@cascade-lms"))
    nudge.status, nudge.sent_at, nudge.error = "sent", utcnow(), None
    return where


def record_failure(nudge_id: int, error: Exception, *, final: bool) -> None:
    nudge = db.session.get(Nudge, nudge_id)
    if nudge is not None:
        nudge.error = type(error).__name__  # the class only: server replies may hold addresses
        if final:
            nudge.status = "failed"


def _name(user: User) -> str:
    return user.sort_name or user.full_name


def _greeting(user: User) -> str:
    return _("Hello, %(name)s!", name=localized(user.full_name, user.full_name_latin))


def _last_delivery(user_id: int) -> date | None:
    return _last_deliveries([user_id]).get(user_id)


def _trainer_dormant(nudge: Nudge, today: date) -> tuple[str, str] | None:
    person = nudge.user
    row = db.session.get(TrainerLineage, person.id)
    if row is None or not row.active:
        return None
    days = int(nudge.details.get("days") or metrics.activation_days())
    last = _last_delivery(person.id)
    if last is not None and last >= today - timedelta(days=days):
        return None  # she delivered since the reminder was decided
    if last is None:
        since = _(
            "Since your accreditation on %(date)s you have not yet delivered a training or logged a "
            "step-down event.",
            date=format_date(row.accredited_on, "long"),
        )
    else:
        gone = (today - last).days
        since = ngettext(
            "Your last training or step-down event was %(num)d day ago.",
            "Your last training or step-down event was %(num)d days ago.",
            gone,
        )
    lines = [
        _greeting(person),
        "",
        since,
        _(
            "Every lesson or information session you hold passes on what you learned and protects "
            "people from trafficking. Even a short one counts."
        ),
        "",
        _("Held a lesson or a meeting? Log it as a step-down event (it takes a minute):"),
        external_url("cascade.events"),
        "",
        _("Plan a training:"),
        external_url("cohorts.plan"),
        "",
        _("Your place in the cascade:"),
        external_url("cascade.trainer", user_id=person.id),
        "",
        ngettext(
            "You get this reminder once a week while you have delivered nothing for %(num)d day, "
            "%(times)s times at most.",
            "You get this reminder once a week while you have delivered nothing for %(num)d days, "
            "%(times)s times at most.",
            days,
            times=reminders_max(),
        ),
    ]
    return str(_("Your cascade: time for a new training?")), "\n".join(str(line) for line in lines)


def _region_names(region_ids) -> dict[int, str]:
    regions = db.session.scalars(select(Region).where(Region.id.in_(list(region_ids)))).all()
    return {r.id: r.display_name for r in regions}


def _people_lines(
    users: list[User], regions: dict[int, str], lineage: dict[int, TrainerLineage]
) -> list[str]:
    from lms.core.collation import sort_key

    ordered = sorted(users, key=lambda u: sort_key(_name(u)))
    lines = []
    for user in ordered[:LIST_LIMIT]:
        row = lineage.get(user.id)
        region = regions.get(row.region_id, "") if row else ""
        accredited = format_date(row.accredited_on, "medium") if row else ""
        lines.append(
            "- "
            + _(
                "%(name)s (%(region)s), accredited on %(date)s",
                name=_name(user),
                region=region,
                date=accredited,
            )
        )
    if len(ordered) > LIST_LIMIT:
        rest = len(ordered) - LIST_LIMIT
        lines.append(ngettext("… and %(num)d more", "… and %(num)d more", rest))
    return lines


def _lineage_of(ids) -> dict[int, TrainerLineage]:
    if not ids:
        return {}
    return {
        row.user_id: row
        for row in db.session.scalars(select(TrainerLineage).where(TrainerLineage.user_id.in_(list(ids))))
    }


def _coordinator_dormant(nudge: Nudge, today: date) -> tuple[str, str] | None:
    person = nudge.user
    region_ids = person.region_ids
    _dormant, by_region = dormant_by_region(today)
    ids = {i for r in region_ids for i in by_region.get(r, [])}
    if not ids:
        return None
    days = metrics.activation_days()
    users = list(db.session.scalars(select(User).where(User.id.in_(list(ids)))))
    lines = [
        _greeting(person),
        "",
        ngettext(
            "%(num)d trainer of your region has delivered no training and logged no event for a while:",
            "%(num)d trainers of your region have delivered no training and logged no event for a while:",
            len(ids),
        ),
        *_people_lines(users, _region_names(region_ids), _lineage_of(ids)),
        "",
        ngettext(
            "Dormant: accredited at least %(num)d day ago, and nothing delivered in the last %(num)d day.",
            "Dormant: accredited at least %(num)d days ago, and nothing delivered in the last %(num)d days.",
            days,
        ),
        _("Each of them got a friendly reminder this week. A call from you helps more."),
        "",
        _("The cascade of your region:"),
        external_url("cascade.index"),
    ]
    subject = ngettext(
        "%(num)d dormant trainer in your region", "%(num)d dormant trainers in your region", len(ids)
    )
    return str(subject), "\n".join(str(line) for line in lines)


def _percent(rate) -> str:
    return "—" if rate is None else f"{format_decimal(round(100 * rate))}%"


def _coordinator_digest(nudge: Nudge, today: date) -> tuple[str, str] | None:
    person = nudge.user
    region_ids = sorted(person.region_ids)
    if not region_ids:
        return None
    names = _region_names(region_ids)
    first, last = previous_month(today)
    lines = [_greeting(person), ""]
    lines.append(
        _(
            "The cascade of your region on %(date)s (new trainers: %(start)s – %(end)s).",
            date=format_date(today, "long"),
            start=format_date(first, "medium"),
            end=format_date(last, "medium"),
        )
    )
    for region_id in region_ids:
        scope = metrics.Scope(region_id=region_id)
        figures = metrics.reach(scope)
        active = metrics.activation(scope, today)
        new = list(
            db.session.scalars(
                select(TrainerLineage)
                .where(
                    TrainerLineage.region_id == region_id,
                    TrainerLineage.accredited_on >= first,
                    TrainerLineage.accredited_on <= last,
                )
                .options(joinedload(TrainerLineage.user))
            )
        )
        lines += [
            "",
            names.get(region_id, ""),
            "- "
            + ngettext(
                "%(num)d trainer accredited", "%(num)d trainers accredited", active["trainers_accredited"]
            ),
            "- "
            + ngettext("%(num)d active trainer", "%(num)d active trainers", active["active_trainers"])
            + " · "
            + _("activation rate %(rate)s", rate=_percent(active["activation_rate"])),
            "- "
            + ngettext("%(num)d dormant trainer", "%(num)d dormant trainers", len(active["dormant_ids"])),
            "- "
            + ngettext("%(num)d person reached in all", "%(num)d people reached in all", figures.reach_total),
            "- " + ngettext("%(num)d new trainer last month", "%(num)d new trainers last month", len(new)),
        ]
        lineage = {row.user_id: row for row in new}
        lines += ["  " + line for line in _people_lines([row.user for row in new], names, lineage)]
    lines += ["", _("Figures, charts and the tree:"), external_url("cascade.index")]
    return str(_("Your region's cascade this month")), "\n".join(str(line) for line in lines)


COMPOSERS = {
    "trainer_dormant": _trainer_dormant,
    "coordinator_dormant": _coordinator_dormant,
    "coordinator_digest": _coordinator_digest,
}


def nudges_query(kind: str | None = None, status: str | None = None):
    """The nudges, newest first, for the admins' page."""
    query = select(Nudge).options(joinedload(Nudge.user)).order_by(Nudge.created_at.desc(), Nudge.id.desc())
    if kind in KIND_LABELS:
        query = query.where(Nudge.kind == kind)
    if status in STATUS_LABELS:
        query = query.where(Nudge.status == status)
    return query
