"""A property-based fuzz of the whole JSON API from its own OpenAPI document (schemathesis).

Every operation of ``/api/v1/openapi.json`` gets generated requests, valid ones (positive) and
ones breaking the documented schema (negative), sent in process to the WSGI app against a small
programme (tests/report_fixtures.py plus a running cohort with a question bank), as an admin
and as the home region's coordinator. Each answer must:

- never be a server error (``not_a_server_error``);
- carry a status the operation documents (``status_code_conformance``), with the documented
  content type and body schema (``content_type_conformance``, ``response_schema_conformance``);
- refuse what the document says is invalid with a 4xx (``negative_data_rejection``).

Ids in paths are drawn mostly from the programme's real ones, so requests reach the business
rules and not only the 404 of an unknown id. The people acting have ids (and token ids) far
from the small numbers generators like, so no example erases, demotes or signs out the caller
and breaks the examples after it. SQLite only: the point is the API's answers, and the budget
(FUZZ_EXAMPLES per operation and mode) keeps the whole run around a minute.
"""

import os
from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from lms.accounts.models import ApiToken, User
from lms.accounts.services import hash_token
from lms.assessments.models import Attempt, Question
from lms.certificates.models import Certificate
from lms.cohorts.models import Cohort, Enrollment, TrainingSession
from lms.core.db import utcnow
from lms.core.models import Job
from lms.courses.models import Accreditation, Course
from tests import factories
from tests.assessment_factories import question, running_cohort
from tests.report_fixtures import build_programme

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))
# FUZZ_ONLY="DELETE /api/v1/auth" fuzzes only the operations whose label contains it.
ONLY = os.environ.get("FUZZ_ONLY", "")
# The same examples on every run (CI); FUZZ_RANDOM=1 explores new ones (with more FUZZ_EXAMPLES).
DERANDOMIZE = not os.environ.get("FUZZ_RANDOM")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
NEGATIVE_CHECKS = [*CHECKS, negative_data_rejection]
ACTOR_IDS = {"admin": 880001, "coordinator": 880002}

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _actor(db, role: str, **kwargs) -> tuple[User, dict]:
    user = factories.UserFactory(id=ACTOR_IDS[role], roles=[role], **kwargs)
    plain = f"lms_fuzz-{role}-token-0123456789abcdef"
    db.session.add(
        ApiToken(
            id=ACTOR_IDS[role],
            user_id=user.id,
            name="fuzz",
            token_hash=hash_token(plain),
            prefix=plain[4:12],
            expires_at=utcnow() + timedelta(days=1),
        )
    )
    return user, {"Authorization": f"Bearer {plain}"}


def _ids(db, column) -> list:
    return list(db.session.scalars(select(column).order_by(column)))


@pytest.fixture
def programme(db):
    """The report programme, a running cohort with a question bank and an open pre-test."""
    from lms.assessments import delivery

    built = build_programme()
    cohort, enrollments = running_cohort(participants=3, course=built.course)
    for kind in ("single", "multiple", "true_false"):
        question(built.course, kind=kind, by=built.admin)
    delivery.open_test(cohort, "pre", by=built.admin, time_limit_minutes=30)
    db.session.flush()
    other = factories.UserFactory()
    db.session.add(ApiToken(user_id=other.id, name="x", token_hash="0" * 64, prefix="x", expires_at=utcnow()))
    db.session.flush()
    return built


@pytest.fixture
def known_ids(db, programme) -> dict:
    """Real values for each path parameter, so generated requests reach the business rules."""
    actors = set(ACTOR_IDS.values())
    return {
        "user_id": [i for i in _ids(db, User.id) if i not in actors],
        "token_id": [i for i in _ids(db, ApiToken.id) if i not in actors],
        "course_id": _ids(db, Course.id),
        "cohort_id": _ids(db, Cohort.id),
        "session_id": _ids(db, TrainingSession.id),
        "enrollment_id": _ids(db, Enrollment.id),
        "question_id": _ids(db, Question.id),
        "accreditation_id": _ids(db, Accreditation.id),
        "attempt_id": _ids(db, Attempt.id),
        "job_id": _ids(db, Job.id),
        "serial": _ids(db, Certificate.serial),
        "code": _ids(db, Certificate.verification_code),
        "phase": ["pre", "post"],
    }


def _strategy(operation, mode: GenerationMode, known: dict):
    """Mostly real ids in the path, sometimes whatever the generator makes of the schema."""
    names = [p.name for p in operation.path_parameters]
    generated = operation.as_strategy(generation_mode=mode)
    if not names or not all(known.get(name) for name in names):
        return generated
    real = st.fixed_dictionaries({name: st.sampled_from(known[name]) for name in names}).flatmap(
        lambda values: operation.as_strategy(generation_mode=mode, path_parameters=values)
    )
    return st.one_of(real, real, real, generated)


def _examples(strategy, headers: dict, checks: list, examples: int):
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=DERANDOMIZE,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case):
        case.call_and_validate(headers=headers, checks=checks)

    return run


def _own_context(app):
    """The app as WSGI, each request in an app context (and database session) of its own, as
    in production; the test's context would otherwise lend every request its session."""

    def wsgi(environ, start_response):
        with app.app_context():
            return list(app(environ, start_response))

    return wsgi


def _fuzz(app, headers: dict, known: dict, examples: int = EXAMPLES) -> list[str]:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", _own_context(app))
    # The caller's token is sent with every request: a generated (or removed) Authorization
    # header would only test the fuzz's own sign-in (tests/test_auth_tokens.py covers that).
    schema.config.generation.update(with_security_parameters=False)
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if ONLY not in operation.label:
            continue
        for mode, checks in ((GenerationMode.POSITIVE, CHECKS), (GenerationMode.NEGATIVE, NEGATIVE_CHECKS)):
            try:
                _examples(_strategy(operation, mode, known), headers, checks, examples)()
            except Unsatisfiable:
                continue  # nothing in the operation can be made invalid (GET /me): no negative case
            except (Exception, BaseExceptionGroup) as error:  # every operation's failures are collected
                failures.append(f"{mode.value} {operation.label}: {error}")
    return failures


def test_the_api_answers_every_generated_request_as_documented_for_an_admin(app, db, known_ids):
    _user, headers = _actor(db, "admin")
    db.session.flush()
    failures = _fuzz(app, headers, known_ids)
    assert not failures, "\n\n".join(failures)


def test_the_api_answers_every_generated_request_as_documented_for_a_coordinator(
    app, db, programme, known_ids
):
    _user, headers = _actor(db, "coordinator", regions=[programme.home])
    db.session.flush()
    failures = _fuzz(app, headers, known_ids, examples=max(1, EXAMPLES // 2))
    assert not failures, "\n\n".join(failures)
