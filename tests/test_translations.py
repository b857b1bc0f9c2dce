"""Every string the interface shows has a Ukrainian translation with the same placeholders."""

from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from flask_babel import force_locale, lazy_ngettext, ngettext

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "lms" / "translations" / "uk" / "LC_MESSAGES" / "messages.po"


def source_messages() -> set[str]:
    with open(ROOT / "babel.cfg") as config:
        method_map, options_map = parse_mapping_cfg(config)
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        ROOT,
        method_map,
        options_map,
        keywords=keywords,
        directory_filter=lambda path: (
            not Path(path).name.startswith((".", "__")) and "node_modules" not in path
        ),
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_interface_string_is_translated_into_ukrainian():
    with open(CATALOG, "rb") as file:
        catalog = read_po(file)
    untranslated = sorted(
        message_id
        for message_id in source_messages()
        if (entry := catalog.get(message_id)) is None
        or not entry.string
        or (isinstance(entry.string, tuple) and not all(entry.string))
    )
    assert untranslated == [], "run `make extract-messages` and translate these"


def test_translations_keep_the_placeholders():
    with open(CATALOG, "rb") as file:
        catalog = read_po(file)
    problems = [
        (message.id, str(error)) for message in catalog if message.id for error in message.check(catalog)
    ]
    assert problems == []


@pytest.mark.parametrize(
    ("language", "count", "expected"),
    [
        ("uk", 1, "Видано 1 сертифікат"),
        ("uk", 3, "Видано 3 сертифікати"),
        ("uk", 21, "Видано 21 сертифікат"),
        ("uk", 999, "Видано 999 сертифікатів"),
        ("uk", 1000, "Видано 1\xa0000 сертифікатів"),
        ("uk", 12342, "Видано 12\xa0342 сертифікати"),
        ("en", 1, "1 certificate issued"),
        ("en", 1000, "1,000 certificates issued"),
    ],
)
def test_a_counted_number_is_written_the_languages_way_in_python_and_in_templates(
    app, language, count, expected
):
    singular, plural = "%(num)d certificate issued", "%(num)d certificates issued"
    with app.test_request_context(), force_locale(language):
        assert ngettext(singular, plural, count) == expected
        assert str(lazy_ngettext(singular, plural, count)) == expected
        template = app.jinja_env.from_string("{{ ngettext(singular, plural, count) }}")
        assert template.render(singular=singular, plural=plural, count=count) == expected
