"""How the cascade package's audit events read (see ``lms.core.audit_log``)."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from lms.core.audit_log import action_text


def _export(details: dict) -> str:
    fmt = str(details.get("format") or "").upper()
    count = int(details.get("trainers") or 0)
    return ngettext("%(format)s, %(num)d trainer", "%(format)s, %(num)d trainers", count, format=fmt)


def _switches(details: dict) -> str:
    after = details.get("after") or {}
    on, off = _("on"), _("off")
    return _(
        "weekly reminders: %(weekly)s; monthly digest: %(monthly)s",
        weekly=on if after.get("weekly") else off,
        monthly=on if after.get("monthly") else off,
    )


action_text(
    "stepdown.log", label=_l("Step-down event logged"), sentence=_l("%(actor)s logged a step-down event")
)
action_text(
    "cascade.export",
    label=_l("Cascade tree exported"),
    sentence=_l("%(actor)s downloaded the cascade tree"),
    details=_export,
)
action_text(
    "cascade.nudge_settings",
    label=_l("Reminders switched"),
    sentence=_l("%(actor)s changed the cascade reminders"),
    details=_switches,
)
action_text(
    "cascade.nudges_run",
    label=_l("Reminders run"),
    sentence=_l("%(actor)s ran the cascade reminders due"),
)
