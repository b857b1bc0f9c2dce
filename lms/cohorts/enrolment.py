"""Enrolment: who is in a cohort, who waits for a seat, and the invitation they receive.

A cohort holds at most ``capacity`` enrolled people; anyone enrolled beyond that waits on the
waitlist in the order they arrived, and moves up (with an invitation) when a seat frees.
Closed and cancelled cohorts keep their lists as they are.
"""

from datetime import date

from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from lms.accounts.models import User
from lms.accounts.onboarding import access_lines, queue_welcome
from lms.accounts.services import create_user, find_user_by_email, normalize_email
from lms.cohorts import people
from lms.cohorts.calendar import cohort_ics
from lms.cohorts.hooks import extra_invitation_lines
from lms.cohorts.lookup import ACCESS, get_cohort
from lms.cohorts.models import Cohort, Enrollment
from lms.core import audit
from lms.core.collation import by_name
from lms.core.db import utcnow
from lms.core.errors import Conflict, NotFound, ValidationError
from lms.core.i18n import localized
from lms.core.mail import queue_email
from lms.core.permissions import can, require
from lms.extensions import db
from lms.org.models import Institution

OPEN_STATUSES = ("draft", "scheduled", "in_progress")
NAME_MAX = 200
POSITION_MAX = 200
SEARCH_MIN_LENGTH = people.SEARCH_MIN_LENGTH


def cohort_for(user, cohort_id: int, action: str = "enrollment.manage") -> Cohort:
    """The cohort, if ``user`` may see it (else NotFound) and do ``action`` on it (else denied)."""
    return get_cohort(cohort_id, by=user, action=action)


def enrollment_for(user, enrollment_id: int, cohort_id: int | None = None) -> Enrollment:
    """An enrollment whose cohort ``user`` manages (NotFound when the cohort is hidden from her)."""
    query = select(Enrollment).where(Enrollment.id == enrollment_id)
    query = query.options(joinedload(Enrollment.user), joinedload(Enrollment.cohort).options(*ACCESS))
    enrollment = db.session.scalars(query).unique().one_or_none()
    if enrollment is None or (cohort_id is not None and enrollment.cohort_id != cohort_id):
        raise NotFound(_l("No such enrolment."))
    if not can(user, "cohort.view", enrollment.cohort):
        raise NotFound(_l("No such enrolment."))
    require(user, "enrollment.manage", enrollment.cohort)
    return enrollment


def reloaded(enrollment: Enrollment) -> Enrollment:
    """The enrollment after a commit, re-read with its person in one statement."""
    query = select(Enrollment).where(Enrollment.id == enrollment.id).options(joinedload(Enrollment.user))
    return db.session.scalars(query.execution_options(populate_existing=True)).one()


def is_open_for_enrolment(cohort: Cohort) -> bool:
    return cohort.status in OPEN_STATUSES


def check_open_for_enrolment(cohort: Cohort) -> None:
    if not is_open_for_enrolment(cohort):
        raise Conflict(_l("This training is closed or cancelled: its list of participants cannot change."))


def enrollment_counts(cohort: Cohort) -> dict[str, int]:
    """People by status, the capacity and the seats still free."""
    rows = db.session.execute(
        select(Enrollment.status, func.count())
        .where(Enrollment.cohort_id == cohort.id)
        .group_by(Enrollment.status)
    ).all()
    counts = {"enrolled": 0, "waitlisted": 0, "withdrawn": 0, **dict(rows)}
    counts["capacity"] = cohort.capacity
    counts["free"] = max(cohort.capacity - counts["enrolled"], 0)
    return counts


def enrollments_query(cohort: Cohort, status: str | None = None, q: str = "") -> Select:
    """A cohort's enrollments with their people: the waitlist in the order it moves up."""
    query = (
        select(Enrollment)
        .join(User, Enrollment.user_id == User.id)
        .where(Enrollment.cohort_id == cohort.id)
        .options(joinedload(Enrollment.user).joinedload(User.institution))
    )
    if status:
        query = query.where(Enrollment.status == status)
    if q.strip():
        query = query.where(User.search_text.contains(q.strip().casefold(), autoescape=True))
    if status == "waitlisted":
        return query.order_by(Enrollment.waitlisted_at, Enrollment.id)
    return query.order_by(by_name(User.sort_name), Enrollment.id)


def panel(cohort: Cohort, *, by, shown: int = 60) -> dict:
    """What the cohort page shows ``by`` about its people: the counts, and for those who
    manage the cohort the first ``shown`` enrolled, waiting (in order) and withdrawn."""
    data = {"counts": enrollment_counts(cohort), "manage": can(by, "enrollment.manage", cohort)}
    data["open"] = data["manage"] and is_open_for_enrolment(cohort)
    # Free places matter while people can still join: a closed or cancelled training has none
    # to offer, so only those who manage it see its counts then.
    data["show_seats"] = data["manage"] or cohort.status in ("scheduled", "in_progress")
    if not data["manage"]:
        data["mine"] = db.session.scalar(
            select(Enrollment.status).where(Enrollment.cohort_id == cohort.id, Enrollment.user_id == by.id)
        )
    if data["manage"]:
        for status in ("enrolled", "waitlisted", "withdrawn"):
            query = enrollments_query(cohort, status).options(
                joinedload(Enrollment.user).joinedload(User.institution)
            )
            data[status] = db.session.scalars(query.limit(shown)).all()
    return data


def people_to_enrol(cohort: Cohort, query: str, *, by, limit: int = 20) -> tuple[list[people.Found], bool]:
    """People ``by`` may find for ``cohort`` matching ``query`` (see ``people``), with their
    status in the cohort, and whether there are more than ``limit`` of them."""
    require(by, "enrollment.manage", cohort)
    found = people.search_people(by, cohort, query, limit=limit + 1)
    return found[:limit], len(found) > limit


def person_with_email(cohort: Cohort, email: str, *, by) -> tuple[User, str | None] | None:
    """The active person who already has ``email``, with her status in ``cohort``, so that a
    trainer who tried to add her as new can enrol her instead."""
    require(by, "enrollment.manage", cohort)
    try:
        email = normalize_email(email)
    except ValidationError:
        return None
    user = db.session.scalar(
        select(User).options(joinedload(User.institution)).where(User.email == email, User.active.is_(True))
    )
    if user is None:
        return None
    status = db.session.scalar(
        select(Enrollment.status).where(Enrollment.cohort_id == cohort.id, Enrollment.user_id == user.id)
    )
    return user, status


def district_institutions(cohort: Cohort) -> list[Institution]:
    """The institutions of the cohort's district: where a new participant may work."""
    return list(
        db.session.scalars(
            select(Institution)
            .where(Institution.district_id == cohort.district_id)
            .order_by(by_name(Institution.name, Institution.name_en), Institution.id)
        )
    )


def create_participant(
    cohort: Cohort,
    *,
    by,
    email: str = "",
    full_name: str = "",
    phone: str | None = None,
    position: str = "",
    institution_id: int | None = None,
) -> User:
    """Add a new participant while enrolling her; the Latin name is transliterated."""
    require(by, "enrollment.manage", cohort)
    full_name = " ".join((full_name or "").split())
    if len(full_name) > NAME_MAX:
        raise ValidationError.on("full_name", _l("At most %(n)d characters.", n=NAME_MAX))
    position = (position or "").strip()
    if len(position) > POSITION_MAX:
        raise ValidationError.on("position", _l("At most %(n)d characters.", n=POSITION_MAX))
    if institution_id and institution_id not in {i.id for i in district_institutions(cohort)}:
        raise ValidationError.on("institution_id", _l("Choose an institution of the training's district."))
    if email and find_user_by_email(normalize_email(email)) is not None:
        raise Conflict(
            _l("A person with this email is already registered: enrol them instead of adding them again."),
            fields={"email": [_l("Already in use.")]},
        )
    user = create_user(
        by=None,
        email=email,
        full_name=full_name,
        roles=("participant",),
        phone=phone,
        position=position,
        institution_id=institution_id or None,
    )
    audit.record(by, "enrollment.create_person", user, cohort_id=cohort.id)
    return user


def enrol(
    cohort: Cohort, *, by, user_id: int | None = None, new_person: dict | None = None, send_invitation=True
):
    """Enrol a person (``user_id``) or a new one (``new_person`` fields) in ``cohort``.

    Enrolled while a seat is free, otherwise put on the waitlist: the returned enrollment's
    ``status`` says which. A withdrawn person can be enrolled again; anyone else already in the
    cohort is a Conflict.
    """
    require(by, "enrollment.manage", cohort)
    check_open_for_enrolment(cohort)
    if user_id and new_person:
        raise ValidationError.on("user_id", _l("Give either a registered person or a new one, not both."))
    if new_person:
        user = create_participant(cohort, by=by, **new_person)
    elif user_id:
        user = db.session.get(User, user_id)
        # Someone a trainer may not enrol (an admin) answers as if there were nobody.
        if user is None or not user.active or not people.may_enrol(by, cohort, user):
            raise ValidationError.on("user_id", _l("No such active person."))
    else:
        raise ValidationError.on("user_id", _l("Choose a person or enter a new one."))
    lock_seats(cohort)
    enrollment = db.session.scalar(
        select(Enrollment).where(Enrollment.cohort_id == cohort.id, Enrollment.user_id == user.id)
    )
    if enrollment is not None and enrollment.status != "withdrawn":
        raise _already_in(enrollment)
    status = "enrolled" if _seat_for_newcomer(cohort, by=by) else "waitlisted"
    if enrollment is None:
        # By id, not by relationship: the row joins the session only inside the savepoint below.
        enrollment = Enrollment(cohort_id=cohort.id, user=user, enrolled_by_id=by.id)
    _place(enrollment, status, by=by)
    try:
        with db.session.begin_nested():
            db.session.add(enrollment)
            db.session.flush()
    except IntegrityError:
        raise Conflict(_l("This person is already in this training.")) from None
    db.session.expire(cohort, ["enrollments"])
    audit.record(
        by, f"enrollment.{'enrol' if status == 'enrolled' else 'waitlist'}", enrollment, user_id=user.id
    )
    if status == "enrolled" and send_invitation:
        queue_invitation(enrollment)
    elif new_person and send_invitation:
        queue_welcome(user, by=by)  # a new account on the waitlist still needs a way in
    return enrollment


def withdraw(enrollment: Enrollment, *, by) -> Enrollment:
    """Take a person off the cohort; a seat she freed goes to the first person waiting."""
    cohort = enrollment.cohort
    require(by, "enrollment.manage", cohort)
    check_open_for_enrolment(cohort)
    if enrollment.status == "withdrawn":
        raise Conflict(_l("This person has already withdrawn."))
    lock_seats(cohort)
    before = enrollment.status
    enrollment.status = "withdrawn"
    enrollment.withdrawn_at = utcnow()
    enrollment.waitlisted_at = None
    db.session.flush()
    audit.record(by, "enrollment.withdraw", enrollment, before=before, user_id=enrollment.user_id)
    if before == "enrolled":
        fill_from_waitlist(cohort, by=by)
    return enrollment


def fill_from_waitlist(cohort: Cohort, *, by, send_invitation: bool = True) -> list[Enrollment]:
    """Move the earliest waitlisted people up while seats are free (after a withdrawal, or when
    the capacity grew), inviting each; returns those moved up. Does nothing in a closed cohort."""
    require(by, "enrollment.manage", cohort)
    if not is_open_for_enrolment(cohort):
        return []
    lock_seats(cohort)
    free = enrollment_counts(cohort)["free"]
    if free <= 0:
        return []
    moved = list(
        db.session.scalars(
            select(Enrollment)
            .where(Enrollment.cohort_id == cohort.id, Enrollment.status == "waitlisted")
            .options(joinedload(Enrollment.user))
            .order_by(Enrollment.waitlisted_at, Enrollment.id)
            .limit(free)
        )
    )
    for enrollment in moved:
        enrollment.status = "enrolled"
        enrollment.waitlisted_at = None
        audit.record(by, "enrollment.promote", enrollment, user_id=enrollment.user_id)
    db.session.flush()
    if send_invitation:
        extras = extra_invitation_lines(cohort, moved)
        for enrollment in moved:
            queue_invitation(enrollment, moved_up=True, extras=extras)
    return moved


def waitlist_position(enrollment: Enrollment) -> int | None:
    """1 for the next person to move up; None when not waiting."""
    if enrollment.status != "waitlisted":
        return None
    ahead = db.session.scalar(
        select(func.count()).where(
            Enrollment.cohort_id == enrollment.cohort_id,
            Enrollment.status == "waitlisted",
            (Enrollment.waitlisted_at < enrollment.waitlisted_at)
            | ((Enrollment.waitlisted_at == enrollment.waitlisted_at) & (Enrollment.id < enrollment.id)),
        )
    )
    return ahead + 1


def lock_seats(cohort: Cohort) -> None:
    """Hold the cohort row until commit so two enrolments cannot take the last seat together
    (PostgreSQL; SQLite already serialises writers)."""
    db.session.execute(select(Cohort.id).where(Cohort.id == cohort.id).with_for_update())


def _seat_for_newcomer(cohort: Cohort, *, by) -> bool:
    """True when a newcomer gets a seat: people already waiting are served first."""
    counts = enrollment_counts(cohort)
    if counts["free"] and counts["waitlisted"]:
        fill_from_waitlist(cohort, by=by)
        counts = enrollment_counts(cohort)
    return counts["free"] > 0 and counts["waitlisted"] == 0


def _place(enrollment: Enrollment, status: str, *, by) -> None:
    enrollment.status = status
    enrollment.withdrawn_at = None
    enrollment.waitlisted_at = utcnow() if status == "waitlisted" else None
    enrollment.enrolled_by_id = by.id


def _already_in(enrollment: Enrollment) -> Conflict:
    message = (
        _l("This person is already on the waitlist of this training.")
        if enrollment.status == "waitlisted"
        else _l("This person is already enrolled in this training.")
    )
    return Conflict(message, fields={"user_id": [message]})


def queue_invitation(
    enrollment: Enrollment,
    *,
    moved_up: bool = False,
    ics: bytes | None = None,
    extras: dict[int, list] | None = None,
):
    """Email the person the training's dates, sessions, venue and trainers in her language,
    with the sessions as an .ics attachment (pass ``ics`` to reuse one for many people), and
    what other features add (her personal link to the tests). For a batch, pass ``extras``
    from ``extra_invitation_lines`` made once for all of them."""
    user, cohort = enrollment.user, enrollment.cohort
    if extras is None:
        extras = extra_invitation_lines(cohort, [enrollment])
    subject, body = invitation_text(cohort, user, moved_up=moved_up, extras=extras.get(enrollment.id, ()))
    attachment = ("training.ics", "text/calendar", ics if ics is not None else cohort_ics(cohort))
    return queue_email(user.email, subject, body, attachments=[attachment])


def invitation_text(cohort: Cohort, user: User, *, moved_up: bool = False, extras=()) -> tuple[str, str]:
    """Subject and body of the invitation, in ``user.locale``; ``extras`` make more lines."""
    with force_locale(user.locale or "uk"):
        course = cohort.course.display_title
        subject = (
            _("A place has opened up: %(course)s", course=course)
            if moved_up
            else _("You are enrolled: %(course)s", course=course)
        )
        opening = (
            _("A place has opened up and you are now enrolled in the training «%(course)s».", course=course)
            if moved_up
            else _("You are enrolled in the training «%(course)s».", course=course)
        )
        lines = [
            _("Hello, %(name)s!", name=localized(user.full_name, user.full_name_latin)),
            "",
            opening,
            "",
            _("Dates: %(dates)s", dates=_date_range(cohort.start_date, cohort.end_date)),
            _("Venue: %(venue)s, %(district)s", venue=cohort.venue, district=cohort.district.display_name),
            _("Trainers: %(names)s", names=", ".join(_trainer_names(cohort))),
            "",
        ]
        if cohort.sessions:
            lines.append(_("Sessions:"))
            lines += [
                _(
                    "– %(date)s, %(start)s–%(end)s, %(venue)s",
                    date=format_date(s.date, "full"),
                    start=s.starts_at.strftime("%H:%M"),
                    end=s.ends_at.strftime("%H:%M"),
                    venue=s.effective_venue,
                )
                for s in cohort.sessions
            ]
            lines += ["", _("The attached calendar file adds the sessions to your calendar.")]
        else:
            lines.append(_("The schedule of sessions will follow."))
        lines += [
            "",
            _("If you cannot come, please tell your trainer so that someone else can take the place."),
            "",
        ]
        for make_lines in extras:
            lines += [*make_lines(), ""]
        lines += access_lines(user)
        return str(subject), "\n".join(str(line) for line in lines)


def _date_range(start: date, end: date) -> str:
    if start == end:
        return format_date(start, "long")
    return f"{format_date(start, 'long')} – {format_date(end, 'long')}"


def _trainer_names(cohort: Cohort) -> list[str]:
    trainers = [cohort.lead_trainer] + [t for t in cohort.co_trainers if t.id != cohort.lead_trainer_id]
    return [localized(t.full_name, t.full_name_latin) for t in trainers]
