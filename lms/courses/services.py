"""Courses (catalogue, modules, completion rules) and trainer accreditation ("may deliver course X")."""

import re
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from lms.accounts.models import User
from lms.cohorts.models import Cohort, session_modules
from lms.core import audit
from lms.core.collation import by_name
from lms.core.db import utcnow
from lms.core.errors import Conflict, NotFound, ValidationError
from lms.core.i18n import local_today
from lms.core.permissions import can, require
from lms.core.text import has_control_characters
from lms.courses.models import Accreditation, Course, CourseModule, course_accredits
from lms.extensions import db

CODE_RE = re.compile(r"^[\w.-]{2,20}$")
MAX_MODULE_HOURS = 24
# Texts a course carries, with their length limit (None: unlimited) and whether they are required.
COURSE_TEXTS = {
    "title": (255, True),
    "title_en": (255, False),
    "description": (None, False),
    "description_en": (None, False),
    "audience": (255, False),
    "audience_en": (255, False),
    "certificate_text": (None, False),
    "certificate_text_en": (None, False),
}
COURSE_NUMBERS = {
    "days": (1, 60),
    "min_attendance_percent": (0, 100),
    "pass_mark_percent": (0, 100),
}
COURSE_FIELDS = (
    {"code", "is_tot", "active", "accredits_course_ids", "modules"} | set(COURSE_TEXTS) | set(COURSE_NUMBERS)
)
COURSE_DEFAULTS = {"days": 1, "is_tot": False, "min_attendance_percent": 80, "pass_mark_percent": 70}  # nosec B105


def is_accredited(user_id: int, course_id: int, on: date | None = None) -> bool:
    """True when the person holds an unrevoked accreditation for the course (granted by ``on``)."""
    query = select(Accreditation.id).where(
        Accreditation.user_id == user_id,
        Accreditation.course_id == course_id,
        Accreditation.revoked_at.is_(None),
    )
    if on is not None:
        query = query.where(Accreditation.granted_on <= on)
    return db.session.scalar(query.limit(1)) is not None


def get_course(course_id: int) -> Course:
    # Joined (not selectin): a course refreshed after a commit reloads with these options.
    query = select(Course).where(Course.id == course_id)
    query = query.options(joinedload(Course.modules), joinedload(Course.accredits))
    course = db.session.scalars(query).unique().one_or_none()
    if course is None:
        raise NotFound(_l("No such course."))
    return course


def text_matches(column, q: str):
    """A case-insensitive "contains" that also works for Cyrillic on SQLite, whose LIKE folds
    only ASCII letters: the usual spellings of the search words are tried as well."""
    q = q.strip()
    variants = {q, q.lower(), q.upper(), q.capitalize()}
    return or_(*(column.ilike(f"%{_escape_like(v)}%", escape="\\") for v in variants))


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def list_courses(*, q: str = "", is_tot: bool | None = None, active: bool | None = None) -> Select:
    """Courses in alphabetical order of their titles, narrowed by a code/title search, kind and active flag."""
    query = select(Course).options(selectinload(Course.modules), selectinload(Course.accredits))
    query = query.order_by(by_name(Course.title, Course.title_en), Course.code)
    if q.strip():
        query = query.where(
            or_(text_matches(Course.code, q), text_matches(Course.title, q), text_matches(Course.title_en, q))
        )
    if is_tot is not None:
        query = query.where(Course.is_tot.is_(is_tot))
    if active is not None:
        query = query.where(Course.active.is_(active))
    return query


def accreditable_courses(own_id: int | None = None) -> list[Course]:
    """Courses a ToT course may name: every regular course, and the ToT course itself (so that
    its graduates can deliver it in turn and the cascade grows generation by generation)."""
    query = (
        select(Course)
        .where(Course.is_tot.is_(False) | (Course.id == (own_id or 0)))
        .order_by(by_name(Course.title, Course.title_en), Course.code)
    )
    return list(db.session.scalars(query))


def tot_courses_accrediting(course: Course) -> list[Course]:
    """The ToT courses whose graduates become accredited to deliver ``course``."""
    if course.id is None:
        return []
    return list(
        db.session.scalars(
            select(Course)
            .join(course_accredits, course_accredits.c.tot_course_id == Course.id)
            .where(course_accredits.c.course_id == course.id)
            .options(selectinload(Course.modules))
            .order_by(by_name(Course.title, Course.title_en), Course.code)
        )
    )


def create_course(*, by, **values) -> Course:
    """Add a course with its ordered modules; raises ValidationError or Conflict (duplicate code)."""
    require(by, "course.manage")
    _reject_unknown(values)
    for required in ("code", "title", "modules"):
        values.setdefault(required, None)
    course = Course(**{k: v for k, v in COURSE_DEFAULTS.items() if k not in values})
    _apply(course, values)
    db.session.add(course)
    _save(course)
    audit.record(by, "course.create", course, code=course.code, modules=len(course.modules))
    return course


def update_course(course: Course, *, by, **values) -> Course:
    """Change some of a course's fields; ``modules`` replaces the whole ordered list, keeping
    the modules it names by ``id`` (or by the same title) so sessions that use them stay intact."""
    require(by, "course.manage", course)
    _reject_unknown(values)
    before = _snapshot(course)
    _apply(course, values)
    _save(course)
    after = _snapshot(course)
    changed = {k: before[k] for k in before if before[k] != after[k]}
    if changed:
        audit.record(by, "course.update", course, before=changed, after={k: after[k] for k in changed})
    return course


def set_course_active(course: Course, active: bool, *, by) -> Course:
    """Withdraw a course from planning (inactive) or bring it back; audited when it changes."""
    require(by, "course.manage", course)
    if course.active != bool(active):
        course.active = bool(active)
        audit.record(by, "course.reactivate" if active else "course.deactivate", course)
    return course


def _reject_unknown(values: dict) -> None:
    unknown = set(values) - COURSE_FIELDS
    if unknown:
        raise ValidationError(_l("Unknown fields: %(names)s", names=", ".join(sorted(unknown))))


def _snapshot(course: Course) -> dict:
    state = {
        name: getattr(course, name) for name in (*COURSE_TEXTS, *COURSE_NUMBERS, "code", "is_tot", "active")
    }
    state["accredits_course_ids"] = sorted(c.id for c in course.accredits)
    state["modules"] = [[m.title, m.title_en, m.hours] for m in course.modules]
    return state


def _apply(course: Course, values: dict) -> None:
    """Check every given value, collecting all problems, then write them to ``course``."""
    problems: dict[str, list] = {}
    clean: dict = {}

    def problem(field: str, message) -> None:
        problems.setdefault(field, []).append(message)

    if "code" in values:
        code = (values["code"] or "").strip().upper()
        if not code:
            problem("code", _l("Enter a short code, e.g. PTL-STATUS."))
        elif not CODE_RE.match(code):
            problem("code", _l("Use 2–20 letters, digits, dots, hyphens or underscores, e.g. PTL-STATUS."))
        clean["code"] = code
    for name, (max_length, required) in COURSE_TEXTS.items():
        if name in values:
            text = (values[name] or "").strip()
            if max_length and has_control_characters(text):  # one-line texts: titles, audience
                problem(name, _l("Line breaks and control characters are not allowed here."))
            elif required and not text:
                problem(name, _l("Enter the title in Ukrainian."))
            elif max_length and len(text) > max_length:
                problem(name, _l("At most %(n)d characters.", n=max_length))
            clean[name] = text
    for name, (low, high) in COURSE_NUMBERS.items():
        if name in values:
            number = _whole_number(values[name])
            if number is None or not low <= number <= high:
                problem(name, _l("Enter a whole number from %(low)d to %(high)d.", low=low, high=high))
            clean[name] = number
    for name in ("is_tot", "active"):
        if name in values:
            clean[name] = bool(values[name])

    is_tot = clean.get("is_tot", course.is_tot)
    if course.id is not None and is_tot != course.is_tot and _has_closed_trainings(course):
        # Their certificates are of the kind the course had: a closed training rechecked later
        # (reconciliation, a resumed job) would issue everyone a second one of the other kind.
        problem(
            "is_tot",
            _l(
                "Trainings of this course have closed and issued their certificates, so it cannot "
                "switch between ToT and regular. Create a new course instead."
            ),
        )
    targets = _accredited_targets(course, values, is_tot, problem)
    if is_tot and course.id is not None and not course.is_tot:
        accrediting = tot_courses_accrediting(course)
        if accrediting:
            problem(
                "is_tot",
                _l(
                    "%(codes)s accredit trainers for this course, so it cannot become a ToT course.",
                    codes=", ".join(c.code for c in accrediting),
                ),
            )
    modules = _clean_modules(values["modules"], problem) if "modules" in values else None

    if problems:
        raise ValidationError(fields=problems)
    if "code" in clean and clean["code"] != course.code:
        _check_code_free(clean["code"], course.id)
    plan = _plan_modules(course, modules) if modules is not None else None
    for name, value in clean.items():
        setattr(course, name, value)
    if targets is not None:
        course.accredits = targets
    if plan is not None:
        _write_modules(course, *plan)


def _has_closed_trainings(course: Course) -> bool:
    return (
        db.session.scalar(
            select(Cohort.id).where(Cohort.course_id == course.id, Cohort.status == "closed").limit(1)
        )
        is not None
    )


def _whole_number(value) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float) and not value.is_integer():
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _accredited_targets(course: Course, values: dict, is_tot: bool, problem) -> list[Course] | None:
    """The courses a ToT course accredits, checked; ``[]`` for a regular course; None: unchanged."""
    if "accredits_course_ids" not in values:
        if not is_tot and course.accredits:
            return []  # a course that stops being ToT stops accrediting
        if is_tot and not course.accredits and course.id is None:
            problem(
                "accredits_course_ids", _l("Choose the course(s) this ToT course qualifies trainers for.")
            )
        return None
    wanted = []
    for raw in values["accredits_course_ids"] or []:
        number = _whole_number(raw)
        if number is None:
            problem("accredits_course_ids", _l("Course ids are whole numbers."))
            return None
        if number not in wanted:
            wanted.append(number)
    if not is_tot:
        if wanted:
            problem("accredits_course_ids", _l("Only a ToT course accredits other courses."))
        return []
    if not wanted:
        problem("accredits_course_ids", _l("Choose the course(s) this ToT course qualifies trainers for."))
        return None
    targets = list(
        db.session.scalars(
            select(Course)
            .where(Course.id.in_(wanted))
            .order_by(by_name(Course.title, Course.title_en), Course.code)
        )
    )
    if len(targets) != len(wanted):
        problem("accredits_course_ids", _l("Unknown course."))
        return None
    # A ToT course may accredit itself (its graduates train trainers in turn), not another ToT.
    tot_targets = [c.code for c in targets if c.is_tot and c.id != course.id]
    if tot_targets:
        problem(
            "accredits_course_ids",
            _l("A ToT course cannot accredit another ToT course: %(codes)s.", codes=", ".join(tot_targets)),
        )
        return None
    return targets


def _clean_modules(items, problem) -> list[dict]:
    if not items:
        problem("modules", _l("Add at least one module."))
        return []
    cleaned = []
    for number, item in enumerate(items, start=1):
        item = dict(item or {})
        title = (item.get("title") or "").strip()
        title_en = (item.get("title_en") or "").strip()
        hours = item.get("hours")
        if not title:
            problem("modules", _l("Module %(n)d: enter the topic in Ukrainian.", n=number))
        elif len(title) > 255 or len(title_en) > 255:
            problem("modules", _l("Module %(n)d: at most 255 characters.", n=number))
        elif has_control_characters(title) or has_control_characters(title_en):
            problem("modules", _l("Module %(n)d: line breaks are not allowed in a topic.", n=number))
        if isinstance(hours, bool) or not isinstance(hours, int | float) or not 0 < hours <= MAX_MODULE_HOURS:
            problem(
                "modules",
                _l(
                    "Module %(n)d: hours must be more than 0 and at most %(max)d.",
                    n=number,
                    max=MAX_MODULE_HOURS,
                ),
            )
        cleaned.append({"id": item.get("id"), "title": title, "title_en": title_en, "hours": hours})
    return cleaned


def _plan_modules(course: Course, items: list[dict]):
    """Match ``items`` to the course's modules: by id, or else by the same title. Returns the
    (module or None, item) pairs in order and the modules to remove; refuses to remove a module
    that a training session uses."""
    unclaimed = {module.id: module for module in course.modules if module.id is not None}
    pairs: list[tuple[CourseModule | None, dict]] = []
    for number, item in enumerate(items, start=1):
        if item.get("id") is not None:
            module = unclaimed.pop(_whole_number(item["id"]), None)
            if module is None:
                raise ValidationError.on(
                    "modules", _l("Module %(n)d: this course has no module with that id.", n=number)
                )
        else:
            module = next((m for m in unclaimed.values() if m.title == item["title"]), None)
            if module is not None:
                del unclaimed[module.id]
        pairs.append((module, item))
    removed = list(unclaimed.values())
    _check_modules_unused(removed)
    return pairs, removed


def _write_modules(course: Course, pairs, removed: list[CourseModule]) -> None:
    if course.id is not None:
        # Positions are unique per course: park the kept modules first so a reorder never
        # collides with itself, then number everything afresh.
        for index, (module, _item) in enumerate(pairs):
            if module is not None:
                module.position = -(index + 1)
        for module in removed:
            course.modules.remove(module)
        db.session.flush()
    ordered = []
    for index, (module, item) in enumerate(pairs):
        module = module or CourseModule()
        module.position = index + 1
        module.title = item["title"]
        module.title_en = item["title_en"]
        module.hours = float(item["hours"])
        ordered.append(module)
    course.modules = ordered


def _check_modules_unused(modules: list[CourseModule]) -> None:
    if not modules:
        return
    used_ids = set(
        db.session.scalars(
            select(session_modules.c.module_id).where(
                session_modules.c.module_id.in_([m.id for m in modules])
            )
        )
    )
    used = [m for m in modules if m.id in used_ids]
    if used:
        message = _l(
            "Training sessions use these modules, so they cannot be removed: %(titles)s.",
            titles="; ".join(f"«{m.title}»" for m in used),
        )
        raise Conflict(message, fields={"modules": [message]})


def _check_code_free(code: str, course_id: int | None) -> None:
    query = select(Course.id).where(func.upper(Course.code) == code)
    if course_id is not None:
        query = query.where(Course.id != course_id)
    if db.session.scalar(query.limit(1)) is not None:
        _duplicate_code()


def _duplicate_code():
    raise Conflict(
        _l("A course with this code already exists."),
        fields={"code": [_l("Another course already uses this code.")]},
    )


def _save(course: Course) -> None:
    """Flush, turning a unique-code race into the same conflict as the check above."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        _duplicate_code()


def get_accreditation(accreditation_id: int, *, by=None) -> Accreditation:
    """The accreditation; NotFound too when ``by`` (when given) may not see it, so ids reveal nothing."""
    query = select(Accreditation).where(Accreditation.id == accreditation_id)
    query = query.options(
        joinedload(Accreditation.user), joinedload(Accreditation.course), joinedload(Accreditation.granted_by)
    )
    accreditation = db.session.scalars(query).one_or_none()
    if accreditation is None or (by is not None and not can(by, "accreditation.view", accreditation)):
        raise NotFound(_l("No such accreditation."))
    return accreditation


def list_accreditations(
    viewer,
    *,
    course_id: int | None = None,
    user_id: int | None = None,
    q: str = "",
    active: bool | None = None,
) -> Select:
    """Accreditations ``viewer`` may see: all for admins and coordinators, her own for a trainer."""
    require(viewer, "accreditation.view")
    query = (
        select(Accreditation)
        .join(User, Accreditation.user_id == User.id)
        .join(Course, Accreditation.course_id == Course.id)
        .options(
            contains_eager(Accreditation.user),
            contains_eager(Accreditation.course),
            joinedload(Accreditation.granted_by),
        )
        .order_by(by_name(User.sort_name), User.id, by_name(Course.title, Course.title_en), Course.code)
    )
    if not viewer.has_role("admin", "coordinator"):
        query = query.where(Accreditation.user_id == viewer.id)
    if course_id:
        query = query.where(Accreditation.course_id == course_id)
    if user_id:
        query = query.where(Accreditation.user_id == user_id)
    if q.strip():
        query = query.where(User.search_text.contains(q.strip().casefold(), autoescape=True))
    if active is True:
        query = query.where(Accreditation.revoked_at.is_(None))
    elif active is False:
        query = query.where(Accreditation.revoked_at.is_not(None))
    return query


def accredited_trainers(course_id: int, on: date | None = None) -> Select:
    """Active people holding an unrevoked accreditation for the course (granted by ``on`` when
    given), by name."""
    query = (
        select(User)
        .join(Accreditation, Accreditation.user_id == User.id)
        .where(
            Accreditation.course_id == course_id,
            Accreditation.revoked_at.is_(None),
            User.active.is_(True),
        )
        .order_by(by_name(User.sort_name), User.id)
    )
    if on is not None:
        query = query.where(Accreditation.granted_on <= on)
    return query


def count_accredited_trainers(course_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(accredited_trainers(course_id).subquery()))


def grant_candidates(by, q: str = "", limit: int = 50) -> list[User]:
    """Active people an admin may accredit, by name, narrowed by a name/email/phone search."""
    require(by, "accreditation.grant")
    query = select(User).where(User.active.is_(True)).order_by(by_name(User.sort_name), User.id).limit(limit)
    if q.strip():
        query = query.where(User.search_text.contains(q.strip().casefold(), autoescape=True))
    return list(db.session.scalars(query))


def grant_accreditation(*, by, user_id: int, course_id: int, granted_on: date | None = None, note: str = ""):
    """Accredit a person to deliver a course (admins: master trainers, generation 0).

    Gives the person the trainer role if missing. A revoked accreditation is re-activated; an
    active one is a Conflict.
    """
    require(by, "accreditation.grant")
    user = (
        db.session.scalars(
            select(User).where(User.id == (_whole_number(user_id) or 0)).options(joinedload(User.role_rows))
        )
        .unique()
        .one_or_none()
    )
    if user is None or not user.active:
        raise ValidationError.on("user_id", _l("Choose an active person."))
    course = db.session.get(Course, _whole_number(course_id) or 0)
    if course is None:
        raise ValidationError.on("course_id", _l("Choose a course."))
    if not course.active:
        raise ValidationError.on("course_id", _l("This course is deactivated."))
    today = local_today()
    granted_on = granted_on or today
    if granted_on > today:
        raise ValidationError.on("granted_on", _l("The date cannot be in the future."))
    note = (note or "").strip()
    if len(note) > 255:
        raise ValidationError.on("note", _l("At most %(n)d characters.", n=255))

    accreditation = db.session.scalar(
        select(Accreditation).where(Accreditation.user_id == user.id, Accreditation.course_id == course.id)
    )
    if accreditation is not None and accreditation.is_active:
        raise _already_accredited(user, course)
    if accreditation is None:
        accreditation = Accreditation(user_id=user.id, course_id=course.id)
        db.session.add(accreditation)
        action, before = "accreditation.grant", {}
    else:
        action = "accreditation.regrant"
        before = {"revoked_at": accreditation.revoked_at, "revoked_reason": accreditation.revoked_reason}
    accreditation.source = "admin"
    accreditation.certificate_id = None
    accreditation.source_cohort_id = None
    accreditation.granted_on = granted_on
    accreditation.granted_by_id = by.id
    accreditation.note = note
    accreditation.revoked_at = None
    accreditation.revoked_reason = None
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise _already_accredited(user, course) from None
    audit.record(by, action, accreditation, user_id=user.id, course=course.code, before=before)
    _refresh_lineage(user.id)
    _ensure_trainer_role(user, by=by)
    return accreditation


def _already_accredited(user: User, course: Course) -> Conflict:
    message = _l("%(name)s is already accredited for %(code)s.", name=user.full_name, code=course.code)
    return Conflict(message, fields={"course_id": [message]})


def _ensure_trainer_role(user: User, *, by) -> None:
    if not user.has_role("trainer"):
        before = sorted(user.roles)
        user.set_roles(user.roles | {"trainer"})
        audit.record(
            by,
            "user.update",
            user,
            before={"roles": before},
            after={"roles": sorted(user.roles)},
            reason="accreditation",
        )


def revoke_accreditation(accreditation: Accreditation, *, by, reason: str) -> Accreditation:
    """Withdraw an accreditation with a reason; the record stays for the cascade's history."""
    require(by, "accreditation.grant", accreditation)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError.on("reason", _l("Say why the accreditation is revoked."))
    if len(reason) > 255:
        raise ValidationError.on("reason", _l("At most %(n)d characters.", n=255))
    if not accreditation.is_active:
        raise Conflict(_l("This accreditation is already revoked."))
    accreditation.revoked_at = utcnow()
    accreditation.revoked_reason = reason
    audit.record(by, "accreditation.revoke", accreditation, reason=reason)
    _refresh_lineage(accreditation.user_id)
    return accreditation


def _refresh_lineage(user_id: int) -> None:
    from lms.cascade.lineage import refresh_lineage  # the cascade builds on courses

    db.session.flush()
    refresh_lineage(user_id)
