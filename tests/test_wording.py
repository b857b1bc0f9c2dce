"""One Ukrainian word per meaning: "надіслати" sends a file up, "завантажити" brings one down."""

import re
from pathlib import Path

from babel.messages.pofile import read_po

from tests import factories
from tests.conftest import sign_in

CATALOG = Path(__file__).parent.parent / "lms" / "translations" / "uk" / "LC_MESSAGES" / "messages.po"


def translations() -> list[tuple[str, str]]:
    with CATALOG.open("rb") as file:
        catalog = read_po(file, locale="uk")
    pairs = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        pairs += [(ids[0], s) for s in strings]
    return pairs


def test_upload_and_download_have_distinct_ukrainian_words_across_the_app():
    pairs = translations()
    uploads = [(i, s) for i, s in pairs if re.search(r"\bupload", i, re.IGNORECASE)]
    downloads = [(i, s) for i, s in pairs if re.search(r"\bdownload", i, re.IGNORECASE)]
    assert uploads and downloads
    assert [i for i, s in uploads if "завантаж" in s.lower()] == []
    assert [i for i, s in uploads if "надісл" not in s.lower() and "надішл" not in s.lower()] == []
    assert [i for i, s in downloads if "завантаж" not in s.lower()] == []


def test_roster_page_says_send_for_the_file_and_download_for_the_sample(client, db):
    cohort = factories.CohortFactory()
    sign_in(client, cohort.lead_trainer)
    page = client.get(f"/cohorts/{cohort.id}/roster/upload").get_data(as_text=True)
    assert "Надіслати файл і перевірити" in page and "Завантажити зразок (CSV)" in page
    content = page.split("<main", 1)[1]  # the page itself, not the menu's "download my data"
    assert content.count("Завантажити") == 1
