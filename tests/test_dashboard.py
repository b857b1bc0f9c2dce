"""The dashboards and the coverage page against values computed by hand on a small programme,
closed through the real certificate path: a revoked certificate, a withdrawn participant, a
person trained twice, a training in another region and one outside the period, a district with
no training. A coordinator never sees another region."""

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update
from werkzeug.datastructures import MultiDict

from lms.cascade import services as cascade_services
from lms.certificates import closing, issuance
from lms.certificates import services as certificate_services
from lms.certificates.models import Certificate
from lms.cohorts.models import Cohort
from lms.core.errors import PermissionDenied
from lms.core.jobs import run_job
from lms.courses.services import grant_accreditation
from lms.extensions import db as _db
from lms.reports.dashboard import figures
from lms.reports.dashboard.views import last_months
from lms.reports.figures import results_report
from lms.reports.filters import ReportFilters, filters_from_args
from tests import factories
from tests.certificate_fixtures import finished_cohort
from tests.conftest import sign_in

YEAR = date.today().year - 1
PERIOD = ReportFilters(date(YEAR, 1, 1), date(YEAR, 12, 31))


@dataclass
class Programme:
    a: object  # the coordinator's region: districts d1, d2 (trained) and d3 (none)
    b: object  # another region
    d1: object
    d2: object
    d3: object
    e1: object
    course: object
    tot: object
    master: object
    admin: object
    coordinator: object
    people: dict


def _close(cohort, admin) -> None:
    job = closing.close_cohort(cohort, by=admin)
    _db.session.flush()
    run_job(job.id, issuance.run_issuance_job)


def _move(cohort, end: date) -> None:
    """The training happened earlier: its days move back (after it was closed)."""
    days = (cohort.end_date - end).days
    _db.session.execute(
        update(Cohort)
        .where(Cohort.id == cohort.id)
        .values(start_date=cohort.start_date - timedelta(days=days), end_date=end)
    )
    _db.session.expire(cohort)


def _training(scores, *, course, district, master, admin, end, withdraw=(), pre=None):
    """A closed training of ``course`` in ``district`` that ended on ``end``: one person per
    post-test score, with pre-test scores ``pre`` where given; ``withdraw`` lists who left."""
    from lms.assessments.paper import enter_scores

    cohort, enrollments = finished_cohort(
        scores=scores, course=course, district=district, lead_trainer=master, accredited=False
    )
    for index, score in enumerate(pre or ()):
        if score is not None:
            enter_scores(enrollments[index], {"pre": score}, by=admin)
    for index in withdraw:
        enrollments[index].status = "withdrawn"
    _db.session.flush()
    _close(cohort, admin)
    _move(cohort, end)
    return cohort, enrollments


@pytest.fixture
def programme(db):
    a = factories.RegionFactory(name="Черкаська тестова", name_en="Cherkasy test")
    b = factories.RegionFactory(name="Львівська тестова", name_en="Lviv test")
    # Ukrainian order: Є after Е, І after И; a code-point sort would put them elsewhere.
    d1 = factories.DistrictFactory(region=a, name="Єрківський район", name_en="Yerkivskyi")
    d2 = factories.DistrictFactory(region=a, name="Ісаківський район", name_en="Isakivskyi")
    d3 = factories.DistrictFactory(region=a, name="Жашківський район", name_en="Zhashkivskyi")
    e1 = factories.DistrictFactory(region=b, name="Стрийський тестовий", name_en="Stryi test")
    admin = factories.UserFactory(roles=["admin"])
    course = factories.CourseFactory(code="PTL-TEST")
    tot = factories.CourseFactory(code="TOT-TEST", is_tot=True)
    tot.accredits = [tot]
    master = factories.UserFactory(roles=["trainer"], institution=factories.InstitutionFactory(district=d1))
    grant_accreditation(by=admin, user_id=master.id, course_id=tot.id, granted_on=date(YEAR, 2, 1))
    factories.AccreditationFactory(user=master, course=course)
    common = {"master": master, "admin": admin}
    # K1: two trained, one withdrawn (with scores that must not count).
    k1, (e_1, e_2, e_3) = _training(
        (80, 90, 100),
        pre=(40, 60, 10),
        withdraw=(2,),
        course=course,
        district=d1,
        end=date(YEAR, 3, 12),
        **common,
    )
    # K2, same month: the first person of K1 again, and one whose certificate is revoked.
    k2, (e_4, e_5) = _training(
        (75, 100), pre=(50, 100), course=course, district=d1, end=date(YEAR, 3, 20), **common
    )
    e_4.user = e_1.user
    _db.session.execute(
        update(Certificate).where(Certificate.enrollment_id == e_4.id).values(user_id=e_1.user_id)
    )
    revoked = _db.session.scalar(select(Certificate).where(Certificate.enrollment_id == e_5.id))
    certificate_services.revoke(revoked, by=admin, reason="Помилка у відомості")
    # K3: a training of trainers in d2, post-test only: two trainers trained.
    k3, (e_6, e_7) = _training((90, 85), course=tot, district=d2, end=date(YEAR, 5, 15), **common)
    # K4: another region.
    k4, (e_8,) = _training((70,), pre=(20,), course=course, district=e1, end=date(YEAR, 5, 10), **common)
    # K5: the day before the period.
    k5, (e_9,) = _training((95,), pre=(30,), course=course, district=d1, end=date(YEAR - 1, 12, 31), **common)
    # Not counted: a draft and a cancelled training in d3.
    for status in ("draft", "cancelled"):
        factories.CohortFactory(
            district=d3, course=course, status=status, start_date=date(YEAR, 6, 1), end_date=date(YEAR, 6, 1)
        )
    cascade_services.log_event(
        by=master, date=date(YEAR, 6, 1), district_id=d2.id, audience="pupils", headcount=30
    )
    cascade_services.log_event(
        by=master, date=date(YEAR - 1, 6, 1), district_id=d2.id, audience="pupils", headcount=1000
    )
    coordinator = factories.UserFactory(roles=["coordinator"], regions=[a])
    _db.session.flush()
    people = {f"e{i}": e for i, e in enumerate((e_1, e_2, e_3, e_4, e_5, e_6, e_7, e_8, e_9), start=1)}
    return Programme(a, b, d1, d2, d3, e1, course, tot, master, admin, coordinator, people)


def _only(filters: ReportFilters, p: Programme, regions=None) -> ReportFilters:
    """The period's filters limited to the fixture's regions (factories add others)."""
    return ReportFilters(filters.start, filters.end, regions or (p.a.id, p.b.id), filters.course_ids)


def test_the_headline_figures_are_the_hand_computed_ones(programme):
    board = figures.dashboard(_only(PERIOD, programme), programme.admin, date.today())
    h = board.headline
    assert h.trainings == 4  # K1, K2, K3, K4 (K5 before the period; draft and cancelled never)
    assert h.people_trained == 5  # e1 (twice), e2, e6, e7, e8; e5 revoked, e3 withdrawn
    assert h.trainers_trained == 2  # e6, e7
    assert h.certificates == 6  # e1, e2, e4, e6, e7, e8
    # Pre: e1 40, e2 60, e4 50, e5 100, e8 20 (e3 withdrawn). Post: those five's 80, 90, 75, 100,
    # 70 and the ToT's post-test only e6 90, e7 85: 590 / 7.
    assert h.pre == pytest.approx(54.0) and h.post == pytest.approx(84.29)
    # Gain without e5 (pre 100): (0.6667 + 0.75 + 0.5 + 0.625) / 4.
    assert h.gain == pytest.approx(0.635, abs=0.001)
    # The same figures as the results report's, by the same definition.
    report = results_report(_only(PERIOD, programme))
    assert (h.pre, h.post, h.gain) == (report.mean_pre, report.mean_post, report.normalized_gain)
    assert (h.people_trained, h.trainers_trained, h.certificates) == (
        report.people_trained,
        report.trainers_trained,
        report.certificates_issued,
    )
    # The master trainer, accredited on 1 February, led K1 within 90 days: active; nothing since.
    assert (h.trainers_accredited, h.eligible_trainers, h.active_trainers) == (1, 1, 1)
    assert h.activation_rate == 1.0 and h.dormant_trainers == 1
    assert board.activation == [{"generation": 0, "eligible": 1, "active": 1, "rate": 1.0}]


def test_trainings_per_month_fill_every_month_of_the_period(programme):
    months = figures.trainings_by_month(_only(PERIOD, programme))
    assert [m for m, _n in months] == [date(YEAR, month, 1) for month in range(1, 13)]
    assert dict(months) == {date(YEAR, m, 1): {3: 2, 5: 2}.get(m, 0) for m in range(1, 13)}
    open_start = figures.trainings_by_month(ReportFilters(None, None, (programme.a.id,)))
    assert open_start[0] == (date(YEAR - 1, 12, 1), 1) and open_start[-1] == (date(YEAR, 5, 1), 1)
    assert len(open_start) == 6
    assert figures.trainings_by_month(ReportFilters(None, None, (programme.a.id,), (10**6,))) == []


def test_people_by_region_and_by_district_in_ukrainian_order(programme):
    by_region = figures.people_by_area(_only(PERIOD, programme), "region")
    assert [(r.name, r.people) for r in by_region] == [("Львівська тестова", 1), ("Черкаська тестова", 4)]
    by_district = figures.people_by_area(_only(PERIOD, programme, (programme.a.id,)), "district")
    assert [(d.name, d.people) for d in by_district] == [
        ("Єрківський район", 2),
        ("Жашківський район", 0),
        ("Ісаківський район", 2),
    ]


def test_pre_and_post_by_course_and_reach_by_generation(programme):
    region_a = _only(PERIOD, programme, (programme.a.id,))
    (row,) = figures.scores_by_course(region_a)  # the ToT has no pre-test: no pairs
    assert row.code == "PTL-TEST" and row.participants == 4
    assert row.pre == pytest.approx(62.5) and row.post == pytest.approx(86.2, abs=0.06)
    assert row.gain == pytest.approx((0.6667 + 0.75 + 0.5) / 3, abs=0.001) and row.gain_participants == 3
    board = figures.dashboard(region_a, programme.coordinator, date.today())
    (generation,) = board.generations
    assert (generation.generation, generation.people, generation.cohorts, generation.headcount) == (
        0,
        4,
        3,
        30,
    )
    assert board.area_kind == "district"
    only_tot = ReportFilters(PERIOD.start, PERIOD.end, (programme.a.id,), (programme.tot.id,))
    assert figures.dashboard(only_tot, programme.coordinator, date.today()).headline.people_trained == 2


def test_coverage_shows_each_district_and_the_one_with_none(programme):
    result = figures.coverage(_only(PERIOD, programme))
    a, b = result.regions  # Львівська before Черкаська
    assert (b.name, a.name) == ("Черкаська тестова", "Львівська тестова")
    assert [(d.name, d.trainings, d.people, d.covered) for d in b.districts] == [
        ("Єрківський район", 2, 2, True),
        ("Жашківський район", 0, 0, False),
        ("Ісаківський район", 1, 2, True),
    ]
    assert (b.covered, len(b.districts), b.trainings, b.people) == (2, 3, 3, 4)
    assert [d.name for d in b.uncovered] == ["Жашківський район"]
    assert (a.covered, a.trainings, a.people) == (1, 1, 1)
    assert (result.covered, result.districts, result.trainings, result.people) == (3, 4, 4, 5)


def test_a_coordinator_never_sees_another_region(programme):
    coordinator = programme.coordinator
    own = filters_from_args(MultiDict({"from": f"{YEAR}-01-01", "to": f"{YEAR}-12-31"}), coordinator)
    assert own.region_ids == (programme.a.id,)
    board = figures.dashboard(own, coordinator, date.today())
    assert board.headline.people_trained == 4 and board.headline.trainings == 3
    assert {area.name for area in board.areas} == {
        "Єрківський район",
        "Жашківський район",
        "Ісаківський район",
    }
    assert [r.name for r in figures.coverage(own).regions] == ["Черкаська тестова"]
    for asked in (str(programme.b.id), f"{programme.a.id},{programme.b.id}"):
        with pytest.raises(PermissionDenied):
            filters_from_args(MultiDict({"region_id": asked}), coordinator)


@pytest.mark.parametrize("path", ["/reports/dashboard", "/reports/coverage"])
def test_the_pages_answer_a_coordinator_in_her_region_and_403_in_another(client, programme, path):
    sign_in(client, programme.coordinator)
    page = client.get(f"{path}?from={YEAR}-01-01&to={YEAR}-12-31")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Черкаська тестова" in html and "Львівська тестова" not in html and "Стрийський" not in html
    assert client.get(f"{path}?region_id={programme.b.id}").status_code == 403
    assert client.get(f"{path}?region_id={programme.a.id},{programme.b.id}").status_code == 403
    assert client.get(f"{path}?region_id={programme.a.id}").status_code == 200


def test_the_coverage_page_counts_districts_in_ukrainian(client, programme):
    sign_in(client, programme.coordinator)
    html = client.get(f"/reports/coverage?from={YEAR}-01-01&to={YEAR}-12-31").get_data(as_text=True)
    assert "Охоплено 2 з 3 районів" in html
    assert html.count("data-uncovered") == 1
    assert "Навчено 4 особи" in html and "3 навчання проведено" in html


def test_the_dashboard_page_shows_the_figures_and_five_charts(client, programme):
    sign_in(client, programme.admin)
    html = client.get(
        f"/reports/dashboard?from={YEAR}-01-01&to={YEAR}-12-31&region_id={programme.a.id}&region_id={programme.b.id}"
    ).get_data(as_text=True)
    assert html.count('role="img"') == 5
    assert 'data-figure="people">\n    <div class="fs-4 fw-semibold text-nowrap">5<' in html


@pytest.mark.parametrize(
    ("args", "field"), [("from=2026-13-01", "from"), ("from=2026-05-02&to=2026-05-01", "to")]
)
def test_a_bad_filter_is_named_and_the_last_12_months_shown(client, programme, args, field):
    sign_in(client, programme.admin)
    page = client.get(f"/reports/dashboard?{args}")
    assert page.status_code == 422
    assert 'data-testid="filter-error"' in page.get_data(as_text=True)


def test_participants_and_trainers_get_no_dashboard(client, programme):
    for person in (programme.people["e1"].user, programme.master):
        sign_in(client, person)
        assert client.get("/reports/dashboard").status_code == 403
        assert client.get("/reports/coverage").status_code == 403
        assert 'data-testid="home-dashboard"' not in client.get("/").get_data(as_text=True)


def test_the_home_page_of_admins_and_coordinators_shows_the_last_12_months(client, programme):
    for person in (programme.admin, programme.coordinator):
        sign_in(client, person)
        html = client.get("/").get_data(as_text=True)
        assert 'data-testid="home-dashboard"' in html and 'data-chart="months"><svg' in html
        # The fixture's trainings ended more than 12 months ago (last year's spring) or not:
        assert ("У цьому періоді ніхто не завершив навчання." in html) == (date.today().month >= 5)


@pytest.mark.parametrize(
    ("today", "start"),
    [
        (date(2026, 11, 28), date(2025, 12, 1)),
        (date(2026, 12, 31), date(2026, 1, 1)),
        (date(2026, 1, 1), date(2025, 2, 1)),
    ],
)
def test_the_last_12_months_start_on_the_first_of_a_month(today, start):
    assert last_months(today) == (start, today)


def test_an_admin_sees_oblasts_and_drills_into_one_for_its_districts(client, programme):
    sign_in(client, programme.admin)
    period = f"from={YEAR}-01-01&to={YEAR}-12-31"
    html = client.get(f"/reports/coverage?{period}").get_data(as_text=True)
    assert 'data-testid="regions"' in html and 'data-testid="districts"' not in html
    assert f"region_id={programme.a.id}" in html
    drilled = client.get(f"/reports/coverage?{period}&region_id={programme.a.id}").get_data(as_text=True)
    assert 'data-testid="districts"' in drilled and "Жашківський район" in drilled
    assert "Стрийський" not in drilled and "без навчань" in drilled
