"""`lms seed scale`: a small national-shape programme in the promised proportions, consistent
with the app's own rules (certificates, lineage) and usable by its pages and figures."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms.accounts.models import User
from lms.assessments.completion import completion_status
from lms.assessments.models import Attempt, CohortTest, Response
from lms.cascade import metrics
from lms.cascade.lineage import rebuild_all
from lms.cascade.models import StepDownEvent, TrainerLineage
from lms.certificates.models import Certificate
from lms.cohorts.models import Cohort, Enrollment
from lms.core.i18n import local_today
from lms.courses.models import Accreditation
from lms.org.models import INSTITUTION_TYPES, Institution
from seed.scale import ADMIN_EMAIL, load_scale
from tests import factories
from tests.conftest import api_headers, sign_in

PEOPLE = 500


@pytest.fixture
def scale(db):
    counts = load_scale(PEOPLE, progress=lambda _line: None)
    db.session.expire_all()
    return counts


def count(model) -> int:
    from lms.extensions import db

    return db.session.scalar(select(func.count()).select_from(model))


def lineage_rows() -> dict[int, tuple]:
    from lms.extensions import db

    return {
        row.user_id: (
            row.parent_id,
            row.root_id,
            row.generation,
            row.accreditation_id,
            row.region_id,
            row.active,
        )
        for row in db.session.scalars(select(TrainerLineage))
    }


def test_the_scale_programme_has_the_national_proportions(scale):
    # Per 1,000 people nationally: 60 cohorts, 2,000 enrolments, 40,000 responses.
    assert count(User) == PEOPLE + 1  # and the admin
    assert count(Cohort) == pytest.approx(PEOPLE * 0.06, rel=0.2)
    assert count(Enrollment) == pytest.approx(PEOPLE * 2, rel=0.15)
    assert count(Response) == pytest.approx(PEOPLE * 40, rel=0.2)
    assert scale["responses"] == count(Response)
    assert {t for (t,) in _execute(select(Institution.type).distinct())} == set(INSTITUTION_TYPES)
    statuses = dict(_execute(select(Enrollment.status, func.count()).group_by(Enrollment.status)).all())
    assert statuses["withdrawn"] > 0 and statuses["enrolled"] > statuses["withdrawn"] * 5
    assert _execute(select(func.count()).where(Certificate.status == "revoked")).scalar() >= 0
    assert count(StepDownEvent) > 0


def _execute(statement):
    from lms.extensions import db

    return db.session.execute(statement)


def test_every_certificate_belongs_to_an_enrolment_that_met_the_course_rule(scale):
    from lms.extensions import db

    certificates = db.session.scalars(select(Certificate)).all()
    assert certificates
    for certificate in certificates:
        enrollment = db.session.get(Enrollment, certificate.enrollment_id)
        assert enrollment.user_id == certificate.user_id and enrollment.cohort_id == certificate.cohort_id
        assert enrollment.cohort.status == "closed"
        assert completion_status(enrollment).met, certificate.serial
        assert certificate.kind == ("trainer" if enrollment.cohort.course.is_tot else "participation")
    assert len({c.serial for c in certificates}) == len(certificates)
    # And whoever met the rule in a closed training has one.
    closed = db.session.scalars(
        select(Enrollment)
        .join(Cohort)
        .where(Cohort.status == "closed", Enrollment.status == "enrolled")
        .order_by(Enrollment.id)
        .limit(60)
    ).all()
    holders = set(db.session.scalars(select(Certificate.enrollment_id)))
    for enrollment in closed:
        assert completion_status(enrollment).met == (enrollment.id in holders)


def test_the_cascade_lineage_is_what_the_app_would_compute(scale):
    from lms.extensions import db

    rows = {row.user_id: row for row in db.session.scalars(select(TrainerLineage))}
    # The national shape: trainers a tenth of the people, generations 0 to 6.
    assert {row.generation for row in rows.values()} == set(range(7))
    assert len(rows) == pytest.approx(PEOPLE * 0.10, abs=3)
    for row in rows.values():
        if row.parent_id is None:
            assert row.generation == 0 and row.root_id == row.user_id
            continue
        parent = rows[row.parent_id]
        assert row.generation == parent.generation + 1
        assert row.root_id == parent.root_id
        cohort = db.session.get(Cohort, row.source_cohort_id)
        assert cohort.lead_trainer_id == row.parent_id and cohort.course.is_tot
        assert row.accredited_on == cohort.end_date
    # Every trainer who leads a training was accredited for its course before it started.
    for cohort in db.session.scalars(select(Cohort)):
        granted = db.session.scalar(
            select(func.min(Accreditation.granted_on)).where(
                Accreditation.user_id == cohort.lead_trainer_id, Accreditation.course_id == cohort.course_id
            )
        )
        assert granted is not None and granted < cohort.start_date
    before = lineage_rows()
    rebuild_all()
    db.session.flush()
    assert lineage_rows() == before


def test_the_cascade_figures_and_pages_answer_on_scale_data(scale, client):
    from lms.extensions import db

    today = local_today()
    figures = metrics.reach(metrics.Scope())
    trained = db.session.scalar(
        select(func.count(func.distinct(Certificate.user_id))).where(Certificate.status == "valid")
    )
    assert figures.reach_named == trained
    assert figures.reach_headcount == db.session.scalar(select(func.sum(StepDownEvent.headcount)))
    assert [g.generation for g in figures.by_generation] == list(range(7))
    # Normalized gain by the lead trainer's generation, worked out here from every pair of tests.
    generation_of = dict(db.session.execute(select(TrainerLineage.user_id, TrainerLineage.generation)).all())
    scores: dict[tuple, dict] = {}
    for enrollment_id, phase, score, lead in db.session.execute(
        select(Attempt.enrollment_id, CohortTest.phase, Attempt.score_percent, Cohort.lead_trainer_id)
        .join(CohortTest, CohortTest.id == Attempt.test_id)
        .join(Cohort, Cohort.id == CohortTest.cohort_id)
        .where(Attempt.submitted_at.is_not(None))
    ):
        scores.setdefault((enrollment_id, generation_of[lead]), {})[phase] = score
    gains: dict[int, list[float]] = {}
    for (_enrollment, generation), pair in scores.items():
        if "pre" in pair and "post" in pair and pair["pre"] < 100:
            gains.setdefault(generation, []).append((pair["post"] - pair["pre"]) / (100 - pair["pre"]))
    assert metrics.gain_by_generation(metrics.Scope()) == [
        (g, pytest.approx(sum(v) / len(v), abs=0.0011), len(v)) for g, v in sorted(gains.items())
    ]
    activation = metrics.activation(metrics.Scope(), today)
    assert activation["trainers_accredited"] == count(TrainerLineage)
    assert activation["master_trainers"] >= 2
    region_id = db.session.scalar(
        select(TrainerLineage.region_id).where(TrainerLineage.generation == 6).limit(1)
    )
    assert (
        metrics.reach(metrics.Scope(region_id=region_id, start=today - timedelta(days=365))).reach_total >= 0
    )

    admin = db.session.scalar(select(User).where(User.email == ADMIN_EMAIL))
    answer = client.get("/api/v1/cascade/summary", headers=api_headers(admin))
    assert answer.status_code == 200
    assert answer.json["reach_named"] == trained
    assert answer.json["trainers_accredited"] == count(TrainerLineage)
    sign_in(client, admin)
    cohort_id = db.session.scalar(
        select(Cohort.id).where(Cohort.status == "closed").order_by(Cohort.id).limit(1)
    )
    for url in ("/admin/users/", "/cohorts/", f"/cohorts/{cohort_id}", "/cascade/"):
        assert client.get(url).status_code == 200, url
    attempts = db.session.scalar(select(func.count()).select_from(Attempt))
    assert attempts > PEOPLE


@pytest.mark.parametrize("responses", ["sample", "none"])
def test_responses_can_be_sampled_or_left_out_with_every_attempt_scored(db, responses):
    from seed.scale import RESPONSE_SAMPLE

    counts = load_scale(PEOPLE, responses=responses, progress=lambda _line: None)
    attempts = db.session.execute(select(Attempt.id, Attempt.item_ids, Attempt.score_percent)).all()
    assert len(attempts) > PEOPLE and all(score is not None for _id, _items, score in attempts)
    answered = dict(
        db.session.execute(select(Response.attempt_id, func.count()).group_by(Response.attempt_id)).all()
    )
    if responses == "none":
        assert answered == {} and counts.get("responses", 0) == 0
        return
    sampled = {id_: len(items) for id_, items, _score in attempts if id_ % RESPONSE_SAMPLE == 0}
    assert sampled and answered == sampled  # every item of each sampled attempt, no other attempt
    for attempt_id, items, score in attempts:
        if attempt_id in answered:
            credit = db.session.scalar(
                select(func.sum(Response.credit)).where(Response.attempt_id == attempt_id)
            )
            assert round(100 * credit / len(items), 1) == score


def test_an_unknown_responses_choice_is_refused(db):
    with pytest.raises(ValueError, match="responses"):
        load_scale(PEOPLE, responses="some", progress=lambda _line: None)
    assert count(Cohort) == 0


def test_the_scale_command_refuses_a_database_with_people_unless_forced(app, db):
    factories.UserFactory()
    db.session.flush()
    result = app.test_cli_runner().invoke(args=["seed", "scale", "--people", "100"])
    assert result.exit_code != 0
    assert "already has people" in result.output
    assert count(Cohort) == 0


@pytest.mark.parametrize("period", ["whole programme", "last year"])
def test_the_results_report_on_scale_data_is_what_the_rows_say(scale, period):
    """Every people figure and score of the report, worked out here row by row from the
    enrolments, attempts, certificates and people: people in several trainings, courses,
    districts and generations, both kinds of certificate, withdrawn and revoked ones."""
    from datetime import date

    from lms.extensions import db
    from lms.reports.figures import results_report
    from lms.reports.filters import COUNTED_STATUSES, ReportFilters

    year = local_today().year - 1
    start, end = (None, None) if period == "whole programme" else (date(year, 1, 1), date(year, 12, 31))
    # Someone who took both tests of a training in the period withdraws: her scores no longer count.
    leaver = db.session.scalars(
        select(Enrollment)
        .join(Cohort, Cohort.id == Enrollment.cohort_id)
        .where(
            Enrollment.status == "enrolled",
            Cohort.status.in_(COUNTED_STATUSES),
            Cohort.end_date >= (start or date.min),
            Cohort.end_date <= (end or date.max),
            select(func.count())
            .select_from(Attempt)
            .where(Attempt.enrollment_id == Enrollment.id, Attempt.score_percent < 100)
            .scalar_subquery()
            == 2,
        )
        .order_by(Enrollment.id)
        .limit(1)
    ).one()
    leaver.status = "withdrawn"
    db.session.flush()
    report = results_report(ReportFilters(start, end))

    cohorts = {
        cohort.id: cohort
        for cohort in db.session.scalars(select(Cohort).where(Cohort.status.in_(COUNTED_STATUSES)))
        if (start is None or cohort.end_date >= start) and (end is None or cohort.end_date <= end)
    }
    generation_of = dict(db.session.execute(select(TrainerLineage.user_id, TrainerLineage.generation)).all())
    enrolled = [
        e
        for e in db.session.scalars(select(Enrollment).where(Enrollment.status == "enrolled"))
        if e.cohort_id in cohorts
    ]
    trained = [
        c
        for c in db.session.scalars(select(Certificate).where(Certificate.status == "valid"))
        if c.cohort_id in cohorts
    ]
    assert len(trained) > 50 and len({c.user_id for c in trained}) < len(trained)  # some people twice

    def people_by(rows, key) -> dict:
        found: dict = {}
        for row in rows:
            found.setdefault(key(row), set()).add(row.user_id)
        return {k: len(v) for k, v in found.items()}

    assert report.participants == len({e.user_id for e in enrolled})
    assert report.people_trained == len({c.user_id for c in trained})
    assert report.certificates_issued == len(trained)
    assert report.trainers_trained == len(
        {c.user_id for c in trained if c.kind == "trainer" and cohorts[c.cohort_id].course.is_tot}
    )
    enrolled_by_course = people_by(enrolled, lambda e: cohorts[e.cohort_id].course_id)
    trained_by_course = people_by(trained, lambda c: cohorts[c.cohort_id].course_id)
    assert {row.course_id: (row.enrolled, row.trained) for row in report.by_course} == {
        course: (enrolled_by_course.get(course, 0), trained_by_course.get(course, 0))
        for course in {cohort.course_id for cohort in cohorts.values()}
    }
    trained_by_district = people_by(trained, lambda c: cohorts[c.cohort_id].district_id)
    assert {
        d.district_id: d.trained for r in report.regions for d in r.districts if d.trained
    } == trained_by_district

    people = {
        user.id: user
        for user in db.session.scalars(select(User).where(User.id.in_({c.user_id for c in trained})))
    }
    institutions = dict(db.session.execute(select(Institution.id, Institution.type)).all())
    by_type: dict = {}
    by_position: dict = {}
    for person in people.values():
        kind = institutions.get(person.institution_id) or None
        by_type[kind] = by_type.get(kind, 0) + 1
        by_position[person.position.strip() or None] = by_position.get(person.position.strip() or None, 0) + 1
    assert dict(report.by_institution_type) == by_type
    assert dict(report.by_position) == by_position

    in_lineage = [c for c in trained if cohorts[c.cohort_id].lead_trainer_id in generation_of]
    by_generation: dict = {}
    for certificate in in_lineage:
        generation = generation_of[cohorts[certificate.cohort_id].lead_trainer_id]
        people_of, cohorts_of = by_generation.setdefault(generation, (set(), set()))
        people_of.add(certificate.user_id)
        cohorts_of.add(certificate.cohort_id)
    assert {g.generation: (g.people, g.cohorts) for g in report.by_generation if g.people} == {
        g: (len(p), len(c)) for g, (p, c) in by_generation.items()
    }
    events = [
        e
        for e in db.session.scalars(select(StepDownEvent))
        if (start is None or e.date >= start) and (end is None or e.date <= end)
    ]
    assert report.step_down_events == len(events)
    assert report.step_down_headcount == sum(e.headcount for e in events)

    scores: dict[int, dict] = {}
    for enrollment_id, phase, score in db.session.execute(
        select(Attempt.enrollment_id, CohortTest.phase, Attempt.score_percent)
        .join(CohortTest, CohortTest.id == Attempt.test_id)
        .where(Attempt.submitted_at.is_not(None), Attempt.score_percent.is_not(None))
    ):
        scores.setdefault(enrollment_id, {})[phase] = score
    pre = [scores[e.id]["pre"] for e in enrolled if "pre" in scores.get(e.id, {})]
    post = [scores[e.id]["post"] for e in enrolled if "post" in scores.get(e.id, {})]
    pairs = [scores.get(e.id, {}) for e in enrolled]
    gains = [
        (p["post"] - p["pre"]) / (100 - p["pre"])
        for p in pairs
        if "pre" in p and "post" in p and p["pre"] < 100
    ]
    assert len(pre) > 50 and len(gains) > 50
    assert report.mean_pre == pytest.approx(sum(pre) / len(pre), abs=0.006)
    assert report.mean_post == pytest.approx(sum(post) / len(post), abs=0.006)
    assert (report.normalized_gain, report.gain_participants) == (
        pytest.approx(sum(gains) / len(gains), abs=0.0006),
        len(gains),
    )
