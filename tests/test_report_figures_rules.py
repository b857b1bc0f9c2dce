"""The results report's rules (lms.reports.figures, lms.reports.kept) on the programme of
tests/report_fixtures.py written as rows (``write_programme``): every figure worked out by hand,
then one rule a test (training days, the order of rows, generations, the means, the kept rows
and groups). Fast on purpose: the mutation run (scripts/mutants.py, group ``report-figures``)
reruns these tests for every mutant they cover; tests/test_reports.py builds the same programme
through the real services and checks the pages and the API."""

from datetime import time, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import delete, select, update

from lms.cohorts.models import Cohort, Enrollment, TrainingSession
from lms.courses.models import Course
from lms.extensions import db as _db
from lms.org.models import District
from lms.reports.figures import results_report, scores, totals
from lms.reports.kept import cohorts as kept
from lms.reports.kept import people as kept_people
from lms.reports.kept.models import CohortFigures, PeopleGroups
from tests.queries import count_queries
from tests.report_fixtures import (
    START,
    TODAY,
    certificate,
    enrol,
    event,
    kept_version_of,
    people_stamp,
    person,
    stamp_of,
    training,
    write_programme,
)


@pytest.fixture
def programme(db):
    return write_programme()


def _generations(report) -> list[tuple]:
    return [
        (g.generation, g.people, g.cohorts, g.events, g.headcount, g.materials) for g in report.by_generation
    ]


def test_every_figure_is_the_hand_computed_one(programme):
    report = results_report(programme.filters())
    course, tot = report.by_course
    # C: A and B (p1 twice, pw withdrawn, pf failed, p3 revoked); T: t1 and t2.
    assert (course.course_id, course.code, course.title, course.days, course.is_tot) == (
        programme.course.id,
        "PTL-C",
        "Процедура встановлення статусу",
        2,
        False,
    )
    assert (course.cohorts, course.training_days, course.districts, course.enrolled, course.trained) == (
        2,
        4,
        2,
        5,  # p1 p2 p3 pf p4
        3,  # p1 p2 p4
    )
    assert (tot.course_id, tot.code, tot.is_tot, tot.cohorts, tot.training_days, tot.districts) == (
        programme.tot.id,
        "TOT-T",
        True,
        1,
        2,
        1,
    )
    assert (tot.enrolled, tot.trained) == (2, 2)
    assert (report.cohorts, report.training_days, report.participants) == (3, 6, 7)
    assert report.people_trained == 5  # p1 (twice), p2 (reissued), p4, t1, t2
    assert report.trainers_trained == 2
    assert report.certificates_issued == 6  # A: p1, p2's new one; B: p1, p4; TT: t1, t2
    assert report.by_institution_type == [("social_services_centre", 3), ("school", 1), (None, 1)]
    # Ties of one: alphabetical, "not stated" last.
    assert report.by_position == [("Психолог", 2), ("Вчитель", 1), ("Соціальний працівник", 1), (None, 1)]
    (home,) = report.regions
    assert (home.region_id, home.name, home.name_en) == (programme.home.id, "Рідна область", "Home Oblast")
    assert [(d.district_id, d.name, d.name_en, d.cohorts, d.trained) for d in home.districts] == [
        (programme.d2.id, "Другий район", "Second Raion", 1, 2),  # p1 p4
        (programme.d1.id, "Перший район", "First Raion", 2, 4),  # p1 p2 t1 t2
        (programme.d3.id, "Третій район", "Third Raion", 0, 0),
    ]
    assert [d.district_id for d in home.covered] == [programme.d2.id, programme.d1.id]
    assert [d.district_id for d in home.uncovered] == [programme.d3.id]
    assert report.districts_covered == 2
    # Pre 40 60 50 50 70 20 100; post 90 80 90 50 90 90 100 100; gains .833 .5 .8 0 .667 1 (t2's pre is 100).
    assert (report.mean_pre, report.mean_post) == (55.71, 86.25)
    assert (report.normalized_gain, report.gain_participants) == (0.633, 6)
    assert _generations(report) == [(0, 5, 3, 0, 0, 0), (1, 0, 0, 1, 28, 40)]
    assert (report.step_down_events, report.step_down_headcount, report.materials_distributed) == (1, 28, 40)
    assert not report.is_empty and report.filters == programme.filters()


def test_totals_and_scores_are_the_reports(programme):
    assert totals(programme.filters()) == (7, 5, 2, 6)
    assert scores(programme.filters()) == (55.71, 86.25, 0.633, 6)
    assert totals(programme.filters(region_ids=None)) == (8, 6, 2, 7)


def test_an_admin_without_a_region_sees_the_regions_with_a_training_in_ukrainian_order(programme):
    report = results_report(programme.filters(region_ids=None))
    assert (report.cohorts, report.participants, report.people_trained, report.certificates_issued) == (
        4,
        8,
        6,
        7,
    )
    assert [(r.cohorts, r.districts, r.enrolled, r.trained) for r in report.by_course] == [
        (3, 3, 6, 4),
        (1, 1, 2, 2),
    ]
    other, home = report.regions  # «Інша» before «Рідна»
    assert other.region_id == programme.other.id and home.region_id == programme.home.id
    assert [(d.name, d.cohorts, d.trained) for d in other.districts] == [("Далекий район", 1, 1)]
    assert report.districts_covered == 3
    assert (report.step_down_events, report.step_down_headcount, report.materials_distributed) == (2, 38, 40)
    assert (report.mean_pre, report.mean_post) == (55.71, round((690 + 90) / 9, 2))


def test_a_region_without_a_training_still_lists_its_districts_when_asked_for(programme):
    report = results_report(programme.filters(region_ids=(programme.home.id, programme.other.id), end=START))
    assert report.is_empty and report.cohorts == 0
    assert [(r.region_id, [d.cohorts for d in r.districts]) for r in report.regions] == [
        (programme.other.id, [0]),
        (programme.home.id, [0, 0, 0]),
    ]
    assert results_report(programme.filters(region_ids=None, end=START)).regions == []


def test_step_down_events_count_from_the_first_to_the_last_day_of_the_period(programme):
    def headcount(**changes) -> int:
        return results_report(programme.filters(**changes)).step_down_headcount

    # In D2 (home): 28 two days ago, 5 forty-five days ago; 10 in DO (another region).
    assert headcount(start=TODAY - timedelta(days=45), end=TODAY - timedelta(days=2)) == 33
    assert headcount(start=TODAY - timedelta(days=44), end=TODAY - timedelta(days=2)) == 28
    assert headcount(start=TODAY - timedelta(days=45), end=TODAY - timedelta(days=3)) == 5
    assert headcount(start=None, end=None) == 33
    assert headcount(start=None, end=None, region_ids=None) == 43
    assert headcount(start=None, end=None, region_ids=(programme.other.id,)) == 10


def test_step_down_events_of_other_courses_are_left_out_when_courses_are_chosen(programme):
    event(programme.people["t1"], programme.d1, 1, 7, 2, course=programme.tot)
    event(programme.people["t1"], programme.d1, 1, 3, course=programme.course)
    _db.session.flush()
    only_tot = results_report(programme.filters(course_ids=(programme.tot.id,)))
    assert (only_tot.step_down_events, only_tot.step_down_headcount, only_tot.materials_distributed) == (
        1,
        7,
        2,
    )
    assert (only_tot.cohorts, only_tot.people_trained, only_tot.trainers_trained) == (1, 2, 2)
    every = results_report(programme.filters())
    assert (every.step_down_events, every.step_down_headcount) == (3, 28 + 7 + 3)


def test_training_days_are_distinct_session_dates_or_the_courses_days_without_sessions(programme):
    # Made after C, named before it: the tie of two cohorts each is broken by code, not by id.
    longer = _db.session.merge(Course(code="AA-K", title="Довгий курс", title_en="Long course", days=3))
    training(longer, programme.d3, programme.master, 4, sessions=0)
    same_day = training(longer, programme.d3, programme.master, 6, sessions=1)
    _db.session.add(
        TrainingSession(cohort=same_day, date=same_day.end_date, starts_at=time(18), ends_at=time(20))
    )
    training(longer, programme.d3, programme.master, 5, sessions=0, status="cancelled")
    _db.session.flush()
    report = results_report(programme.filters())
    # Two cohorts each: K, then C by code; the ToT's one last.
    assert [(row.code, row.cohorts, row.training_days, row.districts) for row in report.by_course] == [
        ("AA-K", 2, 3 + 1, 1),
        ("PTL-C", 2, 4, 2),
        ("TOT-T", 1, 2, 1),
    ]
    assert (report.by_course[0].enrolled, report.by_course[0].trained) == (0, 0)
    assert report.training_days == 10 and report.cohorts == 5
    assert [d.cohorts for d in report.regions[0].districts] == [1, 2, 2]  # D3 is covered now
    assert report.districts_covered == 3


def test_the_course_with_the_most_trainings_comes_first_whatever_its_code(programme):
    for days_ago in (1, 2):
        training(programme.tot, programme.d3, programme.master, days_ago)
    _db.session.flush()
    report = results_report(programme.filters())
    assert [(row.code, row.cohorts, row.training_days, row.districts) for row in report.by_course] == [
        ("TOT-T", 3, 6, 2),
        ("PTL-C", 2, 4, 2),
    ]


def test_titles_and_names_follow_the_pages_language(programme):
    programme.course.title_en = "Status procedure"
    _db.session.flush()
    report = results_report(programme.filters())
    course, tot = report.by_course
    (home,) = report.regions
    assert (course.title_en, tot.title_en) == ("Status procedure", "")
    assert (course.display_title, home.display_name, home.districts[0].display_name) == (
        "Процедура встановлення статусу",
        "Рідна область",
        "Другий район",
    )
    with force_locale("en"):
        assert (course.display_title, tot.display_title) == ("Status procedure", "Підготовка тренерів")
        assert (home.display_name, home.districts[0].display_name) == ("Home Oblast", "Second Raion")


def test_the_cascade_counts_by_the_generation_of_who_led_and_who_logged(programme):
    t1, outsider = programme.people["t1"], person("Тренерка поза каскадом", None, "", "trainer")
    led = training(programme.course, programme.d2, t1, 1)
    certificate(enrol(led, person("Учасниця Нова")), led)
    certificate(enrol(led, programme.people["p1"]), led)
    failed = training(programme.course, programme.d2, t1, 2)
    enrol(failed, person("Учасниця Без сертифіката"), 10, 20)
    outside = training(programme.course, programme.d2, outsider, 2)
    certificate(enrol(outside, person("Учасниця Інша")), outside)
    event(outsider, programme.d2, 1, 6, 9)
    event(outsider, programme.d1, 3, 4)
    _db.session.flush()
    report = results_report(programme.filters())
    # Generation 0: M's trainings (5 people, 3 cohorts); 1: t1's (2 people, one cohort with a
    # certificate); None: the events of a trainer outside the lineage, after the generations.
    assert _generations(report) == [(0, 5, 3, 0, 0, 0), (1, 2, 1, 1, 28, 40), (None, 0, 0, 2, 10, 9)]
    assert report.people_trained == 5 + 2  # p1 counted once; the outsider's participant too
    assert (report.step_down_events, report.step_down_headcount, report.materials_distributed) == (3, 38, 49)


def test_the_largest_group_first_then_not_stated_then_alphabetical(programme):
    a = programme.cohorts["A"]
    for name, position in (("Юлія Нова", "Вчитель"), ("Анна Нова", ""), ("Аліна Нова", "   ")):
        certificate(enrol(a, person(name, None, position)), a)
    _db.session.flush()
    report = results_report(programme.filters())
    # Positions: Психолог 2, Вчитель 2 (t1 and Юлія), none 3 (p4 and two blank).
    assert report.by_position == [(None, 3), ("Вчитель", 2), ("Психолог", 2), ("Соціальний працівник", 1)]
    assert report.by_institution_type == [(None, 4), ("social_services_centre", 3), ("school", 1)]


def test_the_means_count_submitted_scores_of_the_enrolled_and_gains_below_a_full_pre_test(programme):
    q = training(programme.course, programme.d3, programme.master, 1)
    enrol(q, person("Q1"), 40, 70)  # gain 1/2
    enrol(q, person("Q2"), 100, 100)  # no gain: nothing to gain
    enrol(q, person("Q3"), 30)  # pre only
    enrol(q, person("Q4"), None, 80)  # post only
    enrol(q, person("Q5"), 50, 50, submitted=False)  # started, never submitted
    enrol(q, person("Q6"), 10, 90, status="withdrawn")
    enrol(q, person("Q7"), 0, 60, status="waitlisted")
    _db.session.flush()
    figures = kept.refresh([q.id])[q.id]
    assert (figures.pre_sum, figures.pre_n, figures.post_sum, figures.post_n) == (170.0, 3, 250.0, 3)
    assert (figures.gain_sum, figures.gain_n, figures.certificates) == (0.5, 1, 0)
    assert kept.union([figures.enrolled]) == kept.union([kept.pack(e.user_id for e in q.enrollments[:5])])
    alone = programme.filters(start=TODAY - timedelta(days=1), region_ids=None)
    assert scores(alone) == (round(170 / 3, 2), round(250 / 3, 2), 0.5, 1)
    assert totals(alone) == (5, 0, 0, 0)


def test_gains_are_averaged_per_participant_to_three_places(programme):
    q = training(programme.course, programme.d3, programme.master, 1)
    for pre, post in ((0, 100), (40, 50), (10, 20)):  # 1, 1/6, 1/9
        enrol(q, person(f"G{pre}"), pre, post)
    _db.session.flush()
    alone = programme.filters(start=TODAY - timedelta(days=1))
    assert scores(alone) == (16.67, 56.67, round((1 + 1 / 6 + 1 / 9) / 3, 3), 3)
    assert results_report(alone).normalized_gain == 0.426


def test_trainers_are_holders_of_a_valid_trainer_certificate_of_a_tot(programme):
    a, tt = programme.cohorts["A"], programme.cohorts["TT"]
    certificate(enrol(a, person("Тренерка не з ToT")), a, kind="trainer")
    certificate(enrol(tt, person("Відкликана")), tt, kind="trainer", status="revoked")
    certificate(enrol(tt, person("Учасниця ToT")), tt)
    _db.session.flush()
    report = results_report(programme.filters())
    assert (report.trainers_trained, report.people_trained, report.certificates_issued) == (2, 7, 8)
    figures = kept.refresh([tt.id])[tt.id]
    assert (
        len(kept.union([figures.trainers])),
        len(kept.union([figures.trained])),
        figures.certificates,
    ) == (2, 3, 3)


def test_an_empty_period_has_no_trainings_and_no_means(programme):
    report = results_report(
        programme.filters(start=TODAY + timedelta(days=1), end=TODAY + timedelta(days=30))
    )
    assert report.is_empty and (report.cohorts, report.training_days, report.participants) == (0, 0, 0)
    assert (report.mean_pre, report.mean_post, report.normalized_gain, report.gain_participants) == (
        None,
        None,
        None,
        0,
    )
    assert (report.by_institution_type, report.by_position, report.by_generation) == ([], [], [])
    assert [d.cohorts for d in report.regions[0].districts] == [0, 0, 0]


def test_a_set_of_people_is_packed_once_each_and_joined_once_each():
    packed = kept.pack([7, 3, 7, 1])
    assert packed == kept.pack([1, 3, 7]) and len(packed) == 12
    assert list(kept.union([packed, kept.pack([3, 9]), kept.pack([])])) == [1, 3, 7, 9]
    assert list(kept.union([])) == []


def test_the_first_report_keeps_the_figures_and_the_next_reads_them_without_computing(programme):
    filters = programme.filters(start=None, end=None, region_ids=None)
    first = results_report(filters)
    for cohort in programme.cohorts.values():
        assert kept_version_of(cohort) == stamp_of(cohort) > 0
    a = _db.session.get(CohortFigures, programme.cohorts["A"].id)
    assert (a.certificates, a.pre_sum, a.pre_n, a.post_sum, a.post_n, a.gain_n) == (2, 200.0, 4, 310.0, 4, 4)
    assert a.gain_sum == pytest.approx(5 / 6 + 1 / 2 + 4 / 5 + 0)
    assert sorted(kept.union([a.enrolled])) == sorted(
        programme.people[k].id for k in ("p1", "p2", "p3", "pf")
    )
    assert sorted(kept.union([a.trained])) == sorted(programme.people[k].id for k in ("p1", "p2"))
    assert kept.union([a.trainers]) == kept.union([])
    assert _db.session.scalar(select(PeopleGroups.version)) == people_stamp()
    with count_queries() as statements:
        again = results_report(filters)
    assert not any(s.startswith("INSERT") for s in statements)
    assert (again.participants, again.people_trained, again.trainers_trained, again.certificates_issued) == (
        first.participants,
        first.people_trained,
        first.trainers_trained,
        first.certificates_issued,
    )
    assert (again.by_position, again.by_institution_type) == (first.by_position, first.by_institution_type)
    assert (again.mean_pre, again.mean_post, again.normalized_gain) == (
        first.mean_pre,
        first.mean_post,
        first.normalized_gain,
    )


def test_a_write_makes_the_kept_figures_stale_and_the_next_report_stores_them_anew(programme):
    a = programme.cohorts["A"]
    results_report(programme.filters())
    version = kept_version_of(a)
    withdrawn = _db.session.scalar(
        select(Enrollment).where(
            Enrollment.cohort_id == a.id, Enrollment.user_id == programme.people["pf"].id
        )
    )
    withdrawn.status = "withdrawn"
    _db.session.flush()
    assert stamp_of(a) > version
    report = results_report(programme.filters())
    assert report.participants == 6 and report.by_course[0].enrolled == 4
    assert kept_version_of(a) == stamp_of(a)
    assert _db.session.get(CohortFigures, a.id).pre_n == 3


def test_a_stored_row_is_replaced_only_by_a_newer_version(programme):
    a = programme.cohorts["A"]
    computed = kept.refresh([a.id])[a.id]
    version = stamp_of(a)
    assert kept_version_of(a) == version
    kept._store([computed.row(a.id, version + 5)])  # a filler that read a later version
    kept._store([computed.row(a.id, version)])  # then one that read earlier: no error, no change
    assert kept_version_of(a) == version + 5
    stored = _db.session.get(CohortFigures, a.id)
    _db.session.refresh(stored)
    assert (stored.certificates, stored.pre_n, stored.post_n, stored.gain_n) == (2, 4, 4, 4)
    assert (stored.pre_sum, stored.post_sum) == (200.0, 310.0)


def test_the_periodic_refresh_computes_what_is_stale_lowest_ids_first(programme):
    ids = sorted(c.id for c in programme.cohorts.values())
    assert kept.refresh_stale(limit=0) == 0
    assert kept.refresh_stale(limit=2) == 2
    assert [_db.session.get(CohortFigures, i) is not None for i in ids] == [True, True, False, False, False]
    assert kept.refresh_stale() == 3
    assert kept.refresh_stale() == 0
    _db.session.execute(update(Enrollment).where(Enrollment.cohort_id == ids[4]).values(status="withdrawn"))
    assert kept.refresh_stale() == 1
    assert _db.session.get(CohortFigures, ids[4]).enrolled == kept.pack([])


def test_many_cohorts_are_computed_in_chunks_with_the_same_figures(programme, monkeypatch):
    """On SQLite a statement reads at most ``SQLITE_IDS`` cohorts; PostgreSQL takes every id as
    one array parameter."""
    ids = [c.id for c in programme.cohorts.values()]
    reads = 1 if _db.session.get_bind().dialect.name == "postgresql" else 3  # five cohorts, two a statement
    whole = kept.refresh(ids)
    _db.session.execute(delete(CohortFigures))
    monkeypatch.setattr(kept, "SQLITE_IDS", 2)
    with count_queries() as statements:
        chunked = kept.refresh(ids)
    sent = [s.split()[0] for s in statements if not s.startswith(("SAVEPOINT", "RELEASE"))]
    assert sent == ["SELECT"] * reads + ["INSERT"]
    assert chunked == whole and sorted(chunked) == sorted(ids)
    assert [kept_version_of(c) for c in programme.cohorts.values()] == [
        stamp_of(c) for c in programme.cohorts.values()
    ]


def test_a_cohort_deleted_between_the_read_and_the_fill_is_left_out(programme, monkeypatch):
    gone = training(programme.course, programme.d1, programme.master, 1)
    enrol(gone, person("Учасниця зниклої"))
    _db.session.flush()
    refresh = kept.refresh

    def refresh_after_a_deletion(ids):
        _db.session.execute(delete(Enrollment).where(Enrollment.cohort_id == gone.id))
        _db.session.execute(delete(Cohort).where(Cohort.id == gone.id))
        return refresh(ids)

    monkeypatch.setattr(kept, "refresh", refresh_after_a_deletion)
    report = results_report(programme.filters())
    assert (report.participants, report.people_trained) == (7, 5)
    assert kept.refresh([gone.id, gone.id + 1000]) == {}


def test_everyones_groups_are_kept_and_read_back_with_blank_and_trimmed_positions(programme):
    trained = kept.union([kept.pack(programme.people[k].id for k in ("p1", "p2", "p4", "t1", "t2", "pf"))])
    expected = {
        ("social_services_centre", "Психолог"): 2,
        ("social_services_centre", "Соціальний працівник"): 1,
        ("school", "Вчитель"): 2,
        (None, None): 1,
    }
    assert kept_people.by_group(trained) == expected  # computed and stored
    stored = _db.session.scalar(select(PeopleGroups))
    assert stored.version == people_stamp()
    with count_queries() as statements:
        assert kept_people.by_group(trained) == expected  # read back
    assert len(statements) == 1
    groups = kept_people._decode(stored.groups)
    assert groups[(None, None)] == kept.union(
        [kept.pack([programme.people["p4"].id, programme.admin.id, programme.master.id])]
    )
    assert kept_people._decode(kept_people._encode(groups)) == groups
    assert kept_people.by_group(kept.union([])) == {}


def test_people_added_after_the_groups_were_kept_are_counted_from_their_rows(programme, monkeypatch):
    kept_people.refresh()
    version = _db.session.scalar(select(PeopleGroups.version))
    centre = programme.people["p1"].institution
    newcomers = [
        person("Нова Юристка", centre, " Юрист"),
        person("Новий Юрист", centre, "Юрист "),
        person("Нова Без посади"),
        person("Нова Психологиня", centre, "Психолог"),
    ]
    _db.session.flush()
    assert _db.session.scalar(select(PeopleGroups.version)) == version  # no bump for someone new
    monkeypatch.setattr(kept_people, "SQLITE_IDS", 2)  # the four newcomers in two statements
    people = kept.union([kept.pack([*(n.id for n in newcomers), programme.people["p1"].id])])
    assert kept_people.by_group(people) == {
        ("social_services_centre", "Юрист"): 2,
        ("social_services_centre", "Психолог"): 2,  # p1 from the kept groups, one newcomer
        (None, None): 1,
    }


def test_a_change_of_position_rebuilds_the_kept_groups(programme):
    kept_people.refresh()
    version = _db.session.scalar(select(PeopleGroups.version))
    programme.people["p2"].position = "Директор"
    _db.session.flush()
    assert people_stamp() > version
    kept_people.refresh()
    assert _db.session.scalar(select(PeopleGroups.version)) == people_stamp()
    report = results_report(programme.filters())
    assert report.by_position == [
        ("Вчитель", 1),
        ("Директор", 1),
        ("Психолог", 1),
        ("Соціальний працівник", 1),
        (None, 1),
    ]


def test_regions_and_districts_are_in_the_alphabetical_order_of_the_pages_language(programme):
    _db.session.add(District(region=programme.home, name="Антонівський район", name_en="Antonivskyi Raion"))
    _db.session.flush()
    whole = programme.filters(region_ids=None)

    def names(report) -> list[tuple]:
        return [(r.display_name, [d.display_name for d in r.districts]) for r in report.regions]

    assert names(results_report(whole)) == [
        ("Інша область", ["Далекий район"]),
        ("Рідна область", ["Антонівський район", "Другий район", "Перший район", "Третій район"]),
    ]
    with force_locale("en"):
        assert names(results_report(whole)) == [
            ("Home Oblast", ["Antonivskyi Raion", "First Raion", "Second Raion", "Third Raion"]),
            ("Other Oblast", ["Far Raion"]),
        ]


def test_equal_groups_are_in_the_alphabetical_order_of_ukrainian_whatever_the_pages_language(programme):
    b = programme.cohorts["B"]
    certificate(enrol(b, person("Nurse Latin", None, "Nurse")), b)
    _db.session.flush()
    ukrainian = [("Психолог", 2), ("Вчитель", 1), ("Соціальний працівник", 1), ("Nurse", 1), (None, 1)]
    assert results_report(programme.filters()).by_position == ukrainian  # Cyrillic before Latin
    with force_locale("en"):
        assert results_report(programme.filters()).by_position == ukrainian


def test_generations_are_listed_from_the_master_trainers_down_whatever_came_first(programme):
    t1 = programme.people["t1"]
    led = training(programme.course, programme.do, t1, 1)
    certificate(enrol(led, person("Учасниця Далека")), led)
    event(programme.master, programme.do, 1, 6)
    _db.session.flush()
    # t1's training (generation 1) is the only one in scope; the master's event comes after it.
    report = results_report(
        programme.filters(start=TODAY - timedelta(days=1), region_ids=(programme.other.id,))
    )
    assert _generations(report) == [(0, 0, 0, 1, 6, 0), (1, 1, 1, 0, 0, 0)]


def test_a_cohort_without_people_is_kept_at_version_zero_with_nothing_in_it(programme):
    empty = training(programme.course, programme.d3, programme.master, 1)
    _db.session.flush()
    assert stamp_of(empty) == 0  # no stamp row: nothing written that its figures are made of
    assert kept.refresh([empty.id])[empty.id] == kept.Figures(kept.pack([]), kept.pack([]), kept.pack([]))
    assert kept_version_of(empty) == 0
    assert kept.refresh_stale() == 5  # the programme's; not the empty one again
    kept_people.refresh()
    with count_queries() as statements:
        report = results_report(programme.filters(start=TODAY - timedelta(days=1)))
    assert not any(s.startswith("INSERT") for s in statements)
    assert (report.cohorts, report.participants, report.mean_pre) == (1, 0, None)


def test_a_cohort_with_pre_tests_only_has_no_post_sum_and_no_gain(programme):
    q = training(programme.course, programme.d3, programme.master, 1)
    enrol(q, person("Лише перед"), 40)
    enrol(q, person("Без тестів"))
    _db.session.flush()
    figures = kept.refresh([q.id])[q.id]
    assert (figures.pre_sum, figures.pre_n) == (40.0, 1)
    assert (figures.post_sum, figures.post_n, figures.gain_sum, figures.gain_n) == (0.0, 0, 0.0, 0)


def test_ids_of_cohorts_that_do_not_exist_are_skipped_not_the_rest(programme):
    a = programme.cohorts["A"]
    computed = kept.refresh([0, a.id, a.id + 1000])
    assert list(computed) == [a.id] and computed[a.id].certificates == 2


def test_the_periodic_refresh_finds_a_stale_cohort_whose_version_another_cohorts_row_has(programme):
    first = training(programme.course, programme.d3, programme.master, 1)
    second = training(programme.course, programme.d3, programme.master, 1)
    enrol(first, person("Перша"))
    enrol(second, person("Друга"))
    _db.session.flush()
    assert stamp_of(first) == stamp_of(second) == 1
    kept.refresh([first.id] + [c.id for c in programme.cohorts.values()])
    assert kept.refresh_stale() == 1 and kept_version_of(second) == 1


def test_with_nobody_at_all_the_kept_groups_are_empty_at_version_zero(db):
    assert kept_people.by_group(kept.union([])) == {}
    stored = _db.session.scalar(select(PeopleGroups))
    assert (stored.version, kept_people._decode(stored.groups)) == (0, {})
    only = person("Єдина", None, "Юрист")
    _db.session.flush()
    _db.session.execute(delete(PeopleGroups))
    assert kept_people.by_group(kept.union([kept.pack([only.id])])) == {(None, "Юрист"): 1}
    assert _db.session.scalar(select(PeopleGroups.version)) == 0
