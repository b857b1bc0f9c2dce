"""Ukrainian alphabetical order on both databases and in Python, English order in English."""

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from lms.core.collation import by_name, sort_key
from lms.org.models import Region
from tests import factories

# Each pair: the first comes before the second in Ukrainian.
UKRAINIAN_PAIRS = [
    ("Алла", "Ірина"),
    ("Гнатюк", "Ґудзь"),
    ("Ґудзь", "Дмитренко"),
    ("Еліна", "Єва"),
    ("Іванов", "Їжак"),
    ("Їжак", "Йосип"),
    ("Бондар Олена", "Бондаренко Ірина"),
]
UKRAINIAN_ORDER = ["Алла", "Гнатюк", "Ґудзь", "Дмитренко", "Еліна", "Єва", "Іванов", "Ірина", "Їжак", "Йосип"]


@pytest.mark.parametrize(("before", "after"), UKRAINIAN_PAIRS)
def test_python_key_follows_the_ukrainian_alphabet(before, after):
    assert sort_key(before, "uk") < sort_key(after, "uk")


def test_python_key_in_english_puts_latin_letters_in_english_order():
    names = ["Zhytomyr", "cherkasy", "Ivano-Frankivsk", "Kyiv"]
    assert sorted(names, key=lambda n: sort_key(n, "en")) == [
        "cherkasy",
        "Ivano-Frankivsk",
        "Kyiv",
        "Zhytomyr",
    ]


def _regions(db, names):
    for n, name in enumerate(reversed(names)):
        factories.RegionFactory(code=f"C-{n}", name=name, name_en=f"Region {n}")
    db.session.flush()


def test_database_orders_ukrainian_names_alphabetically(db):
    _regions(db, UKRAINIAN_ORDER)
    query = select(Region.name).where(Region.code.like("C-%")).order_by(by_name(Region.name, language="uk"))
    assert db.session.scalars(query).all() == UKRAINIAN_ORDER


def test_database_order_matches_the_python_key(db):
    names = ["Івано-Франківська", "Черкаська", "Автономна Республіка Крим", "Житомирська", "Єрусалим"]
    _regions(db, names)
    query = select(Region.name).where(Region.code.like("C-%")).order_by(by_name(Region.name, language="uk"))
    assert db.session.scalars(query).all() == sorted(names, key=lambda n: sort_key(n, "uk"))


def test_database_orders_by_the_page_language_when_none_is_given(app, db):
    for n, name_en in enumerate(["Zhytomyr", "Cherkasy", "Ivano-Frankivsk"]):
        factories.RegionFactory(code=f"C-{n}", name=f"Назва {n}", name_en=name_en)
    db.session.flush()

    def names():
        order = by_name(Region.name, Region.name_en)
        return db.session.scalars(select(Region.name_en).where(Region.code.like("C-%")).order_by(order)).all()

    with app.test_request_context(), force_locale("en"):
        assert names() == ["Cherkasy", "Ivano-Frankivsk", "Zhytomyr"]
    with app.test_request_context(), force_locale("uk"):
        assert names() == ["Zhytomyr", "Cherkasy", "Ivano-Frankivsk"]


def test_language_is_part_of_the_statement_cache_key():
    uk, en = by_name(Region.name, language="uk"), by_name(Region.name, language="en")
    assert (
        select(Region).order_by(uk)._generate_cache_key() != select(Region).order_by(en)._generate_cache_key()
    )
