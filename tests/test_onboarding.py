"""A way in for every new person: welcome emails, set-password links, links on the right address."""

import email
import email.policy
import re
import time

import pytest

from lms.accounts import onboarding
from lms.accounts.models import User
from lms.cli import dev_base_url
from lms.cohorts import enrolment
from lms.core import outbox
from lms.core.models import AuditEvent
from tests import factories
from tests.conftest import sign_in

SET_LINK = re.compile(r"(https?://\S+)/password/set/(\S+)")


def new_mail(db, mail_dir, before):
    db.session.commit()
    outbox.publish_ready()
    paths = sorted(set(mail_dir.glob("*.eml")) - before, key=lambda p: p.stat().st_mtime_ns)
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in paths]


def existing_mail(mail_dir):
    return set(mail_dir.glob("*.eml")) if mail_dir.exists() else set()


def body_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def without_password(**fields) -> User:
    user = factories.UserFactory(**fields)
    user.password_hash = None
    return user


def add_person(client, email_address="nova@example.org", **extra):
    data = {
        "full_name": "Надія Коваленко",
        "email": email_address,
        "roles": ["participant"],
        "institution_id": "0",
    }
    data.update(extra)
    return client.post("/admin/users/new", data=data)


def test_person_added_by_admin_gets_a_welcome_with_a_set_password_link_valid_for_days(
    app, client, db, admin, mail_dir, monkeypatch
):
    monkeypatch.setitem(app.config, "BASE_URL", "http://127.0.0.1:5101")
    sign_in(client, admin)
    before = existing_mail(mail_dir)
    assert add_person(client).status_code == 302
    (message,) = new_mail(db, mail_dir, before)
    body = body_of(message)
    assert message["To"] == "nova@example.org"
    assert message["Subject"] == "Ваш обліковий запис у Cascade LMS"
    assert "Надія Коваленко" in body and "http://127.0.0.1:5101" in body
    assert "14 днів" in body
    assert "дві години" not in body and "ігноруйте" not in body.lower()
    link = SET_LINK.search(body)
    assert link.group(1) == "http://127.0.0.1:5101"
    user = db.session.query(User).filter_by(email="nova@example.org").one()
    assert user.password_hash is None
    assert db.session.query(AuditEvent).filter_by(action="user.welcome", object_id=user.id).count() == 1


def test_welcome_of_a_person_with_an_initial_password_gives_a_sign_in_link(client, db, admin, mail_dir):
    sign_in(client, admin)
    before = existing_mail(mail_dir)
    assert add_person(client, password="a-long-first-password").status_code == 302
    (message,) = new_mail(db, mail_dir, before)
    body = body_of(message)
    assert "/login" in body and "/password/set/" not in body


def test_set_password_link_signs_the_person_in_and_works_once(app, client, db, mail_dir, strict_loading):
    user = without_password(email="first@example.org")
    db.session.flush()
    path = "/password/set/" + SET_LINK.search(onboarding.set_password_link(user)).group(2)
    page = client.get(path)
    assert page.status_code == 200 and "first@example.org" in page.get_data(as_text=True)
    short = client.post(path, data={"password": "short", "confirm": "short"})
    assert short.status_code == 200 and user.password_hash is None
    done = client.post(path, data={"password": "my-own-password-1", "confirm": "my-own-password-1"})
    assert done.status_code == 302 and done.headers["Location"] == "/"
    assert client.get("/").status_code == 200  # signed in
    assert user.check_password("my-own-password-1")
    assert db.session.query(AuditEvent).filter_by(action="user.password_set", object_id=user.id).count() == 1
    client.post("/logout")
    again = client.post(path, data={"password": "someone-elses-9", "confirm": "someone-elses-9"})
    assert again.status_code == 302 and again.headers["Location"].endswith("/password/forgot")
    assert user.check_password("my-own-password-1")


def test_set_password_link_expires_after_the_configured_days(app, client, db, monkeypatch):
    monkeypatch.setitem(app.config, "WELCOME_LINK_DAYS", 3)
    user = without_password()
    db.session.flush()
    path = "/password/set/" + SET_LINK.search(onboarding.set_password_link(user)).group(2)
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 3 * 86400 - 60)
    assert client.get(path).status_code == 200
    monkeypatch.setattr(time, "time", lambda: now + 3 * 86400 + 60)
    assert client.get(path).status_code == 302


def test_a_forged_or_deactivated_persons_link_is_refused(client, db):
    user = without_password()
    db.session.flush()
    token = SET_LINK.search(onboarding.set_password_link(user)).group(2)
    assert client.get("/password/set/" + token[:-2] + "xx").status_code == 302
    user.active = False
    assert client.get("/password/set/" + token).status_code == 302


def test_new_participant_enrolled_by_a_trainer_gets_a_set_password_link_in_the_invitation(db, mail_dir):
    cohort = factories.CohortFactory(capacity=5, with_sessions=True)
    before = existing_mail(mail_dir)
    enrolment.enrol(
        cohort, by=cohort.lead_trainer, new_person={"full_name": "Марія Гнатюк", "email": "maria@example.org"}
    )
    (message,) = new_mail(db, mail_dir, before)
    body = body_of(message)
    assert SET_LINK.search(body) and "maria@example.org" in body


def test_registered_person_gets_a_sign_in_link_in_the_invitation(db, mail_dir):
    cohort = factories.CohortFactory(capacity=5)
    person = factories.UserFactory(email="known@example.org")
    before = existing_mail(mail_dir)
    enrolment.enrol(cohort, by=cohort.lead_trainer, user_id=person.id)
    (message,) = new_mail(db, mail_dir, before)
    body = body_of(message)
    assert "/login" in body and "/password/set/" not in body


def test_new_participant_put_on_the_waitlist_still_gets_a_way_in(db, mail_dir):
    cohort = factories.CohortFactory(capacity=1)
    enrolment.enrol(cohort, by=cohort.lead_trainer, user_id=factories.UserFactory().id, send_invitation=False)
    before = existing_mail(mail_dir)
    waiting = enrolment.enrol(
        cohort, by=cohort.lead_trainer, new_person={"full_name": "Ірина Бойко", "email": "iryna@example.org"}
    )
    assert waiting.status == "waitlisted"
    (message,) = new_mail(db, mail_dir, before)
    assert message["To"] == "iryna@example.org" and SET_LINK.search(body_of(message))


@pytest.mark.parametrize(
    ("host", "port", "env", "expected"),
    [
        ("127.0.0.1", 5101, {}, "http://127.0.0.1:5101"),
        ("0.0.0.0", 8080, {}, "http://127.0.0.1:8080"),  # noqa: S104 - the wildcard under test
        ("127.0.0.1", 5101, {"LMS_BASE_URL": "https://lms.example.org/"}, "https://lms.example.org"),
    ],
)
def test_dev_server_gives_emails_its_own_address_unless_lms_base_url_says_otherwise(
    host, port, env, expected
):
    assert dev_base_url(host, port, env) == expected


def test_adding_a_new_participant_with_a_registered_email_offers_to_enrol_that_person(client, db):
    cohort = factories.CohortFactory(capacity=5)
    known = factories.UserFactory(email="known@example.org", full_name="Тетяна Савчук")
    sign_in(client, cohort.lead_trainer)
    response = client.post(
        f"/cohorts/{cohort.id}/enrolments/new",
        data={"full_name": "Тетяна Савчук", "email": "Known@Example.org", "institution_id": "0"},
    )
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    offer = page[page.index('data-testid="existing-person"') :]
    assert "Тетяна Савчук" in offer and f'name="user_id" value="{known.id}"' in offer
    assert client.post(f"/cohorts/{cohort.id}/enrolments", data={"user_id": known.id}).status_code == 302
    again = client.post(
        f"/cohorts/{cohort.id}/enrolments/new",
        data={"full_name": "Тетяна Савчук", "email": "known@example.org", "institution_id": "0"},
    ).get_data(as_text=True)
    offer = again[again.index('data-testid="existing-person"') :]
    assert 'name="user_id"' not in offer.split("</div>")[0]  # already enrolled: nothing to press


def test_a_deactivated_persons_email_is_not_offered_to_a_trainer(client, db):
    cohort = factories.CohortFactory(capacity=5)
    factories.UserFactory(email="gone@example.org", active=False)
    sign_in(client, cohort.lead_trainer)
    page = client.post(
        f"/cohorts/{cohort.id}/enrolments/new",
        data={"full_name": "Хтось Інший", "email": "gone@example.org", "institution_id": "0"},
    ).get_data(as_text=True)
    assert 'data-testid="existing-person"' not in page


def test_admin_adding_a_registered_email_is_offered_to_open_that_person(client, db, admin):
    known = factories.UserFactory(email="known@example.org", full_name="Тетяна Савчук")
    sign_in(client, admin)
    response = add_person(client, email_address="KNOWN@example.org")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'href="/admin/users/{known.id}"' in page and "Тетяна Савчук" in page


def test_person_created_through_the_api_gets_the_welcome_too(client, db, admin, mail_dir):
    from tests.conftest import api_headers

    headers = api_headers(admin)
    before = existing_mail(mail_dir)
    response = client.post(
        "/api/v1/users",
        json={"email": "api.person@example.org", "full_name": "Ігор Левченко", "roles": ["participant"]},
        headers=headers,
    )
    assert response.status_code == 201
    (message,) = new_mail(db, mail_dir, before)
    assert message["To"] == "api.person@example.org" and SET_LINK.search(body_of(message))
