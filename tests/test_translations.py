"""Every string the interface shows has a Ukrainian translation with the same placeholders."""

from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

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
