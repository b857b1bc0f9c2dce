"""Ukrainian-to-Latin transliteration.

Implements the official national transliteration table approved by
Resolution of the Cabinet of Ministers of Ukraine No. 55 of 27 January 2010
("Про впорядкування транслітерації українського алфавіту латиницею"),
the system used for passports and geographic names.

Rules applied:
* Є, Ї, Й, Ю, Я are written Ye, Yi, Y, Yu, Ya at the start of a word and
  ie, i, i, iu, ia elsewhere;
* the combination "зг" is written "zgh" (to tell it apart from "zh" = ж);
* the soft sign (ь) and the apostrophe are not transliterated;
* case is preserved: a capital letter gives a capitalised group (Щ -> Shch),
  a word written entirely in capitals stays in capitals (ЩЕ -> SHCHE);
* any other character is passed through unchanged.
"""

import re

__all__ = ["transliterate"]

# Letter -> Latin, or (form at the start of a word, form elsewhere).
# fmt: off
_TABLE = {
    "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e",
    "є": ("ye", "ie"), "ж": "zh", "з": "z", "и": "y", "і": "i",
    "ї": ("yi", "i"), "й": ("y", "i"), "к": "k", "л": "l", "м": "m",
    "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
    "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch",
    "ь": "", "ю": ("yu", "iu"), "я": ("ya", "ia"),
}
# fmt: on
_APOSTROPHES = "'\u2019\u02bc"

# A word: a Ukrainian letter followed by letters and apostrophes.
_WORD = re.compile(f"[{''.join(_TABLE)}]+(?:[{_APOSTROPHES}][{''.join(_TABLE)}]+)*", re.IGNORECASE)


def _word(word: str) -> str:
    letters = [c for c in word if c not in _APOSTROPHES]
    all_caps = len(letters) > 1 and all(c.isupper() for c in letters)
    out = []
    for i, char in enumerate(word):
        low = char.lower()
        if low not in _TABLE:  # apostrophe
            continue
        latin = _TABLE[low]
        if isinstance(latin, tuple):
            latin = latin[0] if i == 0 else latin[1]
        if low == "г" and i > 0 and word[i - 1].lower() == "з":
            latin = "gh"
        if all_caps:
            latin = latin.upper()
        elif char.isupper():
            latin = latin.capitalize()
        out.append(latin)
    return "".join(out)


def transliterate(text: str) -> str:
    """Transliterate Ukrainian ``text`` to Latin per KMU Resolution No. 55."""
    return _WORD.sub(lambda m: _word(m.group(0)), text)
