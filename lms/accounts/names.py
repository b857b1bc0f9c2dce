"""People's names: which word is the surname, the surname-first form lists sort by, and the
check that a full name has a surname and a given name (certificates print it)."""

from functools import cache
from pathlib import Path

from flask_babel import lazy_gettext as _l

from lms.core.errors import ValidationError

# Ukrainian patronymics (Петрович, Андрійович, Петрівна, Андріївна; Ілліч, Кузьмич).
PATRONYMIC_ENDINGS = ("ович", "евич", "йович", "івна", "ївна", "овна", "ич")


@cache
def given_names() -> frozenset[str]:
    lines = (Path(__file__).with_name("given_names.txt")).read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().casefold() for line in lines if line.strip() and not line.startswith("#"))


def is_given_name(word: str) -> bool:
    return word.casefold().replace("’", "'") in given_names()


def _words(full_name: str) -> list[str]:
    return (full_name or "").split()


def is_patronymic(word: str) -> bool:
    return len(word) > 4 and word.casefold().endswith(PATRONYMIC_ENDINGS)


def guess_surname(full_name: str) -> str:
    """The surname in a full name written either way people write it here: "Олена Шевченко"
    (given name first: the last word), "Шевченко Олена Петрівна" (official order, known by the
    patronymic at the end) or "Шевченко Олена" (known by the given name at the end): the first."""
    words = [word for word in _words(full_name) if any(c.isalpha() for c in word)]
    if not words:
        return ""
    if len(words) >= 2 and is_patronymic(words[-1]):
        return words[0]
    if len(words) >= 2 and is_given_name(words[-1]) and not is_given_name(words[0]):
        return words[0]
    return words[-1]


def surname_in(full_name: str, surname: str | None) -> str:
    """``surname`` as written in ``full_name`` when it is one of its words, else the guess."""
    wanted = " ".join((surname or "").split()).casefold()
    for word in _words(full_name):
        if wanted and word.casefold() == wanted:
            return word
    return guess_surname(full_name)


def sort_name(full_name: str, surname: str) -> str:
    """The name surname first ("Шевченко Олена"), as lists sorted by name show it."""
    words = _words(full_name)
    if surname not in words:
        return " ".join(words)
    rest = list(words)
    rest.remove(surname)
    return " ".join([surname, *rest])


def check_surname(full_name: str, surname: str | None, field: str = "surname") -> None:
    """Refuse a surname that is not one of the full name's words (a typo would sort wrongly)."""
    wanted = " ".join((surname or "").split()).casefold()
    if wanted and wanted not in {word.casefold() for word in _words(full_name)}:
        raise ValidationError.on(field, _l("The surname must be one of the words of the full name."))


def one_word_warning(full_name: str):
    """A warning for a name of one word (a surname and a given name are expected), else None."""
    if len(_words(full_name)) == 1:
        return _l(
            "“%(name)s” is one word: a certificate prints the full name, so add the given name "
            "and the surname if you know them.",
            name=full_name.strip(),
        )
    return None
