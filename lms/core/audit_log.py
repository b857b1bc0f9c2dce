"""How the audit trail reads: each feature registers a sentence for its actions and a name and
a link for its kinds of record; the audit page asks here, so core never imports a feature.

Sentences are impersonal in Ukrainian ("Оксана Мельник: позначено відвідування"): the past tense
agrees with the actor's gender, which the platform does not record.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from flask_babel import gettext as _
from markupsafe import Markup, escape

# ids -> {id: (name, url or None)}, in one query for all the ids of a page.
NameLoader = Callable[[set[int]], dict[int, tuple[str, str | None]]]
DetailsText = Callable[[dict], str]


@dataclass(frozen=True)
class ActionText:
    label: str  # for the filter, e.g. "Attendance marked"
    sentence: str  # "%(actor)s marked attendance", translated
    details: DetailsText | None = None


@dataclass(frozen=True)
class RecordKind:
    label: str  # for the filter, e.g. "Training sessions"
    names: NameLoader


_ACTIONS: dict[str, ActionText] = {}
_RECORDS: dict[str, RecordKind] = {}


def action_text(action: str, *, label, sentence, details: DetailsText | None = None) -> None:
    """Register how ``action`` reads; ``sentence`` holds ``%(actor)s``."""
    _ACTIONS[action] = ActionText(label, sentence, details)


def record_kind(object_type: str, *, label, names: NameLoader) -> None:
    """Register the label of a table's records and how to name and link many of them at once."""
    _RECORDS[object_type] = RecordKind(label, names)


def action_choices() -> list[tuple[str, str]]:
    """(action, label) for every registered action, by label."""
    return sorted(((a, str(t.label)) for a, t in _ACTIONS.items()), key=lambda pair: pair[1])


def record_choices(object_types: Iterable[str]) -> list[tuple[str, str]]:
    """(object_type, label) for the given tables, by label; unregistered ones by table name."""
    return sorted(
        ((t, str(_RECORDS[t].label) if t in _RECORDS else t) for t in object_types),
        key=lambda pair: pair[1],
    )


@dataclass
class EventLine:
    """One audit event as a person reads it."""

    event: object
    sentence: Markup
    details: str
    record_name: str
    record_url: str | None


def describe(events: list, actor_names: dict[int, str]) -> list[EventLine]:
    """Sentences for ``events``, naming records with one query per kind of record on the page."""
    wanted: dict[str, set[int]] = {}
    for event in events:
        if event.object_type in _RECORDS and event.object_id is not None:
            wanted.setdefault(event.object_type, set()).add(event.object_id)
    names = {kind: _RECORDS[kind].names(ids) for kind, ids in wanted.items()}
    lines = []
    for event in events:
        actor = actor_names.get(event.actor_id) if event.actor_id else None
        text = _ACTIONS.get(event.action)
        actor_html = Markup("<strong>%s</strong>") % (actor or _("The system"))
        if text is None:
            sentence = escape(_("%(actor)s: %(action)s")) % {
                "actor": actor_html,
                "action": event.action,
            }
        else:
            sentence = escape(str(text.sentence)) % {"actor": actor_html}
        details = text.details(event.details or {}) if text is not None and text.details else ""
        name, url = names.get(event.object_type, {}).get(event.object_id, (None, None))
        if name is None and event.object_type:
            kind = _RECORDS.get(event.object_type)
            label = str(kind.label) if kind else event.object_type
            name = f"{label} #{event.object_id}" if event.object_id else label
        lines.append(EventLine(event, sentence, str(details), name or "", url))
    return lines
