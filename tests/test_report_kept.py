"""The report's kept figures (lms.reports.kept): every write that changes a cohort's figures
bumps its stamp through a trigger, whatever path makes it, and the next report shows the change;
writes that change nothing bump nothing; a write landing between a fill's read and its store
leaves the row stale, never wrong; the report's statements do not grow with its cohorts."""

from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select, text, update

from lms.accounts import services as accounts
from lms.assessments import delivery
from lms.assessments.models import Attempt, CohortTest, Response
from lms.assessments.paper import enter_scores
from lms.certificates import services as certificate_services
from lms.certificates.models import Certificate
from lms.cohorts.models import Cohort, Enrollment
from lms.core import page_cache
from lms.extensions import db as _db
from lms.org.models import Institution
from lms.reports.figures import results_report, scores, totals
from lms.reports.filters import ReportFilters
from lms.reports.kept import cohorts as kept
from lms.reports.kept import people as kept_people
from lms.reports.kept.models import CohortFigures, CohortStamp, PeopleGroups
from lms.reports.kept.tasks import refresh_figures
from tests import factories
from tests.assessment_factories import question, running_cohort
from tests.queries import count_queries
from tests.report_fixtures import (
    TODAY,
    build_programme,
    certificate_of,
    kept_version_of,
    people_stamp,
    stamp_of,
)


@pytest.fixture
def programme(db):
    return build_programme()


def _enrollment(cohort, person) -> Enrollment:
    return _db.session.scalar(
        select(Enrollment).where(Enrollment.cohort_id == cohort.id, Enrollment.user_id == person.id)
    )


def _report_kept(programme):
    """A report that also leaves every cohort of the programme with valid figures."""
    report = results_report(programme.filters(start=None, end=None, region_ids=None))
    for cohort in programme.cohorts.values():
        assert kept_version_of(cohort) == stamp_of(cohort)
    return report


def test_the_first_report_keeps_every_cohorts_figures_and_the_second_reads_them(programme):
    first = results_report(programme.filters())
    kept_rows = _db.session.scalar(select(func.count()).select_from(CohortFigures))
    assert kept_rows == 3  # A, B and TT are in scope
    with count_queries() as statements:
        second = results_report(programme.filters())
    assert second == first
    assert not any("INSERT" in s for s in statements)
    figures = _db.session.get(CohortFigures, programme.cohorts["A"].id)
    assert figures.certificates == 2 and (figures.pre_n, figures.post_n, figures.gain_n) == (4, 4, 4)


def test_withdrawing_someone_bumps_her_cohort_and_the_report_drops_her(programme):
    a = programme.cohorts["A"]
    _report_kept(programme)
    version, other = stamp_of(a), stamp_of(programme.cohorts["B"])
    # Any path: the ORM here; the stamp follows in the same flush.
    _enrollment(a, programme.people["p2"]).status = "withdrawn"
    _db.session.flush()
    assert (stamp_of(a), stamp_of(programme.cohorts["B"])) == (version + 1, other)
    report = results_report(programme.filters())
    assert report.participants == 6
    # Pre 40 50 50 70 20 100 without p2's 60; post without her 80.
    assert (report.mean_pre, report.mean_post) == (55.0, round(610 / 7, 2))
    assert report.people_trained == 5  # her certificate still counts: trained is by certificate


def test_taking_someone_back_on_bumps_again(programme):
    a = programme.cohorts["A"]
    _report_kept(programme)
    _db.session.execute(
        update(Enrollment)
        .where(Enrollment.cohort_id == a.id, Enrollment.status == "withdrawn")
        .values(status="enrolled")
    )
    assert results_report(programme.filters()).participants == 8  # pw is back


def test_moving_an_enrolment_to_another_cohort_bumps_both(programme):
    a, b = programme.cohorts["A"], programme.cohorts["B"]
    _report_kept(programme)
    versions = (stamp_of(a), stamp_of(b))
    _enrollment(a, programme.people["pf"]).cohort_id = b.id
    _db.session.flush()
    assert (stamp_of(a), stamp_of(b)) == (versions[0] + 1, versions[1] + 1)
    course = results_report(programme.filters()).by_course[0]
    assert course.enrolled == 5  # pf still enrolled in course C, now in B


def test_revoking_a_certificate_bumps_and_the_report_drops_it(programme):
    b = programme.cohorts["B"]
    _report_kept(programme)
    version = stamp_of(b)
    certificate_services.revoke(
        certificate_of(programme.people["p4"], b), by=programme.admin, reason="Помилка"
    )
    _db.session.flush()
    assert stamp_of(b) == version + 1
    report = results_report(programme.filters())
    assert (report.people_trained, report.certificates_issued) == (4, 5)
    assert report.by_position[-1] == ("Соціальний працівник", 1)  # p4 (no position) is gone


def test_a_certificates_kind_changed_in_bulk_sql_bumps(programme):
    tt = programme.cohorts["TT"]
    _report_kept(programme)
    version = stamp_of(tt)
    _db.session.execute(
        update(Certificate)
        .where(Certificate.cohort_id == tt.id, Certificate.user_id == programme.people["t1"].id)
        .values(kind="participation")
    )
    assert stamp_of(tt) == version + 1
    assert results_report(programme.filters()).trainers_trained == 1


def test_a_trainer_certificate_of_a_training_that_is_no_tot_makes_no_trainer(programme):
    a = programme.cohorts["A"]
    _report_kept(programme)
    version = stamp_of(a)
    _db.session.execute(update(Certificate).where(Certificate.cohort_id == a.id).values(kind="trainer"))
    assert stamp_of(a) == version + 4  # its four certificates (p1, p2 superseded and reissued, p3 revoked)
    assert results_report(programme.filters()).trainers_trained == 2  # t1 and t2 of the ToT


def test_entering_a_paper_score_bumps_and_the_means_follow(programme):
    b = programme.cohorts["B"]
    _report_kept(programme)
    version = stamp_of(b)
    enter_scores(_enrollment(b, programme.people["p4"]), {"pre": 30}, by=programme.admin)
    _db.session.flush()
    assert stamp_of(b) > version
    report = results_report(programme.filters())
    gains = [5 / 6, 1 / 2, 4 / 5, 0, 2 / 3, 1, 6 / 7]  # p4 now has a pair: (90 - 30) / 70
    assert (report.mean_pre, report.normalized_gain, report.gain_participants) == (
        round((390 + 30) / 8, 2),
        round(sum(gains) / 7, 3),
        7,
    )
    assert scores(programme.filters()) == (report.mean_pre, report.mean_post, report.normalized_gain, 7)


def test_a_score_changed_in_bulk_sql_bumps(programme):
    a = programme.cohorts["A"]
    _report_kept(programme)
    version = stamp_of(a)
    pre_test = select(CohortTest.id).where(CohortTest.cohort_id == a.id, CohortTest.phase == "pre")
    _db.session.execute(
        update(Attempt)
        .where(
            Attempt.test_id.in_(pre_test), Attempt.enrollment_id == _enrollment(a, programme.people["p1"]).id
        )
        .values(score_percent=10)
    )
    assert stamp_of(a) == version + 1
    assert results_report(programme.filters()).mean_pre == round((390 - 40 + 10) / 7, 2)


def test_a_score_deleted_bumps_and_a_test_deleted_bumps(programme):
    tt = programme.cohorts["TT"]
    _report_kept(programme)
    version = stamp_of(tt)
    post_test = _db.session.scalar(
        select(CohortTest).where(CohortTest.cohort_id == tt.id, CohortTest.phase == "post")
    )
    _db.session.execute(delete(Attempt).where(Attempt.test_id == post_test.id))
    assert stamp_of(tt) == version + 2  # t1's and t2's
    report = results_report(programme.filters())
    assert report.mean_post == round((90 + 80 + 90 + 50 + 90 + 90) / 6, 2)
    _db.session.execute(delete(CohortTest).where(CohortTest.cohort_id == tt.id))
    assert stamp_of(tt) >= version + 4  # the two tests (their attempts go by cascade)
    assert results_report(programme.filters()).mean_pre == round((40 + 60 + 50 + 50 + 70) / 5, 2)


def test_a_test_switched_to_the_other_phase_bumps(programme):
    tt = programme.cohorts["TT"]
    _report_kept(programme)
    _db.session.execute(delete(CohortTest).where(CohortTest.cohort_id == tt.id, CohortTest.phase == "post"))
    version = stamp_of(tt)
    _db.session.execute(update(CohortTest).where(CohortTest.cohort_id == tt.id).values(phase="post"))
    assert stamp_of(tt) == version + 1
    # t1's and t2's pre scores (20, 100) are now their post scores.
    assert results_report(programme.filters()).mean_post == round(
        (90 + 80 + 90 + 50 + 90 + 90 + 20 + 100) / 8, 2
    )


def test_moving_a_person_to_another_position_or_institution_shows_in_the_next_report(programme):
    _report_kept(programme)
    stamp = people_stamp()
    accounts.update_user(programme.people["p2"], by=programme.admin, position="Директор")
    _db.session.flush()
    assert people_stamp() == stamp + 1
    report = results_report(programme.filters())
    assert ("Директор", 1) in report.by_position and ("Психолог", 1) in report.by_position
    school = _db.session.scalar(select(Institution).where(Institution.type == "school"))
    programme.people["p1"].institution_id = school.id
    _db.session.flush()
    assert people_stamp() == stamp + 2
    assert results_report(programme.filters()).by_institution_type == [
        ("school", 2),
        ("social_services_centre", 2),
        (None, 1),
    ]


def test_an_institutions_type_changed_shows_in_the_next_report(programme):
    _report_kept(programme)
    stamp = people_stamp()
    _db.session.execute(
        update(Institution).where(Institution.type == "school").values(type="children_service")
    )
    assert people_stamp() == stamp + 1
    assert ("children_service", 1) in results_report(programme.filters()).by_institution_type


def test_a_person_added_after_the_groups_were_kept_is_counted_from_her_row(programme):
    _report_kept(programme)
    kept_version = _db.session.scalar(select(PeopleGroups.version))
    newcomer = factories.UserFactory(position="Юрист")  # no bump: she is in no kept group
    b = programme.cohorts["B"]
    certificate = certificate_of(programme.people["p4"], b)
    _db.session.execute(
        update(Certificate).where(Certificate.id == certificate.id).values(user_id=newcomer.id)
    )
    assert _db.session.scalar(select(PeopleGroups.version)) == kept_version == people_stamp()
    report = results_report(programme.filters())
    assert ("Юрист", 1) in report.by_position and (None, 1) not in report.by_position


def test_writes_that_change_no_figure_bump_nothing(db, admin):
    cohort, (enrollment, _other) = running_cohort(participants=2)
    for i in range(3):
        question(cohort.course, text=f"Питання {i}")
    test = delivery.open_test(cohort, "pre", by=admin)
    version, people = stamp_of(cohort), people_stamp()
    attempt = delivery.start_attempt(test, enrollment)  # an attempt with no score yet
    for item in delivery.items_of(attempt)[:2]:
        delivery.save_answer(attempt, item.question_id, [item.version.choices[0].id])
    _db.session.execute(update(Attempt).where(Attempt.id == attempt.id).values(deadline=None, shuffle_seed=7))
    _db.session.execute(update(Enrollment).where(Enrollment.id == enrollment.id).values(status="enrolled"))
    _db.session.execute(update(CohortTest).where(CohortTest.id == test.id).values(status="closed"))
    user = enrollment.user
    accounts.update_user(user, by=admin, full_name="Інше Ім'я", position=user.position)
    _db.session.flush()
    assert _db.session.scalar(select(func.count()).select_from(Response)) >= 2
    assert (stamp_of(cohort), people_stamp()) == (version, people)
    assert delivery.submit(attempt) == "submitted"  # a score now: the figures change
    assert stamp_of(cohort) == version + 1


def test_a_write_between_a_fills_read_and_its_store_leaves_the_row_stale(programme, monkeypatch):
    """The version stored is the one read with the rows: a write that lands after the read bumps
    the stamp past it, so the row is never taken for current."""
    a = programme.cohorts["A"]
    store = kept._store

    def store_after_a_write(rows):
        _enrollment(a, programme.people["p1"]).status = "withdrawn"
        _db.session.flush()
        store(rows)

    monkeypatch.setattr(kept, "_store", store_after_a_write)
    raced = results_report(programme.filters())
    monkeypatch.undo()
    assert raced.participants == 7  # read before the write
    assert kept_version_of(a) == stamp_of(a) - 1
    report = results_report(programme.filters())
    assert report.participants == 7  # p1 is still enrolled in B
    assert report.by_course[0].enrolled == 5
    assert report.mean_pre == round((390 - 40) / 6, 2)
    assert kept_version_of(a) == stamp_of(a)


def test_two_fills_of_the_same_cohorts_keep_the_newer_version(programme):
    a = programme.cohorts["A"]
    computed = kept.refresh([a.id])
    version = stamp_of(a)
    kept._store([computed[a.id].row(a.id, version + 5)])  # a filler that read a later version
    kept._store([computed[a.id].row(a.id, version)])  # then one that read earlier: no error, no change
    assert kept_version_of(a) == version + 5


def test_deleting_a_cohort_with_people_drops_its_stamp_and_figures(db, admin):
    cohort, _enrollments = running_cohort(participants=2)
    kept.refresh([cohort.id])
    assert stamp_of(cohort) == 2 and kept_version_of(cohort) == 2
    cohort_id = cohort.id
    _db.session.execute(delete(Cohort).where(Cohort.id == cohort_id))
    assert _db.session.get(CohortStamp, cohort_id) is None
    assert _db.session.scalar(select(func.count()).where(CohortFigures.cohort_id == cohort_id)) == 0


def _statements(filters) -> list[str]:
    with count_queries() as statements:
        results_report(filters)
    return [s for s in statements if not s.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK"))]


@pytest.mark.parametrize("warm", [True, False], ids=["kept", "computed"])
def test_the_reports_statements_do_not_grow_with_its_cohorts(db, admin, warm):
    region = factories.RegionFactory()
    filters = ReportFilters(TODAY - timedelta(days=60), TODAY, (region.id,))

    def add_cohorts(n):
        for _ in range(n):
            cohort = factories.CohortFactory(
                district=factories.DistrictFactory(region=region),
                status="closed",
                start_date=TODAY - timedelta(days=11),
                end_date=TODAY - timedelta(days=10),
            )
            for enrollment in factories.EnrollmentFactory.create_batch(
                2, cohort=cohort, user__institution=factories.InstitutionFactory()
            ):
                enter_scores(enrollment, {"pre": 40, "post": 80}, by=admin)
        _db.session.flush()

    def statements() -> list[str]:
        # Everyone in the kept groups; every cohort's figures kept, or none.
        _db.session.execute(delete(PeopleGroups))
        kept_people.refresh()
        if warm:
            kept.refresh_stale()
        else:
            _db.session.execute(delete(CohortFigures))
        return _statements(filters)

    add_cohorts(1)
    one = statements()
    add_cohorts(12)
    many = statements()
    assert len(one) == len(many), (one, many)
    assert any("INSERT INTO report_cohort_figures" in s for s in many) is not warm
    assert results_report(filters).cohorts == 13


def test_totals_and_scores_read_the_same_kept_figures(programme):
    report = results_report(programme.filters())
    assert totals(programme.filters()) == (
        report.participants,
        report.people_trained,
        report.trainers_trained,
        report.certificates_issued,
    )
    assert scores(programme.filters()) == (report.mean_pre, report.mean_post, report.normalized_gain, 6)


def test_the_periodic_refresh_computes_only_what_is_stale(programme):
    stale = _db.session.scalar(select(func.count()).select_from(Cohort))
    assert refresh_figures.run() == stale
    assert refresh_figures.run() == 0
    assert _db.session.scalar(select(PeopleGroups.version)) == people_stamp()
    _enrollment(programme.cohorts["A"], programme.people["p1"]).status = "withdrawn"
    _db.session.flush()
    assert refresh_figures.run() == 1
    assert kept.refresh_stale(limit=0) == 0


def test_the_stamp_bump_is_a_trigger_not_a_statement(programme):
    """The writer sends no statement for the stamps: the database bumps them."""
    a = programme.cohorts["A"]
    ids = {"c": a.id, "u": programme.people["p1"].id}
    with count_queries() as statements:
        _db.session.execute(
            text("UPDATE enrollments SET status = 'withdrawn' WHERE cohort_id = :c AND user_id = :u"), ids
        )
    assert len(statements) == 1 and stamp_of(a) >= 1
    figures = kept.refresh([a.id])[a.id]
    enrolled = kept.union([figures.enrolled])
    assert ids["u"] not in enrolled and len(enrolled) == 3  # p2 p3 pf
    # Trained is by certificate: p1 and p2 (reissued), both psychologists of the centre.
    assert kept_people.by_group(kept.union([figures.trained])) == {("social_services_centre", "Психолог"): 2}


def test_the_page_cache_counts_the_triggers_writes(programme):
    """A cached page that read only the kept figures is rendered again after a withdrawal: the
    page cache moves the stamps' version on with the enrolments' (lms.core.page_cache)."""
    reads = page_cache._reads.set(set())  # record as while a cached page renders
    written = page_cache._written.set(set())
    try:
        _db.session.execute(update(Enrollment).where(Enrollment.id == -1).values(status="withdrawn"))
        _db.session.execute(update(Institution).where(Institution.id == -1).values(type="school"))
        _db.session.execute(select(Certificate.id).limit(1))
        assert page_cache._written.get() >= {
            "enrollments",
            "report_cohort_stamps",
            "institutions",
            "report_people_stamp",
        }
        assert "certificates" not in page_cache._written.get()
    finally:
        page_cache._written.reset(written)
        page_cache._reads.reset(reads)


def test_a_cohort_deleted_between_the_read_and_the_fill_is_left_out(db, admin, monkeypatch):
    cohort, _enrollments = running_cohort(participants=2)
    other, _more = running_cohort(participants=1)
    refresh = kept.refresh

    def refresh_after_a_deletion(ids):
        _db.session.execute(delete(Cohort).where(Cohort.id == cohort.id))
        return refresh(ids)

    monkeypatch.setattr(kept, "refresh", refresh_after_a_deletion)
    report = results_report(ReportFilters(TODAY, TODAY + timedelta(days=1)))
    assert (report.cohorts, report.participants) == (1, 1)  # the other; its trainings by course read after
    assert kept_version_of(other) == stamp_of(other)
