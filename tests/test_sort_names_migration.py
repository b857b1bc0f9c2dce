"""Migration 0008 gives people already in the database a surname and a sort name, and their
institutions an English name, on both databases."""

import sqlalchemy as sa
from flask_migrate import upgrade

from lms import create_app
from lms.extensions import db
from tests.conftest import app_config, drop_postgres_database, make_database_url


def test_existing_people_and_institutions_get_sort_names_and_english_names(backend, tmp_path):
    url = make_database_url(backend, tmp_path, "sortnames")
    application = create_app(app_config(url, tmp_path))
    try:
        with application.app_context():
            upgrade(revision="0002")
            run = db.session.execute
            run(
                sa.text(
                    "INSERT INTO regions (code, name, name_en, kind, created_at, updated_at) "
                    "VALUES ('UA-71', 'Черкаська область', 'Cherkasy Oblast', 'oblast', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
            run(
                sa.text(
                    "INSERT INTO districts (region_id, name, name_en, created_at, updated_at) "
                    "SELECT id, 'Уманський район', 'Uman Raion', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM regions"
                )
            )
            run(
                sa.text(
                    "INSERT INTO institutions (name, type, district_id, created_at, updated_at) "
                    "SELECT 'Уманський районний центр соціальних служб', 'social_services_centre', id, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP "
                    "FROM districts"
                )
            )
            for n, name in enumerate(["Олена Шевченко", "Гнатюк Богдан Петрович", "Бондаренко"]):
                run(
                    sa.text(
                        "INSERT INTO users (email, full_name, full_name_latin, position, active, locale, "
                        "session_nonce, search_text, created_at, updated_at) "
                        "VALUES (:email, :name, '', '', true, 'uk', 'x', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                    ),
                    {"email": f"p{n}@example.org", "name": name},
                )
            db.session.commit()
            upgrade()
            people = run(sa.text("SELECT full_name, surname, sort_name FROM users ORDER BY email")).all()
            assert [tuple(p) for p in people] == [
                ("Олена Шевченко", "Шевченко", "Шевченко Олена"),
                ("Гнатюк Богдан Петрович", "Гнатюк", "Гнатюк Богдан Петрович"),
                ("Бондаренко", "Бондаренко", "Бондаренко"),
            ]
            assert run(sa.text("SELECT name_en FROM institutions")).scalar() == (
                "Umanskyi raionnyi tsentr sotsialnykh sluzhb"
            )
            db.session.remove()
            db.engine.dispose()
    finally:
        if backend == "postgresql":
            drop_postgres_database(url)
