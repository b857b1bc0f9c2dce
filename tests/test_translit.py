"""Tests for the official Ukrainian transliteration (KMU Resolution No. 55, 2010)."""

import pytest

from lms.org.translit import transliterate

# Examples given in the official table of the resolution.
OFFICIAL_EXAMPLES = [
    ("Алушта", "Alushta"),
    ("Борщагівка", "Borshchahivka"),
    ("Вінниця", "Vinnytsia"),
    ("Гадяч", "Hadiach"),
    ("Згорани", "Zghorany"),
    ("Розгон", "Rozghon"),
    ("Ґалаґан", "Galagan"),
    ("Дон", "Don"),
    ("Рівне", "Rivne"),
    ("Єнакієве", "Yenakiieve"),
    ("Наєнко", "Naienko"),
    ("Житомир", "Zhytomyr"),
    ("Закарпаття", "Zakarpattia"),
    ("Медвин", "Medvyn"),
    ("Іршава", "Irshava"),
    ("Їжакевич", "Yizhakevych"),
    ("Кадиївка", "Kadyivka"),
    ("Йосипівка", "Yosypivka"),
    ("Стрий", "Stryi"),
    ("Олексій", "Oleksii"),
    ("Київ", "Kyiv"),
    ("Лебедин", "Lebedyn"),
    ("Миколаїв", "Mykolaiv"),
    ("Ніжин", "Nizhyn"),
    ("Одеса", "Odesa"),
    ("Полтава", "Poltava"),
    ("Ромни", "Romny"),
    ("Суми", "Sumy"),
    ("Тетерів", "Teteriv"),
    ("Ужгород", "Uzhhorod"),
    ("Фастів", "Fastiv"),
    ("Харків", "Kharkiv"),
    ("Біла Церква", "Bila Tserkva"),
    ("Чернівці", "Chernivtsi"),
    ("Шостка", "Shostka"),
    ("Гоща", "Hoshcha"),
    ("Щербухи", "Shcherbukhy"),
    ("Юрій", "Yurii"),
    ("Корюківка", "Koriukivka"),
    ("Яготин", "Yahotyn"),
    ("Костянтин", "Kostiantyn"),
    ("Знам'янка", "Znamianka"),
    ("Феодосія", "Feodosiia"),
]


@pytest.mark.parametrize(("source", "expected"), OFFICIAL_EXAMPLES)
def test_official_examples(source, expected):
    assert transliterate(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("Україна", "Ukraina"),
        ("Ковалевська Ірина Миколаївна", "Kovalevska Iryna Mykolaivna"),
        ("Івано-Франківськ", "Ivano-Frankivsk"),
        ("Запоріжжя", "Zaporizhzhia"),
    ],
)
def test_names(source, expected):
    assert transliterate(source) == expected


@pytest.mark.parametrize("apostrophe", ["'", "\u2019", "\u02bc"])
def test_apostrophe_variants_are_dropped(apostrophe):
    assert transliterate(f"Знам{apostrophe}янка") == "Znamianka"
    assert transliterate(f"П{apostrophe}ятихатки") == "Piatykhatky"


def test_soft_sign_is_dropped():
    assert transliterate("Львів") == "Lviv"
    assert transliterate("Ньютон") == "Niuton"


def test_position_dependent_letters_at_each_word_start():
    assert transliterate("Юрій Яковлєв") == "Yurii Yakovliev"
    assert transliterate("яр їжак") == "yar yizhak"


def test_all_caps_words_stay_all_caps():
    assert transliterate("ЩЕРБУХИ") == "SHCHERBUKHY"
    assert transliterate("ЗГОРАНИ") == "ZGHORANY"
    assert transliterate("ЮРІЙ Щербухи") == "YURII Shcherbukhy"


def test_lowercase_and_single_capital():
    assert transliterate("щербухи") == "shcherbukhy"
    assert transliterate("Я") == "Ya"


def test_non_cyrillic_passes_through():
    assert transliterate("") == ""
    assert transliterate("Hello, world! 123") == "Hello, world! 123"
    assert transliterate("вул. Хрещатик, 22 (Kyiv)") == "vul. Khreshchatyk, 22 (Kyiv)"
