"""Every permission rule asked directly, person by person: fast enough to run for each mutant of
the rules, and exact about who may and who may not."""

from types import SimpleNamespace

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.orm import selectinload

from lms.cohorts.models import Cohort, Enrollment
from lms.cohorts.rules import visible_cohorts
from lms.core.db import utcnow
from lms.core.errors import NotAuthenticated, PermissionDenied
from lms.core.models import Job
from lms.core.permissions import can, require
from lms.courses.models import Accreditation
from lms.extensions import db as database
from lms.org.rules import coordinates, in_region_scope, region_id_of, region_scope
from tests import factories


@pytest.fixture
def town(db):
    """Two regions; a cohort in the first with its trainers and people; a coordinator for each."""
    here, there = factories.RegionFactory(), factories.RegionFactory()
    district = factories.DistrictFactory(region=here)
    cohort = factories.CohortFactory(district=district, with_sessions=True)
    co_trainer = factories.UserFactory(roles=["trainer"])
    cohort.co_trainers.append(co_trainer)
    elsewhere = factories.CohortFactory(district=factories.DistrictFactory(region=there))
    people = {
        "admin": factories.UserFactory(roles=["admin"]),
        "coordinator": factories.UserFactory(roles=["coordinator"], regions=[here]),
        "coordinator elsewhere": factories.UserFactory(roles=["coordinator"], regions=[there]),
        "lead": cohort.lead_trainer,
        "co-trainer": co_trainer,
        "trainer elsewhere": elsewhere.lead_trainer,
        # Regions left on a person who is no longer a coordinator give no reach.
        "trainer with a region": factories.UserFactory(roles=["trainer"], regions=[here]),
        "enrolled": factories.EnrollmentFactory(cohort=cohort).user,
        "waitlisted": factories.EnrollmentFactory(cohort=cohort, status="waitlisted").user,
        "withdrawn": factories.EnrollmentFactory(cohort=cohort, status="withdrawn").user,
        "enrolled elsewhere": factories.EnrollmentFactory(cohort=elsewhere).user,
    }
    database.session.flush()
    return cohort, elsewhere, people


def allowed(people, action, obj=None) -> set[str]:
    return {name for name, person in people.items() if can(person, action, obj)}


EVERYONE = {
    "admin",
    "coordinator",
    "coordinator elsewhere",
    "lead",
    "co-trainer",
    "trainer elsewhere",
    "trainer with a region",
    "enrolled",
    "waitlisted",
    "withdrawn",
    "enrolled elsewhere",
}


def test_who_may_see_and_manage_a_cohort(town):
    cohort, _elsewhere, people = town
    assert allowed(people, "cohort.view", cohort) == {
        "admin",
        "coordinator",
        "lead",
        "co-trainer",
        "enrolled",
        "waitlisted",
    }
    managers = {"admin", "coordinator", "lead", "co-trainer"}
    for action in ("cohort.manage", "attendance.mark", "enrollment.manage"):
        assert allowed(people, action, cohort) == managers, action
    assert allowed(people, "cohort.change_status", cohort) == {"admin", "coordinator", "lead"}
    assert allowed(people, "cohort.list") == EVERYONE
    assert allowed(people, "cohort.create") == {
        "admin",
        "coordinator",
        "coordinator elsewhere",
        "lead",
        "co-trainer",
        "trainer elsewhere",
        "trainer with a region",
    }


def test_no_cohort_means_no_cohort_permission_except_for_admins(town):
    _cohort, _elsewhere, people = town
    for action in ("cohort.view", "cohort.manage", "cohort.change_status", "attendance.checkin"):
        assert allowed(people, action, None) == {"admin"}, action


def test_only_people_enrolled_may_check_themselves_in(town):
    cohort, _elsewhere, people = town
    assert allowed(people, "attendance.checkin", cohort.sessions[0]) == {"admin", "enrolled"}


def test_a_cohort_read_with_its_enrolments_gives_the_same_answers_as_one_read_without(town):
    cohort, _elsewhere, people = town
    database.session.expire(cohort, ["enrollments"])
    assert "enrollments" not in inspect(cohort).dict
    seeing = allowed(people, "cohort.view", cohort)
    checking_in = allowed(people, "attendance.checkin", cohort.sessions[0])
    database.session.scalars(
        select(Cohort).where(Cohort.id == cohort.id).options(selectinload(Cohort.enrollments))
    ).one()
    assert "enrollments" in inspect(cohort).dict  # the list pages load it; the rule reads it
    assert allowed(people, "cohort.view", cohort) == seeing == TEAM | {"enrolled", "waitlisted"}
    assert allowed(people, "attendance.checkin", cohort.sessions[0]) == checking_in == {"admin", "enrolled"}


def test_each_person_lists_exactly_the_cohorts_they_may_see(town):
    cohort, elsewhere, people = town
    mine = {
        name: set(database.session.scalars(visible_cohorts(person, select(Cohort.id))))
        & {cohort.id, elsewhere.id}
        for name, person in people.items()
    }
    assert mine == {
        "admin": {cohort.id, elsewhere.id},
        "coordinator": {cohort.id},
        "coordinator elsewhere": {elsewhere.id},
        "lead": {cohort.id},
        "co-trainer": {cohort.id},
        "trainer elsewhere": {elsewhere.id},
        "trainer with a region": set(),
        "enrolled": {cohort.id},
        "waitlisted": {cohort.id},
        "withdrawn": set(),
        "enrolled elsewhere": {elsewhere.id},
    }
    assert {name for name in people if mine[name] == {cohort.id}} == {
        name for name in allowed(people, "cohort.view", cohort) if name != "admin"
    }


def test_geography_rules(town):
    cohort, elsewhere, people = town
    district = cohort.district
    community = factories.CommunityFactory(district=district)
    institution = factories.InstitutionFactory(district=district)
    assert allowed(people, "geography.view") == EVERYONE
    assert allowed(people, "geography.admin") == {"admin", "coordinator", "coordinator elsewhere"}
    assert allowed(people, "region.manage", district.region) == {"admin"}
    assert allowed(people, "region.view", district.region) == {"admin", "coordinator"}
    assert allowed(people, "district.manage", district) == {"admin", "coordinator"}
    assert allowed(people, "community.manage", community) == {"admin", "coordinator"}
    assert allowed(people, "institution.manage", institution) == {"admin", "coordinator"}
    assert allowed(people, "district.manage", elsewhere.district) == {"admin", "coordinator elsewhere"}
    assert allowed(people, "district.manage", None) == {"admin"}


def test_region_of_each_kind_of_record(town):
    cohort, _elsewhere, _people = town
    region = cohort.district.region
    assert region_id_of(region) == region.id
    assert region_id_of(cohort.district) == region.id
    assert region_id_of(cohort) == region.id
    assert region_id_of(factories.CommunityFactory(district=cohort.district)) == region.id
    assert region_id_of(factories.InstitutionFactory(district=cohort.district)) == region.id
    assert region_id_of(None) is None
    assert region_id_of(cohort.sessions[0]) is None  # a session has no district of its own


def test_region_scope_of_each_role(town):
    cohort, elsewhere, people = town
    here = cohort.district.region_id
    assert region_scope(people["admin"]) is None
    assert region_scope(people["coordinator"]) == {here}
    assert region_scope(people["trainer with a region"]) == set()
    assert region_scope(people["enrolled"]) == set()
    assert in_region_scope(people["admin"], elsewhere)
    assert in_region_scope(people["coordinator"], cohort)
    assert not in_region_scope(people["coordinator"], elsewhere)
    assert not in_region_scope(people["trainer with a region"], cohort)
    assert coordinates(people["coordinator"], cohort)
    assert not coordinates(people["coordinator elsewhere"], cohort)
    assert not coordinates(people["trainer with a region"], cohort)


def test_catalogue_accreditation_people_and_audit_rules(town):
    cohort, _elsewhere, people = town
    accreditation = database.session.scalars(
        select(Accreditation).where(Accreditation.user_id == cohort.lead_trainer_id)
    ).one()
    assert allowed(people, "course.view") == EVERYONE
    assert allowed(people, "course.manage") == {"admin"}
    assert allowed(people, "accreditation.grant") == {"admin"}
    assert allowed(people, "accreditation.view") == EVERYONE - {
        "enrolled",
        "waitlisted",
        "withdrawn",
        "enrolled elsewhere",
    }
    assert allowed(people, "accreditation.view", accreditation) == {
        "admin",
        "coordinator",
        "coordinator elsewhere",
        "lead",
    }
    assert allowed(people, "user.manage") == {"admin"}
    assert allowed(people, "audit.view") == {"admin"}
    enrolled = people["enrolled"]
    # Her coordinator sees her (she is enrolled in a training of the region); another region's does not.
    assert allowed(people, "user.view", enrolled) == {"admin", "coordinator", "enrolled"}
    assert allowed(people, "user.view", people["enrolled elsewhere"]) == {
        "admin",
        "coordinator elsewhere",
        "enrolled elsewhere",
    }
    assert allowed(people, "user.view", None) == {"admin"}


def test_tokens_and_jobs_belong_to_their_owner(town):
    _cohort, _elsewhere, people = town
    from lms.accounts.services import create_token

    token, _plain = create_token(people["enrolled"], name="телефон")
    job = Job(kind="export", status="done", total=0, params={}, created_by_id=people["lead"].id)
    database.session.add(job)
    database.session.flush()
    assert allowed(people, "token.manage", token) == {"admin", "enrolled"}
    assert allowed(people, "token.manage") == EVERYONE  # one's own list of tokens
    assert allowed(people, "job.view", job) == {"admin", "lead"}
    assert allowed(people, "job.view", None) == {"admin"}


def test_unknown_actions_inactive_people_and_strangers_are_refused(town):
    cohort, _elsewhere, people = town
    assert allowed(people, "no.such.action", cohort) == set()
    admin = people["admin"]
    admin.active = False
    assert not can(admin, "cohort.view", cohort)
    assert not can(admin, "geography.view")
    assert not can(None, "geography.view")
    with pytest.raises(NotAuthenticated):
        require(None, "geography.view")
    with pytest.raises(NotAuthenticated):  # a deactivated person counts as signed out
        require(admin, "geography.view")
    require(people["enrolled"], "cohort.view", cohort)
    with pytest.raises(PermissionDenied):
        require(people["withdrawn"], "cohort.view", cohort)


def test_anonymous_visitor_may_do_nothing(app, town):
    from flask_login import AnonymousUserMixin

    visitor = AnonymousUserMixin()
    assert not can(visitor, "geography.view")
    with pytest.raises(NotAuthenticated):
        require(visitor, "geography.view")


def test_something_that_is_not_a_signed_in_person_is_refused_as_signed_out(town):
    # Deny by default: an object that does not say it is signed in (no ``is_authenticated``)
    # is a stranger, whatever else it carries.
    stranger = SimpleNamespace(id=town[2]["admin"].id, has_role=lambda role: True)
    assert not can(stranger, "geography.view")
    with pytest.raises(NotAuthenticated):
        require(stranger, "geography.view")


TRAINERS = {"lead", "co-trainer", "trainer elsewhere", "trainer with a region"}
COORDINATORS = {"coordinator", "coordinator elsewhere"}
TEAM = {"admin", "coordinator", "lead", "co-trainer"}  # the cohort's trainers and its region's coordinator


def test_question_banks_tests_and_results(town):
    cohort, elsewhere, people = town
    assert allowed(people, "question.view", cohort.course) == {"admin"} | COORDINATORS | TRAINERS
    # Writing a course's questions: coordinators, and trainers accredited for that course.
    assert allowed(people, "question.manage", cohort.course) == {"admin", "lead"} | COORDINATORS
    assert (
        allowed(people, "question.manage", elsewhere.course) == {"admin", "trainer elsewhere"} | COORDINATORS
    )
    assert allowed(people, "question.manage", None) == {"admin"} | COORDINATORS | TRAINERS
    accreditation = database.session.scalars(
        select(Accreditation).where(Accreditation.user_id == cohort.lead_trainer_id)
    ).one()
    accreditation.revoked_at = utcnow()  # a revoked accreditation writes nothing
    assert allowed(people, "question.manage", cohort.course) == {"admin"} | COORDINATORS
    for action in ("test.manage", "results.view", "scores.enter"):
        assert allowed(people, action, cohort) == TEAM, action
        assert allowed(people, action, None) == {"admin"}, action
    enrollment = database.session.scalars(
        select(Enrollment).where(Enrollment.user_id == people["enrolled"].id)
    ).one()
    assert allowed(people, "results.view_own", enrollment) == {"admin", "enrolled"}
    assert allowed(people, "results.view_own", None) == {"admin"}


def test_certificates_are_seen_by_the_holder_the_trainers_and_the_regions_coordinator(town):
    cohort, elsewhere, people = town
    certificate = SimpleNamespace(user_id=people["enrolled"].id, cohort=cohort)
    assert allowed(people, "certificate.view", certificate) == TEAM | {"enrolled"}
    assert allowed(people, "certificate.revoke", certificate) == {"admin", "coordinator"}
    other = SimpleNamespace(user_id=people["enrolled elsewhere"].id, cohort=elsewhere)
    assert allowed(people, "certificate.view", other) == {
        "admin",
        "coordinator elsewhere",
        "trainer elsewhere",
        "enrolled elsewhere",
    }
    assert allowed(people, "certificate.revoke", other) == {"admin", "coordinator elsewhere"}
    for action in ("certificate.view", "certificate.revoke"):
        assert allowed(people, action, None) == {"admin"}, action
    assert allowed(people, "certificate.list") == EVERYONE


def test_cascade_reports_and_privacy_rules(town):
    cohort, elsewhere, people = town
    here, there = cohort.district.region_id, elsewhere.district.region_id
    staff = {"admin"} | COORDINATORS | TRAINERS
    for action in ("cascade.view", "cascade.export", "stepdown.log"):
        assert allowed(people, action) == staff, action
    assert allowed(people, "cascade.summary", here) == {"admin", "coordinator"}
    assert allowed(people, "cascade.summary", there) == {"admin", "coordinator elsewhere"}
    assert allowed(people, "cascade.summary", None) == {"admin"}
    assert allowed(people, "cascade.nudges") == {"admin"}
    assert allowed(people, "reports.view") == {"admin"} | COORDINATORS
    assert allowed(people, "reports.view", {here}) == {"admin", "coordinator"}
    assert allowed(people, "reports.view", [here, there]) == {"admin"}
    assert allowed(people, "reports.view", ()) == {"admin"} | COORDINATORS
    enrolled = people["enrolled"]
    assert allowed(people, "privacy.export", enrolled) == {"admin", "enrolled"}
    assert allowed(people, "privacy.export", None) == {"admin"}
    assert allowed(people, "privacy.erase", enrolled) == {"admin"}
