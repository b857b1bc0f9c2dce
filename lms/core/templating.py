"""Template globals and filters shared by every page."""

from functools import reduce

from flask import Flask, current_app, request, url_for
from flask_babel import format_date, format_datetime, format_decimal
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lms.core.collation import sort_key
from lms.core.i18n import current_language, localized
from lms.core.permissions import can

# (endpoint, label, action the person needs or None) — shown in this order when allowed.
NAVIGATION = [
    ("core.index", _l("Home"), None),
    ("cohorts.index", _l("Trainings"), "cohort.list"),
    ("cohorts.calendar", _l("Calendar"), "cohort.list"),
    ("courses.index", _l("Courses"), "course.view"),
    ("courses.accreditations", _l("Accreditations"), "accreditation.view"),
    ("certificates.index", _l("Certificates"), "certificate.list"),
    ("cascade.index", _l("Cascade"), "cascade.view"),
    ("reports.index", _l("Reports"), "reports.view"),
    ("users_admin.index", _l("People"), "user.list"),
    ("org.regions", _l("Geography"), "geography.admin"),
    ("audit.index", _l("Audit log"), "audit.view"),
]

# Less used entries the header gathers under one "More" menu, so an admin's header stays on one
# line (the home page's "Go to" list still shows them all).
NAV_MORE = {"courses.accreditations", "org.regions", "audit.index"}


# Pages whose blueprint is not their menu entry's: the section they belong to.
SECTION_OF = {
    "dashboard": "reports",
    "reports_exports": "reports",
    "cascade_nudges": "cascade",
    "cohort_tests": "cohorts",
    "paper_upload": "cohorts",
    "attendance": "cohorts",
    "enrolment": "cohorts",
}


def _section(endpoint: str) -> str:
    blueprint = endpoint.split(".")[0]
    return SECTION_OF.get(blueprint, blueprint)


# Entries for those who run trainings (admins, coordinators, trainers), not for participants,
# whose home page lists their own trainings and sessions.
STAFF_ONLY = {"cohorts.index", "cohorts.calendar", "courses.index"}
STAFF_ROLES = ("admin", "coordinator", "trainer")
# What a participant's menu names differently or adds: her certificates, her profile.
PARTICIPANT_LABELS = {"certificates.index": _l("My certificates")}
PARTICIPANT_EXTRA = [("accounts.profile", _l("My profile"))]


def nav_items() -> list[dict]:
    """The navigation the person may use; the current page's entry (or its section's) is active.
    A participant sees home, her certificates and her profile; staff see what their roles use."""
    staff = current_user.has_role(*STAFF_ROLES)
    entries = [
        (endpoint, label if staff else PARTICIPANT_LABELS.get(endpoint, label))
        for endpoint, label, action in NAVIGATION
        if (staff or endpoint not in STAFF_ONLY) and (action is None or can(current_user, action))
    ]
    if not staff:
        entries += PARTICIPANT_EXTRA
    items = [
        {
            "url": url_for(endpoint),
            "label": label,
            "endpoint": endpoint,
            "active": False,
            "more": endpoint in NAV_MORE,
        }
        for endpoint, label in entries
        if endpoint in current_app.view_functions
    ]
    current = request.endpoint or ""
    exact = [item for item in items if item["endpoint"] == current]
    section = [item for item in items if _section(item["endpoint"]) == _section(current)]
    for item in (exact or section)[:1]:
        item["active"] = True
    return items


def _url_with(**changes) -> str:
    """The current URL with some query arguments changed (pagination, filters)."""
    args = request.args.to_dict()
    args.update({k: v for k, v in changes.items() if v is not None})
    return url_for(request.endpoint, **(request.view_args or {}), **args)


# Short names on the language switch: "UK" would read as the United Kingdom.
LANGUAGE_SWITCH_LABELS = {"uk": "УКР", "en": "EN"}


def alphabetical(items, attribute: str = "display_name") -> list:
    """Items in the page language's alphabetical order of ``attribute`` (the name they show;
    dotted for a related object's, like ``user.sort_name``)."""
    names = attribute.split(".")
    return sorted(items, key=lambda item: sort_key(reduce(getattr, names, item)))


def init_templating(app: Flask) -> None:
    # Globals rather than a context processor, so macros imported without context see them too.
    app.jinja_env.globals.update(
        can=lambda action, obj=None: can(current_user, action, obj),
        localized=localized,
        current_language=current_language,
        url_with=_url_with,
        nav_items=nav_items,
        language_switch_labels=LANGUAGE_SWITCH_LABELS,
    )

    app.jinja_env.filters["alphabetical"] = alphabetical
    app.jinja_env.filters["date"] = lambda value, fmt="medium": format_date(value, fmt) if value else ""
    app.jinja_env.filters["datetime"] = lambda value, fmt="short": (
        format_datetime(value, fmt) if value else ""
    )
    app.jinja_env.filters["number"] = lambda value: format_decimal(value) if value is not None else ""
    # A fixed number of decimals in the page language ("0,62" in Ukrainian, not "0.62").
    app.jinja_env.filters["decimal"] = lambda value, places=1: (
        format_decimal(value, format="#,##0." + "0" * places) if value is not None else ""
    )
