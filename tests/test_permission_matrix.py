"""The permission matrix, generated from the route map: every route that names an object (page
and API) is asked by each role in each relation to that object — own, same region, other region,
withdrawn, not enrolled — and must answer the expected status. A new route joins automatically:
until it is classified in ACCESS (or EXCLUDED, with the reason) the matrix fails.
"""

import io
import re

import pytest
from sqlalchemy import select

from lms.accounts.services import create_token
from lms.cohorts.roster.uploads import JOB_KIND as ROSTER_JOB
from lms.core.models import Job
from lms.courses.models import Accreditation
from lms.extensions import db as database
from tests import factories
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
}
EXCLUDED = {
    # Routes whose object-level access their feature's tests check, pending a place in the matrix.
    "assessment_results_api.extend": "results, paper scores and answers by role: tests/test_assessment_api.py",
    "assessment_results_api.put_responses": "results, paper scores and answers by role: tests/test_assessment_api.py",
    "assessment_results_api.put_scores": "results, paper scores and answers by role: tests/test_assessment_api.py",
    "assessments.bank_page": "question banks by role: tests/test_assessment_pages.py, test_assessment_bank.py",
    "accounts.set_password": "public, an emailed single-use token: tests/test_onboarding.py",
    "assessment_results_api.cohort_results": "results, paper scores and answers by role: tests/test_assessment_api.py",
    "assessment_results_api.item_analysis": "results, paper scores and answers by role: tests/test_assessment_api.py",
    "assessments.confirm_import": "question banks by role: tests/test_assessment_pages.py, test_assessment_bank.py",
    "assessments.course_results_page": "question banks and course results by role: tests/test_assessment_pages.py, test_assessment_bank.py",
    "assessments.edit_question": "question banks and course results by role: tests/test_assessment_pages.py, test_assessment_bank.py",
    "assessments.export_bank": "question banks and course results by role: tests/test_assessment_pages.py, test_assessment_bank.py",
    "assessments.import_bank": "question banks and course results by role: tests/test_assessment_pages.py, test_assessment_bank.py",
    "assessments.new_question": "question banks and course results by role: tests/test_assessment_pages.py, test_assessment_bank.py",
    "assessments_api.close_test": "tests and question bank API by role: tests/test_assessment_api.py",
    "assessments_api.create_question": "tests and question bank API by role: tests/test_assessment_api.py",
    "assessments_api.get_question": "tests and question bank API by role: tests/test_assessment_api.py",
    "assessments_api.list_questions": "tests and question bank API by role: tests/test_assessment_api.py",
    "assessments_api.list_tests": "tests and question bank API by role: tests/test_assessment_api.py",
    "assessments_api.open_test": "tests and question bank API by role: tests/test_assessment_api.py",
    "assessments_api.update_question": "tests and question bank API by role: tests/test_assessment_api.py",
    "cohort_tests.close_test": "a training's tests by role (other trainer 404, participant 403): tests/test_assessment_pages.py",
    "cohort_tests.extend_time": "a training's tests by role (other trainer 404, participant 403): tests/test_assessment_pages.py",
    "cohort_tests.open_test": "a training's tests by role (other trainer 404, participant 403): tests/test_assessment_pages.py",
    "cohort_tests.paper_grid": "a training's tests by role (other trainer 404, participant 403): tests/test_assessment_pages.py",
    "cohort_tests.paper_pdf": "a training's tests by role (other trainer 404, participant 403): tests/test_assessment_pages.py",
    "cohort_tests.release_results": "a training's tests by role (other trainer 404, participant 403): tests/test_assessment_pages.py",
    "cohort_tests.results_page": "a training's tests by role (other trainer 404, participant 403): tests/test_assessment_pages.py",
    "cohort_tests.results_xlsx": "a training's tests by role (other trainer 404, participant 403): tests/test_assessment_pages.py",
    "cohort_tests.slips": "a training's tests by role (other trainer 404, participant 403): tests/test_assessment_pages.py",
    "cohort_tests.tests_page": "a training's tests by role (other trainer 404, participant 403): tests/test_assessment_pages.py",
    "take.attempt_page": "a participant's limited test session, not an account: tests/test_assessment_taking.py",
    "take.personal_link": "a participant's limited test session, not an account: tests/test_assessment_taking.py",
    "take.room": "a participant's limited test session, not an account: tests/test_assessment_taking.py",
    "take.save_answer": "a participant's limited test session, not an account: tests/test_assessment_taking.py",
    "take.submit": "a participant's limited test session, not an account: tests/test_assessment_taking.py",
    "take.mine": "her own enrolment only, during the training's dates (admins too are refused): tests/test_my_trainings.py",
    "cascade.trainer": "a trainer's subtree, her region's coordinator: tests/test_cascade.py",
    "cascade_api.trainer": "a trainer's subtree, her region's coordinator: tests/test_cascade.py",
    "cascade.trainer_tree": "a trainer's subtree, her region's coordinator: tests/test_cascade_export.py",
    "cascade.region_tree": "a file format, not an object; the region by role: tests/test_cascade_export.py",
    "certificates.attendance_not_taken": "holder, fellow participant, trainers, coordinators: tests/test_certificates_web.py, test_certificates.py",
    "certificates.close": "holder, fellow participant, trainers, coordinators: tests/test_certificates_web.py, test_certificates.py",
    "certificates.cohort_certificates": "holder, fellow participant, trainers, coordinators: tests/test_certificates_web.py, test_certificates.py",
    "certificates.credential_download": "holder, fellow participant, trainers, coordinators: tests/test_certificates_web.py, test_certificates.py",
    "certificates.detail": "holder, fellow participant, trainers, coordinators: tests/test_certificates_web.py, test_certificates.py",
    "certificates.pdf": "holder, fellow participant, trainers, coordinators: tests/test_certificates_web.py, test_certificates.py",
    "certificates.reissue": "holder, fellow participant, trainers, coordinators: tests/test_certificates_web.py, test_certificates.py",
    "certificates.revoke": "holder, fellow participant, trainers, coordinators: tests/test_certificates_web.py, test_certificates.py",
    "certificates.start_zip": "holder, fellow participant, trainers, coordinators: tests/test_certificates_web.py, test_certificates.py",
    "certificates.zip_download": "holder, fellow participant, trainers, coordinators: tests/test_certificates_web.py, test_certificates.py",
    "certificates.zip_status": "holder, fellow participant, trainers, coordinators: tests/test_certificates_web.py, test_certificates.py",
    "certificates_api.close_cohort": "holder, fellow participant, trainers, coordinators: tests/test_certificates_web.py",
    "certificates_api.get_certificate": "holder, fellow participant, trainers, coordinators: tests/test_certificates_web.py",
    "certificates_api.get_credential": "holder, fellow participant, trainers, coordinators: tests/test_certificates_web.py",
    "certificates_api.get_pdf": "holder, fellow participant, trainers, coordinators: tests/test_certificates_web.py",
    "certificates_api.reissue": "holder, fellow participant, trainers, coordinators: tests/test_certificates_web.py",
    "certificates_api.revoke": "holder, fellow participant, trainers, coordinators: tests/test_certificates_web.py",
    "certificates.verify": "public by design (a certificate's code): tests/test_certificates_web.py",
    "certificates_api.verify": "public by design (a certificate's code): tests/test_certificates_web.py",
    "enrolment.roster_job_retry": "only the person who started the job: tests/test_roster_job_pages.py",
    "reports_exports.status": "only the person who started the export, and admins: tests/test_report_exports.py",
    "reports_exports.download": "only the person who started the export, and admins: tests/test_report_exports.py",
    "reports_exports.retry": "only the person who started the export: tests/test_report_exports.py",
    "reports_exports_api.download": "only the person who started the export, and admins: tests/test_report_exports.py",
    "privacy.erase": "admins only: tests/test_privacy.py",
    "privacy.person_data": "admins only: tests/test_privacy.py",
    "privacy_api.erase_person": "admins only: tests/test_privacy.py",
    "privacy_api.export_person_data": "admins only: tests/test_privacy.py",
    "security.reset_two_factor": "admins only: tests/test_two_factor.py",
    "attendance.checkin": "a signed code, not an id: tests/test_attendance_checkin.py",
    "enrolment.roster_preview": "an upload's random token: tests/test_roster_pages.py",
    "calendar_feed.feed": "public, a person's secret address: tests/test_calendar.py",
    "accounts.reset_password": "public, an emailed token: tests/test_auth.py",
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
    """One cohort in region A (today's session), and someone in every relation to it."""
    own_region, other_region = factories.RegionFactory(), factories.RegionFactory()
    district = factories.DistrictFactory(region=own_region)
    cohort = factories.CohortFactory(district=district, status="in_progress", with_sessions=True)
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
        created_by_id=cohort.lead_trainer_id,
    )
    database.session.add(job)
    accreditation = database.session.scalars(
        select(Accreditation).where(Accreditation.user_id == cohort.lead_trainer_id)
    ).first()
    tokens = {name: create_token(person, name="matrix") for name, person in people.items()}
    database.session.flush()
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
    }
    return people, {name: plain for name, (_token, plain) in tokens.items()}, ids


def concrete(rule: str, ids: dict[str, int]) -> str:
    return re.sub(r"<(?:int:)?([a-z_]+)>", lambda m: str(ids[m[1]]), rule)


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
        return client.open(path, method=method, data={}).status_code
    finally:
        savepoint.rollback()
        database.session.expire_all()


@pytest.mark.parametrize("endpoint", sorted(ACCESS))
def test_each_role_and_relation_gets_the_expected_status(app, client, world, endpoint):
    people, tokens, ids = world
    wrong = {}
    for method, rule in [(m, r) for e, m, r in object_routes(app) if e == endpoint]:
        path = concrete(rule, ids)
        for name in sorted(EVERYONE):
            body = BODIES[endpoint](ids) if endpoint in BODIES else None
            status = ask(client, name, people, tokens, method, path, body)
            refusal = ACCESS[endpoint].get(name)
            # Allowed: anything but a refusal (an empty form may well be answered 400 or 422).
            if (status != refusal) if refusal else status in (401, 403, 404, 405):
                wrong[f"{method} {path} as {name}"] = (status, refusal or "allowed")
    assert wrong == {}, "\n".join(f"{k}: {v}" for k, v in sorted(wrong.items()))
