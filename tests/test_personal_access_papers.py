"""Her personal link reaches her before the training: in the invitation email (one enrolment,
a waitlist move-up, a roster import) and on a slip in the session kit, with her short code.
A course without questions promises no tests: no link, no slips."""

import email
import email.policy
import io
import re
from datetime import date, timedelta

from pypdf import PdfReader
from sqlalchemy import select

from lms.assessments.models import AccessPass
from lms.cohorts import enrolment, kit, lookup, roster
from lms.core import outbox
from tests import factories
from tests.assessment_factories import question
from tests.queries import count_queries

LINK = re.compile(r"http://\S+/t/p/([\w-]+)")


def delivered(db, mail_dir, before) -> dict[str, str]:
    """Commit, publish the outbox; the new emails' plain bodies by recipient."""
    db.session.commit()
    outbox.publish_ready()
    messages = [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
        for p in set(mail_dir.glob("*.eml")) - before
    ]
    return {m["To"]: m.get_body(("plain",)).get_content() for m in messages}


def mail_before(mail_dir):
    return set(mail_dir.glob("*.eml")) if mail_dir.exists() else set()


def running(*, capacity=5, tests=True):
    course = factories.CourseFactory(title="Протидія торгівлі людьми", title_en="Countering trafficking")
    if tests:
        question(course, text="Хто ухвалює рішення про встановлення статусу?")
    return factories.CohortFactory(
        course=course,
        status="in_progress",
        capacity=capacity,
        start_date=date.today(),
        end_date=date.today() + timedelta(days=1),
    )


def pass_of(db, enrollment) -> AccessPass:
    return db.session.scalars(select(AccessPass).where(AccessPass.enrollment_id == enrollment.id)).one()


def test_the_invitation_carries_her_personal_link_and_code_which_open_her_tests(app, db, mail_dir):
    cohort = running()
    person = factories.UserFactory(email="maryana@example.org")
    before = mail_before(mail_dir)
    enrollment = enrolment.enrol(cohort, by=cohort.lead_trainer, user_id=person.id)
    body = delivered(db, mail_dir, before)["maryana@example.org"]
    access = pass_of(db, enrollment)
    assert LINK.search(body)[1] == access.token
    assert f"особистий код: {access.code}" in body
    assert "без пароля" in body
    client = app.test_client()
    assert client.get(f"/t/p/{access.token}").status_code == 302
    assert person.full_name in client.get("/t/").text


def test_the_invitation_in_english_says_the_same_in_english(db, mail_dir):
    cohort = running()
    person = factories.UserFactory(email="olena@example.org", locale="en")
    before = mail_before(mail_dir)
    enrollment = enrolment.enrol(cohort, by=cohort.lead_trainer, user_id=person.id)
    body = delivered(db, mail_dir, before)["olena@example.org"]
    access = pass_of(db, enrollment)
    assert "with no password" in body and f"personal code: {access.code}" in body
    assert LINK.search(body)[1] == access.token
    assert date.today().strftime("%B") in body  # the dates it works, in English


def test_a_course_without_questions_promises_no_tests(db, mail_dir):
    cohort = running(tests=False)
    person = factories.UserFactory(email="stepan@example.org")
    before = mail_before(mail_dir)
    enrolment.enrol(cohort, by=cohort.lead_trainer, user_id=person.id)
    body = delivered(db, mail_dir, before)["stepan@example.org"]
    assert "/t/p/" not in body and "код" not in body.lower()
    assert db.session.scalars(select(AccessPass)).all() == []


def test_each_person_moved_up_from_the_waitlist_gets_her_own_link(db, mail_dir):
    cohort = running(capacity=1)
    first, second = factories.UserFactory(), factories.UserFactory(email="waiting@example.org")
    held = enrolment.enrol(cohort, by=cohort.lead_trainer, user_id=first.id, send_invitation=False)
    waiting = enrolment.enrol(cohort, by=cohort.lead_trainer, user_id=second.id, send_invitation=False)
    assert waiting.status == "waitlisted"
    before = mail_before(mail_dir)
    enrolment.withdraw(held, by=cohort.lead_trainer)
    body = delivered(db, mail_dir, before)["waiting@example.org"]
    assert LINK.search(body)[1] == pass_of(db, waiting).token


def test_people_moved_up_together_get_their_own_links_in_a_fixed_number_of_queries(db, mail_dir):
    def move_up(n: int, tag: str) -> tuple[dict[str, str], dict[str, str], int]:
        cohort = running(capacity=1)
        lead = cohort.lead_trainer
        enrolment.enrol(cohort, by=lead, user_id=factories.UserFactory().id, send_invitation=False)
        waiting = [
            enrolment.enrol(
                cohort,
                by=lead,
                user_id=factories.UserFactory(email=f"{tag}{i}@example.org").id,
                send_invitation=False,
            )
            for i in range(n)
        ]
        cohort.capacity = 1 + n  # a bigger room: everyone waiting moves up at once
        db.session.commit()
        before = mail_before(mail_dir)
        with count_queries() as queries:
            moved = enrolment.fill_from_waitlist(cohort, by=lead)
        assert moved == waiting
        passes = [q for q in queries if "access_passes" in q or "FROM questions" in q]
        bodies = delivered(db, mail_dir, before)
        return bodies, {e.user.email: pass_of(db, e).token for e in waiting}, len(passes)

    one, tokens_for_one, queries_for_one = move_up(1, "one")
    three, tokens_for_three, queries_for_three = move_up(3, "three")
    assert {address: LINK.search(body)[1] for address, body in one.items()} == tokens_for_one
    assert {address: LINK.search(body)[1] for address, body in three.items()} == tokens_for_three
    # The links cost the same for three people as for one: no query per invitation.
    assert queries_for_three == queries_for_one


def test_a_roster_import_sends_everyone_her_own_link_in_a_fixed_number_of_queries(db, mail_dir, tmp_path):
    def import_people(n: int, tag: str) -> tuple[dict[str, str], int]:
        cohort = running(capacity=n)
        path = tmp_path / f"{tag}.csv"
        rows = [f"Особа{tag} Номер{i};{tag}{i}@example.org" for i in range(n)]
        path.write_text("ПІБ;Email\n" + "\n".join(rows) + "\n", encoding="utf-8")
        db.session.commit()
        before = mail_before(mail_dir)
        with count_queries() as queries:
            roster.import_roster(cohort, path, by=cohort.lead_trainer, skip_invalid=True)
        passes = [q for q in queries if "access_passes" in q or "FROM questions" in q]
        return delivered(db, mail_dir, before), len(passes)

    one, queries_for_one = import_people(1, "a")
    three, queries_for_three = import_people(3, "b")
    tokens = {LINK.search(body)[1] for body in three.values()}
    assert len(one) == 1 and len(three) == 3 and len(tokens) == 3
    assert tokens == set(db.session.scalars(select(AccessPass.token).where(AccessPass.token.in_(tokens))))
    # The links cost the same for three people as for one: no query per invitation.
    assert queries_for_three == queries_for_one == 3  # has tests?, their passes, the new ones


def _slip_text(pdf: bytes) -> str:
    pages = PdfReader(io.BytesIO(pdf)).pages
    return "\n".join(p.extract_text() for p in pages if "Особисті картки" in p.extract_text())


def test_the_session_kit_ends_with_a_slip_for_each_person_with_her_code(app, db):
    cohort = running(capacity=12)
    people = [factories.EnrollmentFactory(cohort=cohort) for _ in range(12)]
    withdrawn = factories.EnrollmentFactory(cohort=cohort, status="withdrawn")
    db.session.commit()
    with app.test_request_context():
        pdf = kit.session_kit_pdf(lookup.get_cohort(cohort.id))
    db.session.commit()
    lines = set(_slip_text(pdf).splitlines())
    for enrollment in people:
        assert enrollment.user.full_name in lines
        assert pass_of(db, enrollment).code in lines
    assert withdrawn.user.full_name not in lines
    assert db.session.get(AccessPass, withdrawn.id) is None
    # Ten slips to a page: twelve people take two pages.
    pages = [p for p in PdfReader(io.BytesIO(pdf)).pages if "Особисті картки" in p.extract_text()]
    assert len(pages) == 2


def test_the_kit_of_a_course_without_questions_has_no_slips(app, db):
    cohort = running(tests=False)
    factories.EnrollmentFactory(cohort=cohort)
    db.session.commit()
    with app.test_request_context():
        pdf = kit.session_kit_pdf(lookup.get_cohort(cohort.id))
    assert _slip_text(pdf) == ""


def test_the_kit_page_keeps_the_passes_it_made(client, db):
    from tests.conftest import sign_in

    cohort = running()
    enrollment = factories.EnrollmentFactory(cohort=cohort)
    db.session.commit()
    sign_in(client, cohort.lead_trainer)
    first = client.get(f"/cohorts/{cohort.id}/kit.pdf")
    assert first.status_code == 200
    code = pass_of(db, enrollment).code
    again = client.get(f"/cohorts/{cohort.id}/kit.pdf")
    assert code in _slip_text(first.data) and code in _slip_text(again.data)
