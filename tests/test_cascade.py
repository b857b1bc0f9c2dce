"""The cascade: lineage over generations through the real certificate path, reach counted once,
headcounts, activation and dormancy at their boundaries, cycles refused, who sees what."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from lms.cascade import lineage, metrics, services
from lms.cascade.models import StepDownEvent, TrainerLineage
from lms.certificates import closing, issuance
from lms.certificates import services as certificate_services
from lms.certificates.models import Certificate
from lms.core.errors import NotFound, PermissionDenied, ValidationError
from lms.core.jobs import run_job
from lms.courses.services import grant_accreditation
from lms.extensions import db as _db
from tests import factories
from tests.certificate_fixtures import finished_cohort
from tests.conftest import api_headers, sign_in

TODAY = date.today()


def _close(cohort) -> None:
    job = closing.close_cohort(cohort, by=factories.UserFactory(roles=["admin"]))
    _db.session.flush()
    run_job(job.id, issuance.run_issuance_job)


def _tot():
    tot = factories.CourseFactory(is_tot=True)
    tot.accredits = [tot]
    return tot


def _master(tot, region=None):
    admin = factories.UserFactory(roles=["admin"])
    person = factories.UserFactory(roles=["trainer"])
    grant_accreditation(by=admin, user_id=person.id, course_id=tot.id, granted_on=TODAY - timedelta(days=400))
    return person


def _certify(tot, lead, people: int, *, district=None, days_ago: int = 4):
    """A ToT cohort led by ``lead`` that certifies ``people`` new trainers."""
    extra = {"district": district} if district is not None else {}
    cohort, enrollments = finished_cohort(
        scores=[90] * people, course=tot, lead_trainer=lead, accredited=False, **extra
    )
    _close(cohort)
    return cohort, [e.user for e in enrollments]


def _lineage(user) -> TrainerLineage:
    return _db.session.get(TrainerLineage, user.id)


def test_a_tot_accrediting_itself_grows_the_cascade_three_generations_deep(db):
    tot = _tot()
    master = _master(tot)
    _cohort, (first,) = _certify(tot, master, 1)
    _cohort, (second,) = _certify(tot, first, 1)
    _cohort, (third,) = _certify(tot, second, 1)
    assert [_lineage(p).generation for p in (master, first, second, third)] == [0, 1, 2, 3]
    assert _lineage(third).parent_id == second.id and _lineage(third).root_id == master.id


def test_reach_counts_a_person_trained_twice_once(db):
    tot = _tot()
    master = _master(tot)
    course = factories.CourseFactory()
    factories.AccreditationFactory(user=master, course=course)
    first, _ = finished_cohort(scores=(90, 90), course=course, lead_trainer=master, accredited=False)
    _close(first)
    twice = first.enrollments[0].user
    second, (again,) = finished_cohort(scores=(90,), course=course, lead_trainer=master, accredited=False)
    again.user = twice
    _db.session.flush()
    _close(second)
    figures = metrics.reach(metrics.Scope(trainer_id=master.id))
    assert figures.reach_named == 2
    assert figures.by_generation[0].people == 2 and figures.by_generation[0].cohorts == 2


def test_total_reach_adds_descendants_and_headcounts_by_generation(db):
    tot = _tot()
    master = _master(tot)
    _cohort, (child,) = _certify(tot, master, 1)
    _cohort, grandchildren = _certify(tot, child, 3)
    services.log_event(
        by=child,
        date=TODAY - timedelta(days=1),
        district_id=factories.DistrictFactory().id,
        audience="pupils",
        headcount=28,
        headcount_female=15,
        headcount_under_18=28,
    )
    figures = metrics.trainer_figures(master.id, TODAY)
    assert figures["direct_reach"] == 1  # her one ToT graduate
    assert figures["total_reach"] == 1 + 3 + 28
    by_generation = {row["generation"]: row for row in figures["reach_by_generation"]}
    assert by_generation[1]["people"] == 3 and by_generation[1]["headcount"] == 28
    assert metrics.trainer_figures(child.id, TODAY)["total_reach"] == 3 + 28
    assert figures["trainers_certified"] == 1


def test_a_withdrawn_or_revoked_person_is_not_reached(db):
    tot = _tot()
    master = _master(tot)
    cohort, (kept, revoked) = _certify(tot, master, 2)
    certificate = _db.session.scalar(select(Certificate).where(Certificate.user_id == revoked.id))
    certificate_services.revoke(certificate, by=factories.UserFactory(roles=["admin"]), reason="Помилка")
    assert metrics.reach(metrics.Scope(trainer_id=master.id)).reach_named == 1
    assert _lineage(revoked).active is False and _lineage(kept).active is True


def test_an_edge_that_would_make_a_cycle_is_refused(db):
    tot = _tot()
    master = _master(tot)
    _cohort, (child,) = _certify(tot, master, 1)
    # History entered later: a 2017 cohort led by the child that certified her own trainer.
    old = finished_cohort(scores=(), course=tot, lead_trainer=child, accredited=False)[0]
    from lms.courses.models import Accreditation

    row = _db.session.scalar(select(Accreditation).where(Accreditation.user_id == master.id))
    row.source, row.source_cohort_id, row.granted_on = "certificate", old.id, date(2017, 5, 1)
    with pytest.raises(lineage.CascadeCycle):
        lineage.refresh_lineage(master.id)


@pytest.mark.parametrize(("delivered_after", "active"), [(-1, False), (0, True), (90, True), (91, False)])
def test_activation_counts_delivery_within_n_days_and_not_one_after(db, delivered_after, active):
    tot = _tot()
    admin = factories.UserFactory(roles=["admin"])
    trainer = factories.UserFactory(roles=["trainer"])
    accredited = TODAY - timedelta(days=200)
    grant_accreditation(by=admin, user_id=trainer.id, course_id=tot.id, granted_on=accredited)
    services.log_event(
        by=trainer,
        date=accredited + timedelta(days=delivered_after),
        district_id=factories.DistrictFactory().id,
        audience="community",
        headcount=12,
    )
    figures = metrics.activation(metrics.Scope(trainer_id=trainer.id), TODAY)
    assert figures["active_trainers"] == (1 if active else 0)
    assert figures["eligible"] == 1


@pytest.mark.parametrize(("last_delivery_days_ago", "dormant"), [(90, False), (91, True)])
def test_dormant_means_nothing_delivered_in_the_last_n_days(db, last_delivery_days_ago, dormant):
    tot = _tot()
    admin = factories.UserFactory(roles=["admin"])
    trainer = factories.UserFactory(roles=["trainer"])
    grant_accreditation(
        by=admin, user_id=trainer.id, course_id=tot.id, granted_on=TODAY - timedelta(days=300)
    )
    services.log_event(
        by=trainer,
        date=TODAY - timedelta(days=last_delivery_days_ago),
        district_id=factories.DistrictFactory().id,
        audience="teachers",
        headcount=5,
    )
    ids = metrics.activation(metrics.Scope(trainer_id=trainer.id), TODAY)["dormant_ids"]
    assert (trainer.id in ids) is dormant
    # Her own page decides it for her alone, the same way.
    assert metrics.trainer_figures(trainer.id, TODAY)["dormant"] is dormant


def test_a_trainer_page_says_dormant_for_her_alone_not_her_subtree(db):
    tot = _tot()
    master = _master(tot)
    cohort, (child,) = _certify(tot, master, 1)
    cohort.start_date, cohort.end_date = TODAY - timedelta(days=200), TODAY - timedelta(days=199)
    _lineage(child).accredited_on = TODAY - timedelta(days=199)
    services.log_event(
        by=child, date=TODAY - timedelta(days=3), district_id=factories.DistrictFactory().id,
        audience="pupils", headcount=20,
    )  # fmt: skip
    _db.session.flush()
    # The master delivered her ToT 200 days ago and nothing since: dormant; her trainee is not.
    assert metrics.trainer_figures(master.id, TODAY)["dormant"] is True
    assert metrics.trainer_figures(child.id, TODAY)["dormant"] is False
    assert metrics.activation(metrics.Scope(trainer_id=master.id), TODAY)["dormant_ids"] == [master.id]
    # A suspended trainer (every accreditation revoked) is not called dormant.
    _lineage(master).active = False
    assert metrics.trainer_figures(master.id, TODAY)["dormant"] is False


def test_a_newly_accredited_trainer_is_neither_dormant_nor_counted_in_the_rate(db):
    tot = _tot()
    trainer = _master(tot)
    _db.session.get(TrainerLineage, trainer.id).accredited_on = TODAY - timedelta(days=89)
    figures = metrics.activation(metrics.Scope(trainer_id=trainer.id), TODAY)
    assert figures["eligible"] == 0 and figures["dormant_ids"] == [] and figures["activation_rate"] is None


def test_step_down_event_validation(db):
    trainer = _master(_tot())
    district = factories.DistrictFactory()
    good = {"date": TODAY, "district_id": district.id, "audience": "pupils", "headcount": 28}
    with pytest.raises(ValidationError) as refused:
        services.log_event(by=trainer, **(good | {"headcount": 0}))
    assert set(refused.value.fields) == {"headcount"}
    with pytest.raises(ValidationError) as refused:
        services.log_event(by=trainer, **(good | {"headcount_female": 29}))
    assert set(refused.value.fields) == {"headcount_female"}
    with pytest.raises(ValidationError) as refused:
        services.log_event(by=trainer, **(good | {"date": TODAY + timedelta(days=1)}))
    assert set(refused.value.fields) == {"date"}
    other = factories.UserFactory(roles=["trainer"])
    with pytest.raises(ValidationError) as refused:
        services.log_event(by=trainer, **(good | {"trainer_id": other.id}))
    assert set(refused.value.fields) == {"trainer_id"}
    assert services.log_event(by=trainer, **(good | {"headcount_female": 28})).headcount == 28
    participant = factories.UserFactory(roles=["participant"])
    with pytest.raises(PermissionDenied):
        services.log_event(by=participant, **good)


def test_a_trainer_sees_her_subtree_not_her_trainer_and_a_coordinator_her_region(db):
    tot = _tot()
    master = _master(tot)
    cohort, (child,) = _certify(tot, master, 1)
    _cohort, (grandchild,) = _certify(tot, child, 1)
    assert services.trainer_for(grandchild.id, by=child).user_id == grandchild.id
    with pytest.raises(NotFound):
        services.trainer_for(master.id, by=child)
    own = factories.UserFactory(roles=["coordinator"])
    own.regions = [cohort.district.region]
    other = factories.UserFactory(roles=["coordinator"])
    other.regions = [factories.RegionFactory()]
    assert services.trainer_for(child.id, by=own).user_id == child.id
    with pytest.raises(NotFound):
        services.trainer_for(child.id, by=other)
    with pytest.raises(PermissionDenied):
        services.summary_region(other, cohort.district.region_id)


def test_the_api_gives_a_trainers_figures_and_the_summary(client, db):
    tot = _tot()
    master = _master(tot)
    cohort, trainers = _certify(tot, master, 2)
    admin = factories.UserFactory(roles=["admin"])
    body = client.get(f"/api/v1/cascade/trainers/{master.id}", headers=api_headers(admin)).get_json()
    assert body["generation"] == 0 and body["trainers_certified"] == 2 and body["total_reach"] == 2
    summary = client.get(
        f"/api/v1/cascade/summary?region_id={cohort.district.region_id}", headers=api_headers(admin)
    ).get_json()
    assert summary["trainers_accredited"] == 2 and summary["reach_named"] == 2
    assert [g["generation"] for g in summary["by_generation"]] == [0, 1]
    outsider = factories.UserFactory(roles=["trainer"])
    assert (
        client.get(f"/api/v1/cascade/trainers/{master.id}", headers=api_headers(outsider)).status_code == 404
    )


def test_step_down_events_api_logs_and_lists_own_events(client, db):
    trainer = _master(_tot())
    district = factories.DistrictFactory()
    answer = client.post(
        "/api/v1/step-down-events",
        json={
            "date": TODAY.isoformat(),
            "district_id": district.id,
            "audience": "pupils",
            "headcount": 28,
            "headcount_female": 14,
            "headcount_under_18": 28,
            "materials_distributed": 30,
        },
        headers=api_headers(trainer),
    )
    assert answer.status_code == 201 and answer.get_json()["trainer_id"] == trainer.id
    bad = client.post(
        "/api/v1/step-down-events",
        json={"date": TODAY.isoformat(), "district_id": district.id, "audience": "pupils", "headcount": 0},
        headers=api_headers(trainer),
    )
    assert bad.status_code == 422
    listed = client.get("/api/v1/step-down-events", headers=api_headers(trainer)).get_json()
    assert listed["total"] == 1
    assert _db.session.scalar(select(StepDownEvent.materials_distributed)) == 30


def test_the_pages_show_the_dashboard_a_trainer_and_the_event_form(client, db, strict_loading):
    tot = _tot()
    master = _master(tot)
    cohort, (child,) = _certify(tot, master, 1)
    coordinator = factories.UserFactory(roles=["coordinator"])
    coordinator.regions = [cohort.district.region]
    sign_in(client, coordinator)
    html = client.get("/cascade/").get_data(as_text=True)
    assert 'data-testid="generations"' in html
    page = client.get(f"/cascade/trainers/{master.id}?q=")
    assert page.status_code == 404  # a master trainer outside her region's records
    page = client.get(f"/cascade/trainers/{child.id}")
    assert page.status_code == 200
    sign_in(client, master)
    html = client.get(f"/cascade/trainers/{master.id}").get_data(as_text=True)
    assert child.full_name in html and 'data-testid="children"' in html
    assert client.get("/cascade/events").status_code == 200


def test_the_demo_builds_three_generations_through_the_real_path(db):
    from seed.demo import load_demo

    load_demo()
    generations = dict(
        _db.session.execute(
            select(TrainerLineage.generation, func.count()).group_by(TrainerLineage.generation)
        ).all()
    )
    assert generations == {0: 2, 1: 2, 2: 4}
    assert _db.session.scalar(select(func.count(StepDownEvent.id))) == 3
    from lms.accounts.models import User

    tkachenko = _db.session.scalar(select(User).where(User.email == "v.tkachenko@cascade.demo"))
    assert tkachenko.id in metrics.activation(metrics.Scope(), TODAY)["dormant_ids"]
    statuses = dict(
        _db.session.execute(select(Certificate.status, func.count()).group_by(Certificate.status)).all()
    )
    assert statuses["revoked"] == 1 and statuses["superseded"] == 1
    before = _db.session.scalar(select(func.count(Certificate.id)))
    load_demo()
    assert _db.session.scalar(select(func.count(Certificate.id))) == before


def test_activation_is_one_statement_however_many_trainers(db):
    """Nationally 100,000 trainers: their ids must not travel back to the database as a list
    (PostgreSQL takes at most 65,535 parameters in a statement)."""
    from tests.queries import count_queries

    tot = _tot()
    master = _master(tot)
    _certify(tot, master, 3)
    _db.session.flush()
    for scope in (metrics.Scope(), metrics.Scope(trainer_id=master.id)):
        with count_queries() as statements:
            figures = metrics.activation(scope, TODAY)
        assert len(statements) == 1
        assert figures["trainers_accredited"] == 4
