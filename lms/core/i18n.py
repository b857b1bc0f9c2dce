"""Locale selection, local dates, and helpers for records with a Ukrainian and an English name."""

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal
from flask import current_app, has_request_context, session
from flask_babel import Domain, get_locale
from flask_login import current_user

from lms.core.db import utcnow


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # commands and tasks: force_locale() chooses, else the default
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    if getattr(current_user, "is_authenticated", False) and current_user.locale in languages:
        return current_user.locale
    # Ukrainian first, whatever the browser asks for: the switch in the header changes it.
    return current_app.config["BABEL_DEFAULT_LOCALE"]


_COUNT = re.compile(r"%\(num\)[ds]")


class CountingDomain(Domain):
    """Flask-Babel's message domain, writing the counted number of a plural message the way the
    language does («1 000 рядків», "1,000 rows"): Babel fills ``%(num)d`` (or ``s``) with a bare
    integer.
    Both paths go through here: ``ngettext`` in Python and in templates."""

    def get_translations(self):
        translations = super().get_translations()
        if not getattr(translations, "counts_formatted", False):
            plain = translations.ungettext

            def ungettext(singular: str, plural: str, n):
                text = plain(singular, plural, n)
                if isinstance(n, int) and not isinstance(n, bool):
                    text = _COUNT.sub(format_decimal(n, locale=get_locale()), text)
                return text

            translations.ungettext = translations.ngettext = ungettext
            translations.counts_formatted = True
        return translations


def current_language() -> str:
    try:
        return str(get_locale() or "uk")
    except (RuntimeError, AttributeError):
        return "uk"


def localized(uk: str | None, en: str | None) -> str:
    """The English text when the page is in English and one exists, else the Ukrainian."""
    if current_language() == "en" and en:
        return en
    return uk or en or ""


class Localized:
    """Mixin for rows with ``name`` (Ukrainian) and ``name_en``."""

    @property
    def display_name(self) -> str:
        return localized(self.name, self.name_en)


def local_zone() -> ZoneInfo:
    """The time zone the trainings happen in (Europe/Kyiv unless configured)."""
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def local_today(now: datetime | None = None) -> date:
    """Today's date where the trainings happen, whatever zone the server's clock is in."""
    return (now or utcnow()).astimezone(local_zone()).date()
