"""The permission matrix, generated from the route map: every route that names an object (page
and API) is asked by each role in each relation to that object — own, same region, other region,
withdrawn, not enrolled — and must answer the expected status. A new route joins automatically:
until it is classified in ACCESS (or EXCLUDED, with the reason) the matrix fails.
"""

import io
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from lms.accounts.services import create_token
from lms.assessments.access import pass_for
from lms.assessments.bank_upload import IMPORT_KIND as BANK_JOB
from lms.assessments.delivery import open_test, start_attempt
from lms.assessments.paper_upload import IMPORT_KIND as PAPER_JOB
from lms.cascade.lineage import refresh_lineage
from lms.certificates.issuance import zip_path
from lms.certificates.services import issue_certificate
from lms.cohorts.roster.uploads import JOB_KIND as ROSTER_JOB
from lms.core.models import Job
from lms.courses.models import Accreditation
from lms.extensions import db as database
from tests import factories
from tests.assessment_factories import question as assessment_question
from tests.conftest import sign_in

# Who may use a route, as the rules say (lms/*/rules.py). Each class maps a person to the status
# of a refusal; people not listed are allowed.
MANAGERS = {"admin", "coordinator/same region", "trainer/own"}
COHORT_PEOPLE = MANAGERS | {"participant/own"}
EVERYONE = {
    "admin",
    "coordinator/same region",
    "coordinator/other region",
    "trainer/own",
    "trainer/same region",
    "trainer/other region",
    "participant/own",
    "participant/withdrawn",
    "participant/not enrolled",
}


def refused(allowed: set[str], status_for) -> dict[str, int]:
    return {person: status_for(person) for person in EVERYONE - allowed}


# Outside a cohort one sees nothing (404); seeing it without managing it gets 403.
COHORT_VIEW = refused(COHORT_PEOPLE, lambda person: 404)
COHORT_MANAGE = refused(MANAGERS, lambda person: 403 if person == "participant/own" else 404)
GEOGRAPHY = refused({"admin", "coordinator/same region"}, lambda person: 403)
ADMINS = refused({"admin"}, lambda person: 403)
OPEN = refused(EVERYONE, lambda person: 0)
SELF = refused({"admin", "participant/own"}, lambda person: 404)  # the person is participant/own
# A person (participant/own, enrolled in a training of the region): herself, admins, and the
# coordinator of that region see her; only she and admins change her profile.
PERSON_VIEW = refused({"admin", "participant/own", "coordinator/same region"}, lambda person: 404)
PERSON_EDIT = refused(
    {"admin", "participant/own"}, lambda person: 403 if person == "coordinator/same region" else 404
)
# Another person's accreditation, job or token is outside one's scope: 404, so ids reveal nothing.
OWN_ACCREDITATION = refused(
    {"admin", "coordinator/same region", "coordinator/other region", "trainer/own"}, lambda person: 404
)
# Revoking: admins only; who can see the accreditation is told 403, anyone else finds nothing.
REVOKE_ACCREDITATION = refused(
    {"admin"},
    lambda person: (
        403 if person in {"coordinator/same region", "coordinator/other region", "trainer/own"} else 404
    ),
)
OWN_JOB = refused({"admin", "trainer/own"}, lambda person: 404)  # started by trainer/own
# Starting a job again: only who started it (and admins); who sees the cohort is told 403.
RETRY_JOB = refused(
    {"admin", "trainer/own"},
    lambda person: 403 if person in {"coordinator/same region", "participant/own"} else 404,
)
ADMIN_ONLY = refused({"admin"}, lambda person: 404)  # the API does not tell that the person exists
# Question banks are course-wide: coordinators and trainers read them; participants never (the
# answers are in them). Coordinators, and trainers accredited for the course (trainer/own),
# write them.
STAFF = {"admin", "coordinator/same region", "coordinator/other region", "trainer/own"}
TRAINERS = {"trainer/same region", "trainer/other region"}
BANK_READ = refused(STAFF | TRAINERS, lambda person: 403)
QUESTION_READ = refused(STAFF | TRAINERS, lambda person: 404)
BANK_WRITE = refused(STAFF, lambda person: 403)
QUESTION_WRITE = refused(STAFF, lambda person: 403 if person in TRAINERS else 404)
# A trainer in the cascade (trainer/own): herself (and her ancestors), her region's coordinator.
CASCADE_TRAINER = refused(
    {"admin", "coordinator/same region", "trainer/own"},
    lambda person: 403 if person.startswith("participant") else 404,
)
# The region's tree: each coordinator gets her own regions' (the URL names only a format).
REGION_TREE = refused({"admin", "coordinator/same region", "coordinator/other region"}, lambda person: 403)
# A certificate of participant/own: she, the training's trainers and its region's coordinator
# see it; revoking and reissuing is the coordinator's (and admins').
CERTIFICATE_VIEW = refused(
    {"admin", "coordinator/same region", "trainer/own", "participant/own"}, lambda p: 404
)
CERTIFICATE_REVOKE = refused(
    {"admin", "coordinator/same region"},
    lambda person: 403 if person in {"trainer/own", "participant/own"} else 404,
)
# Her tests from her home page: only she, while enrolled and during the dates (a pass acts as
# her, so admins are refused too).
OWN_TEST_PASS = refused({"participant/own"}, lambda person: 404)
# The test-taking pages act for the pass in the session, never for the account: without a pass
# everyone, admins too, finds nothing.
NO_PASS = refused(set(), lambda person: 404)
OWN_TOKEN = refused({"admin", "participant/own"}, lambda person: 404)  # held by participant/own

ACCESS = {
    "cohorts.detail": COHORT_VIEW,
    "cohorts.edit": COHORT_MANAGE,
    "cohorts.change_status": COHORT_MANAGE,
    "cohorts.session_form": COHORT_MANAGE,
    "cohorts.delete_session": COHORT_MANAGE,
    "attendance.cohort_attendance": COHORT_MANAGE,
    "attendance.session_kit": COHORT_MANAGE,
    "attendance.session_attendance": COHORT_MANAGE,
    "attendance.checkin_code": COHORT_MANAGE,
    "enrolment.index": COHORT_MANAGE,
    "enrolment.enrol": COHORT_MANAGE,
    "enrolment.enrol_again": COHORT_MANAGE,
    "enrolment.withdraw": COHORT_MANAGE,
    "enrolment.add": COHORT_MANAGE,
    "enrolment.enrol_new": COHORT_MANAGE,
    "enrolment.roster_template": COHORT_MANAGE,
    "enrolment.roster_upload": COHORT_MANAGE,
    "enrolment.roster_job": COHORT_MANAGE,
    "cohorts_api.get_cohort": COHORT_VIEW,
    "cohorts_api.update_cohort": COHORT_MANAGE,
    "cohorts_api.list_sessions": COHORT_VIEW,
    "cohorts_api.create_session": COHORT_MANAGE,
    "cohorts_api.update_session": COHORT_MANAGE,
    "cohorts_api.delete_session": COHORT_MANAGE,
    "attendance_api.cohort_attendance": COHORT_MANAGE,
    "attendance_api.session_attendance": COHORT_MANAGE,
    "attendance_api.set_session_attendance": COHORT_MANAGE,
    "enrolment_api.list_enrollments": COHORT_MANAGE,
    "enrolment_api.create_enrollment": COHORT_MANAGE,
    "enrolment_api.import_roster": COHORT_MANAGE,
    "enrolment_api.withdraw_enrollment": COHORT_MANAGE,
    "org.region": GEOGRAPHY,
    "org.district": GEOGRAPHY,
    "org.institution_form": GEOGRAPHY,
    "users_admin.edit": ADMINS,
    "users_admin.set_active": ADMINS,
    "accounts_api.get_user": PERSON_VIEW,
    "accounts_api.update_user": PERSON_EDIT,
    "users_admin.person": PERSON_VIEW,
    "courses.detail": OPEN,
    "courses.edit": ADMINS,
    "courses.set_active": ADMINS,
    "courses.revoke": ADMINS,
    "courses_api.get_course": OPEN,
    "courses_api.update_course": ADMINS,
    "courses_api.get_accreditation": OWN_ACCREDITATION,
    "courses_api.revoke_accreditation": REVOKE_ACCREDITATION,
    "accounts.revoke_token": OWN_TOKEN,
    "accounts_api.revoke_token": OWN_TOKEN,
    "jobs_api.get_job": OWN_JOB,
    "enrolment.roster_job_retry": RETRY_JOB,
    # Assessments: a training's tests and results (test.manage, results.view, scores.enter).
    "cohort_tests.close_test": COHORT_MANAGE,
    "cohort_tests.extend_time": COHORT_MANAGE,
    "cohort_tests.open_test": COHORT_MANAGE,
    "cohort_tests.paper_grid": COHORT_MANAGE,
    "cohort_tests.paper_pdf": COHORT_MANAGE,
    "paper_upload.template": COHORT_MANAGE,
    "paper_upload.upload": COHORT_MANAGE,
    "paper_upload.saving": COHORT_MANAGE,
    "cohort_tests.release_results": COHORT_MANAGE,
    "cohort_tests.results_page": COHORT_MANAGE,
    "cohort_tests.results_xlsx": COHORT_MANAGE,
    "cohort_tests.slips": COHORT_MANAGE,
    "cohort_tests.tests_page": COHORT_MANAGE,
    "assessments_api.close_test": COHORT_MANAGE,
    "assessments_api.open_test": COHORT_MANAGE,
    "assessments_api.list_tests": COHORT_MANAGE,
    "assessment_results_api.cohort_results": COHORT_MANAGE,
    "assessment_results_api.item_analysis": COHORT_MANAGE,
    "assessment_results_api.extend": COHORT_MANAGE,
    "assessment_results_api.put_scores": COHORT_MANAGE,
    "assessment_results_api.put_responses": COHORT_MANAGE,
    # Question banks (course-wide) and a course's results (filtered to the cohorts one may read).
    "assessments.bank_page": BANK_READ,
    "assessments.export_bank": BANK_READ,
    "assessments_api.list_questions": BANK_READ,
    "assessments_api.get_question": QUESTION_READ,
    "assessments.new_question": BANK_WRITE,
    "assessments.import_bank": BANK_WRITE,
    "assessments.import_job": BANK_WRITE,
    "assessments_api.create_question": BANK_WRITE,
    "assessments.edit_question": QUESTION_WRITE,
    "assessments_api.update_question": QUESTION_WRITE,
    "assessments.course_results_page": OPEN,
    # Taking a test: a pass of her own, or the room's code and her personal code.
    "take.mine": OWN_TEST_PASS,
    "take.personal_link": OPEN,  # public: the unguessable link is the credential
    "take.room": OPEN,  # public: the room's code, then her six-digit code
    "take.attempt_page": NO_PASS,
    "take.save_answer": NO_PASS,
    "take.submit": NO_PASS,
    # Certificates, closing a training, and its ZIP.
    "certificates.detail": CERTIFICATE_VIEW,
    "certificates.pdf": CERTIFICATE_VIEW,
    "certificates.credential_download": CERTIFICATE_VIEW,
    "certificates_api.get_certificate": CERTIFICATE_VIEW,
    "certificates_api.get_credential": CERTIFICATE_VIEW,
    "certificates_api.get_pdf": CERTIFICATE_VIEW,
    "certificates.revoke": CERTIFICATE_REVOKE,
    "certificates.reissue": CERTIFICATE_REVOKE,
    "certificates_api.revoke": CERTIFICATE_REVOKE,
    "certificates_api.reissue": CERTIFICATE_REVOKE,
    "certificates.verify": OPEN,  # public by design: the code printed on the certificate
    "certificates_api.verify": OPEN,
    "certificates.close": COHORT_MANAGE,  # cohort.change_status: the lead trainer is trainer/own
    "certificates_api.close_cohort": COHORT_MANAGE,
    "certificates.attendance_not_taken": COHORT_MANAGE,
    "certificates.cohort_certificates": COHORT_MANAGE,
    "certificates.start_zip": COHORT_MANAGE,
    "certificates.zip_status": COHORT_MANAGE,
    "certificates.zip_download": COHORT_MANAGE,
    # The cascade.
    "cascade.trainer": CASCADE_TRAINER,
    "cascade_api.trainer": CASCADE_TRAINER,
    "cascade.trainer_tree": CASCADE_TRAINER,
    "cascade.region_tree": REGION_TREE,
    # A person's data (participant/own) and her second factor.
    "privacy.person_data": ADMINS,
    "privacy.erase": ADMINS,
    "privacy_api.erase_person": ADMIN_ONLY,
    "privacy_api.export_person_data": SELF,
    "security.reset_two_factor": ADMINS,
}
EXCLUDED = {
    # The matrix's shared job is a roster job; an export job is its own kind, so these answer 404
    # to everyone here. Owner-only access is tested with a real export.
    "reports_exports.status": "only the person who started the export, and admins: tests/test_report_exports.py",
    "reports_exports.download": "only the person who started the export, and admins: tests/test_report_exports.py",
    "reports_exports.retry": "only the person who started the export: tests/test_report_exports.py",
    "reports_exports_api.download": "only the person who started the export, and admins: tests/test_report_exports.py",
    # Routes named by a secret or a moment rather than an object the shared world can hold.
    "accounts.set_password": "public, an emailed single-use token: tests/test_onboarding.py",
    "accounts.reset_password": "public, an emailed token: tests/test_auth.py",
    "assessments.import_preview": "an upload's random token: tests/test_assessment_files.py",
    "attendance.checkin": "a code signed for the current minute of a session under way (the clock, "
    "not an id): tests/test_attendance_checkin.py, tests/test_rule_boundaries.py",
    "enrolment.roster_preview": "an upload's random token: tests/test_roster_pages.py",
    "paper_upload.preview": "an upload's random token: tests/test_paper_upload.py",
    "calendar_feed.feed": "public, a person's secret address: tests/test_calendar.py",
    "swagger_assets.swagger_asset": "public files",
    "static": "public files",
    "bootstrap.static": "public files",
}


# API bodies that pass the schema, so that the answer is the permission's, not the validation's.
ROSTER = "ПІБ;Email;Посада\nКоваленко Марія;maria.kovalenko@example.org;Психологиня\n"
BODIES = {
    "attendance_api.set_session_attendance": lambda ids: {"json": {"present": []}},
    "cohorts_api.create_session": lambda ids: {
        "json": {"date": ids["session_date"], "starts_at": "18:00", "ends_at": "19:00"}
    },
    "courses_api.revoke_accreditation": lambda ids: {"json": {"reason": "Перевірка матриці доступу"}},
    # A PATCH with nothing in it is refused as such (422) before anyone's rights are asked.
    "accounts_api.update_user": lambda ids: {"json": {"position": "Фахівчиня"}},
    "cohorts_api.update_cohort": lambda ids: {"json": {"notes": "Перевірка матриці доступу"}},
    "cohorts_api.update_session": lambda ids: {"json": {"venue": "Зала 2"}},
    "courses_api.update_course": lambda ids: {"json": {"audience": "Фахівці ЦСС"}},
    "assessment_results_api.extend": lambda ids: {"json": {"minutes": 5}},
    "assessment_results_api.put_responses": lambda ids: {"json": {"form": "A", "answers": {}}},
    "assessment_results_api.put_scores": lambda ids: {"json": {"pre": 70}},
    "assessments_api.create_question": lambda ids: {
        "json": {"kind": "true_false", "text": "Статус встановлює Мінсоцполітики.", "answer": True}
    },
    "assessments_api.update_question": lambda ids: {"json": {"topic": "Процедура"}},
    "certificates_api.revoke": lambda ids: {"json": {"reason": "Перевірка матриці доступу"}},
    "cohort_tests.extend_time": lambda ids: {"data": {"minutes": "5"}},
    "certificates.revoke": lambda ids: {"data": {"reason": "Перевірка матриці доступу"}},
    "take.room": lambda ids: {"data": {"enrollment_id": ids["enrollment_id"], "code": ids["pass_code"]}},
    "enrolment_api.import_roster": lambda ids: {
        "data": {"file": (io.BytesIO(ROSTER.encode()), "roster.csv")},
        "content_type": "multipart/form-data",
    },
}


def object_routes(app):
    """(endpoint, method, rule) for every route with a variable part."""
    for rule in app.url_map.iter_rules():
        if rule.arguments:
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule.endpoint, method, rule.rule


def test_every_object_route_is_classified(app):
    unclassified = {
        f"{method} {rule} ({endpoint})"
        for endpoint, method, rule in object_routes(app)
        if endpoint not in ACCESS and endpoint not in EXCLUDED
    }
    assert unclassified == set(), "classify these routes in ACCESS or EXCLUDED"
    routed = {endpoint for endpoint, _method, _rule in object_routes(app)}
    assert set(ACCESS) <= routed, set(ACCESS) - routed


@pytest.fixture
def world(db):
    """One cohort in region A running today, and someone in every relation to it; with its
    pre-test open (a question in the course's bank, participant/own's attempt and pass), her
    certificate, a ZIP of the certificates, and its lead trainer (trainer/own) in the cascade."""
    own_region, other_region = factories.RegionFactory(), factories.RegionFactory()
    district = factories.DistrictFactory(region=own_region)
    cohort = factories.CohortFactory(
        district=district,
        status="in_progress",
        start_date=date.today(),
        end_date=date.today() + timedelta(days=1),
        with_sessions=True,
    )
    same_region_trainer = factories.UserFactory(roles=["trainer"])
    factories.CohortFactory(district=district, lead_trainer=same_region_trainer)
    other_region_trainer = factories.UserFactory(roles=["trainer"])
    factories.CohortFactory(
        district=factories.DistrictFactory(region=other_region), lead_trainer=other_region_trainer
    )
    enrolled = factories.EnrollmentFactory(cohort=cohort)
    withdrawn = factories.EnrollmentFactory(cohort=cohort, status="withdrawn")
    people = {
        "admin": factories.UserFactory(roles=["admin"]),
        "coordinator/same region": factories.UserFactory(roles=["coordinator"], regions=[own_region]),
        "coordinator/other region": factories.UserFactory(roles=["coordinator"], regions=[other_region]),
        "trainer/own": cohort.lead_trainer,
        "trainer/same region": same_region_trainer,
        "trainer/other region": other_region_trainer,
        "participant/own": enrolled.user,
        "participant/withdrawn": withdrawn.user,
        "participant/not enrolled": factories.UserFactory(),
    }
    assert set(people) == EVERYONE
    job = Job(
        kind=ROSTER_JOB,
        status="done",
        total=0,
        params={"cohort_id": cohort.id},
        # What a finished import reports (a done job without it was a 500 on PostgreSQL).
        result={"rows": 0, "enrolled": 0, "waitlisted": 0, "created": 0, "matched": 0, "skipped": 0},
        created_by_id=cohort.lead_trainer_id,
    )
    database.session.add(job)
    accreditation = database.session.scalars(
        select(Accreditation).where(Accreditation.user_id == cohort.lead_trainer_id)
    ).first()
    tokens = {name: create_token(person, name="matrix") for name, person in people.items()}
    # The cascade: the lead trainer, accredited by an admin, works in the cohort's region.
    trainer = cohort.lead_trainer
    trainer.institution = factories.InstitutionFactory(district=district)
    database.session.flush()
    refresh_lineage(trainer.id)
    # Tests: a question in the course's bank, the pre-test open, participant/own's attempt.
    question = assessment_question(cohort.course, by=people["admin"])
    test = open_test(cohort, "pre", by=people["admin"])
    attempt = start_attempt(test, enrolled)
    personal = pass_for(enrolled)
    # Her certificate, and the ZIP of the training's certificates started by its lead trainer.
    certificate = issue_certificate(enrolled, by=people["admin"])
    zip_job = Job(
        kind="certificates.zip",
        status="done",
        total=1,
        params={"cohort_id": cohort.id},
        created_by_id=cohort.lead_trainer_id,
    )
    database.session.add(zip_job)
    # A file of paper answers saved by the lead trainer.
    paper_job = Job(
        kind=PAPER_JOB,
        status="done",
        total=1,
        params={"cohort_id": cohort.id, "phase": "pre", "form": "A", "filename": "answers.xlsx"},
        result={"answer_sheets": 1, "percents": 0, "skipped": 0, "skipped_rows": []},
        created_by_id=cohort.lead_trainer_id,
    )
    database.session.add(paper_job)
    # A question bank imported into the course by the lead trainer (accredited for it).
    bank_job = Job(
        kind=BANK_JOB,
        status="done",
        total=1,
        params={"course_id": cohort.course_id, "filename": "bank.xlsx", "skip_invalid": False},
        result={"created": 1, "skipped": 0, "skipped_rows": []},
        created_by_id=cohort.lead_trainer_id,
    )
    database.session.add(bank_job)
    database.session.flush()
    zip_path(zip_job).write_bytes(b"PK\x05\x06" + bytes(18))  # an empty ZIP archive
    ids = {
        "cohort_id": cohort.id,
        "session_id": cohort.sessions[0].id,
        "enrollment_id": enrolled.id,
        "job_id": job.id,
        "region_id": own_region.id,
        "district_id": district.id,
        "institution_id": factories.InstitutionFactory(district=district).id,
        "user_id": enrolled.user_id,
        "course_id": cohort.course_id,
        "accreditation_id": accreditation.id,
        "token_id": tokens["participant/own"][0].id,
        "session_date": cohort.sessions[0].date.isoformat(),
        "trainer_id": trainer.id,
        "question_id": question.id,
        "phase": "pre",
        "attempt_id": attempt.id,
        "room_code": test.room_code,
        "pass_token": personal.token,
        "pass_code": personal.code,
        "serial": certificate.serial,
        "code": certificate.verification_code,
        "zip_job_id": zip_job.id,
        "paper_job_id": paper_job.id,
        "bank_job_id": bank_job.id,
        "bank_fmt": "csv",
        "tree_fmt": "csv",
        "kind": "booklet",
    }
    return people, {name: plain for name, (_token, plain) in tokens.items()}, ids


# Where a route's variable names another object than the world's id of that name.
NAMES = {
    "cascade.trainer": {"user_id": "trainer_id"},
    "cascade_api.trainer": {"user_id": "trainer_id"},
    "cascade.trainer_tree": {"user_id": "trainer_id", "fmt": "tree_fmt"},
    "cascade.region_tree": {"fmt": "tree_fmt"},
    "assessments.export_bank": {"fmt": "bank_fmt"},
    "certificates.zip_status": {"job_id": "zip_job_id"},
    "certificates.zip_download": {"job_id": "zip_job_id"},
    "paper_upload.saving": {"job_id": "paper_job_id"},
    "assessments.import_job": {"job_id": "bank_job_id"},
    "paper_upload.template": {"fmt": "bank_fmt"},
    "take.personal_link": {"token": "pass_token"},
}


def concrete(rule: str, ids: dict[str, int], endpoint: str = "") -> str:
    names = NAMES.get(endpoint, {})
    return re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>", lambda m: str(ids[names.get(m[1], m[1])]), rule)


def ask(client, person_name, people, tokens, method, path, body):
    """The status ``person`` gets, with whatever the request changed undone afterwards."""
    savepoint = database.session.connection().begin_nested()
    try:
        if path.startswith("/api/"):
            headers = {"Authorization": f"Bearer {tokens[person_name]}"}
            if body is None and method in ("POST", "PUT", "PATCH"):
                body = {"json": {}}
            return client.open(path, method=method, headers=headers, **(body or {})).status_code
        sign_in(client, people[person_name])
        return client.open(path, method=method, **(body or {"data": {}})).status_code
    finally:
        savepoint.rollback()
        database.session.expire_all()


@pytest.mark.parametrize("endpoint", sorted(ACCESS))
def test_each_role_and_relation_gets_the_expected_status(app, client, world, endpoint):
    people, tokens, ids = world
    wrong = {}
    for method, rule in [(m, r) for e, m, r in object_routes(app) if e == endpoint]:
        path = concrete(rule, ids, endpoint)
        for name in sorted(EVERYONE):
            body = BODIES[endpoint](ids) if endpoint in BODIES else None
            status = ask(client, name, people, tokens, method, path, body)
            refusal = ACCESS[endpoint].get(name)
            # Allowed: anything but a refusal or a server error (an empty form may be answered 422).
            if (status != refusal) if refusal else (status in (401, 403, 404, 405) or status >= 500):
                wrong[f"{method} {path} as {name}"] = (status, refusal or "allowed")
    assert wrong == {}, "\n".join(f"{k}: {v}" for k, v in sorted(wrong.items()))
