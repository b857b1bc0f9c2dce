"""People's surnames: guessed from the full name written either way, correctable, kept in step
with the name; one-word names warn, empty ones are refused, on pages and in the API."""

import pytest
from sqlalchemy import select

from lms.accounts import names, services
from lms.accounts.models import User
from lms.core.errors import ValidationError
from tests import factories
from tests.conftest import api_headers, sign_in


@pytest.mark.parametrize(
    ("full_name", "surname", "sort_name"),
    [
        ("Олена Шевченко", "Шевченко", "Шевченко Олена"),
        ("Шевченко Олена Петрівна", "Шевченко", "Шевченко Олена Петрівна"),
        ("Ткаченко Віктор Андрійович", "Ткаченко", "Ткаченко Віктор Андрійович"),
        ("Гнатюк Богдан", "Гнатюк", "Гнатюк Богдан"),
        ("Мар'яна Ковальчук", "Ковальчук", "Ковальчук Мар'яна"),
        ("Лесь Курбас", "Курбас", "Курбас Лесь"),
        ("Бондаренко", "Бондаренко", "Бондаренко"),
        ("  Ірина   Ковалевська ", "Ковалевська", "Ковалевська Ірина"),
    ],
)
def test_surname_is_guessed_from_the_full_name_either_way_round(full_name, surname, sort_name):
    assert names.guess_surname(full_name) == surname
    assert names.sort_name(full_name, names.guess_surname(full_name)) == sort_name


def test_a_given_surname_corrects_the_guess_and_must_be_part_of_the_name(db):
    user = services.create_user(by=None, email="o@example.org", full_name="Олег Богдан", surname="олег")
    db.session.flush()
    assert (user.surname, user.sort_name, user.full_name) == ("Олег", "Олег Богдан", "Олег Богдан")
    with pytest.raises(ValidationError) as error:
        services.create_user(by=None, email="p@example.org", full_name="Олег Богдан", surname="Петренко")
    assert "surname" in error.value.fields


def test_renaming_a_person_keeps_her_surname_when_it_stays_and_guesses_anew_when_it_goes(db, admin):
    user = factories.UserFactory(full_name="Олег Богдан")
    services.update_user(user, by=admin, surname="Олег")
    db.session.flush()
    services.update_user(user, by=admin, full_name="Олег Богдан Іванович")
    db.session.flush()
    assert user.sort_name == "Олег Богдан Іванович"
    services.update_user(user, by=admin, full_name="Марія Коваль")
    db.session.flush()
    assert (user.surname, user.sort_name) == ("Коваль", "Коваль Марія")


def test_admin_sets_a_surname_on_the_person_form(client, db, admin):
    sign_in(client, admin)
    response = client.post(
        "/admin/users/new",
        data={
            "full_name": "Коваль Олег",
            "surname": "Коваль",
            "email": "k@example.org",
            "roles": ["participant"],
        },
    )
    assert response.status_code == 302
    assert db.session.scalar(select(User.sort_name).where(User.email == "k@example.org")) == "Коваль Олег"


def test_one_word_name_is_saved_with_a_warning_on_the_page(client, db, admin):
    sign_in(client, admin)
    response = client.post(
        "/admin/users/new",
        data={"full_name": "Бондаренко", "email": "b@example.org", "roles": ["participant"]},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "alert-warning" in page
    assert "одне слово" in page  # the Ukrainian interface explains it in Ukrainian
    assert db.session.scalar(select(User.id).where(User.email == "b@example.org")) is not None


def test_two_word_name_has_no_warning(client, db, admin):
    sign_in(client, admin)
    response = client.post(
        "/admin/users/new",
        data={"full_name": "Яна Бондаренко", "email": "y@example.org", "roles": ["participant"]},
        follow_redirects=True,
    )
    assert "alert-warning" not in response.get_data(as_text=True)


def test_empty_name_is_refused_on_the_page(client, db, admin):
    sign_in(client, admin)
    response = client.post(
        "/admin/users/new", data={"full_name": "   ", "email": "e@example.org", "roles": ["participant"]}
    )
    assert response.status_code == 200
    assert db.session.scalar(select(User.id).where(User.email == "e@example.org")) is None


def test_api_warns_about_a_one_word_name_and_refuses_an_empty_one(client, db, admin):
    headers = api_headers(admin)
    created = client.post(
        "/api/v1/users", json={"email": "one@example.org", "full_name": "Бондаренко"}, headers=headers
    )
    assert created.status_code == 201 and len(created.json["warnings"]) == 1
    assert created.json["sort_name"] == "Бондаренко"
    fine = client.post(
        "/api/v1/users", json={"email": "two@example.org", "full_name": "Яна Бондар"}, headers=headers
    )
    assert fine.status_code == 201 and fine.json["warnings"] == [] and fine.json["surname"] == "Бондар"
    empty = client.post(
        "/api/v1/users", json={"email": "none@example.org", "full_name": " "}, headers=headers
    )
    assert empty.status_code == 422 and "full_name" in empty.json["error"]["fields"]


def test_api_corrects_a_surname_and_refuses_one_outside_the_name(client, db, admin):
    headers = api_headers(admin)
    user = factories.UserFactory(full_name="Олег Богдан")
    fixed = client.patch(f"/api/v1/users/{user.id}", json={"surname": "Олег"}, headers=headers)
    assert fixed.status_code == 200 and fixed.json["sort_name"] == "Олег Богдан"
    wrong = client.patch(f"/api/v1/users/{user.id}", json={"surname": "Петренко"}, headers=headers)
    assert wrong.status_code == 422 and "surname" in wrong.json["error"]["fields"]


def test_roster_with_a_surname_column_sorts_people_by_that_surname(db, tmp_path):
    from lms.cohorts import roster

    cohort = factories.CohortFactory(capacity=5, with_sessions=True)
    path = tmp_path / "roster.csv"
    rows = [
        ["Прізвище", "Ім'я", "Email"],
        ["Олег", "Богдан", "o.oleh@example.org"],
        ["Коваль", "Ірина", "k@example.org"],
    ]
    path.write_bytes(("\r\n".join(";".join(row) for row in rows) + "\r\n").encode())
    report = roster.import_roster(cohort, path, by=cohort.lead_trainer, send_invitations=False)
    assert report["created"] == 2
    people = dict(
        db.session.execute(select(User.email, User.sort_name).where(User.email.like("%@example.org"))).all()
    )
    assert people["o.oleh@example.org"] == "Олег Богдан"  # both are given names: the column decides
    assert people["k@example.org"] == "Коваль Ірина"
