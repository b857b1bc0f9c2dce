"""The cascade's figures over the small tree of tests/cascade_fixtures.py, each checked against
values worked out on paper there (issue #12: the mutation run showed most of
``lms.cascade.metrics`` untested)."""

from datetime import timedelta

import pytest

from lms.cascade import metrics
from lms.cascade.models import StepDownEvent, TrainerLineage
from lms.extensions import db as _db
from tests.cascade_fixtures import HORIZON, TODAY, N, Tree, build_tree, day


@pytest.fixture
def tree(db, app, monkeypatch) -> Tree:
    monkeypatch.setitem(app.config, "CASCADE_ACTIVATION_DAYS", N)
    return build_tree()


def _rows(figures: metrics.Figures | list) -> dict:
    rows = figures.by_generation if isinstance(figures, metrics.Figures) else figures
    return {
        r.generation: (r.trainers, r.people, r.headcount, r.cohorts, r.normalized_gain, r.gain_participants)
        for r in rows
    }


def test_a_subtree_is_the_trainer_and_everyone_below_her(tree):
    def below(letter):
        return set(_db.session.scalars(metrics.subtree(tree.t[letter].id)))

    assert below("A") == tree.ids("A", "G", "J")
    assert below("M") == tree.ids("M", "A", "B", "S", "E", "G", "J", "L")
    assert below("G") == tree.ids("G")
    assert below("M2") == tree.ids("M2")


def test_a_scopes_regions_are_its_region_and_its_list_together():
    assert metrics.Scope().regions() is None
    assert metrics.Scope(region_id=7).regions() == (7,)
    assert metrics.Scope(region_ids=(8,)).regions() == (8,)
    assert sorted(metrics.Scope(region_id=7, region_ids=(8, 9)).regions()) == [7, 8, 9]
    assert metrics.Scope(region_ids=()).regions() == ()


def test_the_trainers_in_scope_are_a_subtree_or_a_regions_or_everyone(tree):
    def trainers(**scope):
        return set(_db.session.scalars(metrics.Scope(**scope).trainers()))

    everyone = tree.ids("M", "A", "B", "S", "E", "G", "J", "L", "M2")
    assert trainers() == everyone
    assert trainers(trainer_id=tree.t["A"].id) == tree.ids("A", "G", "J")
    assert trainers(region_id=tree.r1.id) == tree.ids("M", "A", "S", "E", "G", "J", "L")
    assert trainers(region_ids=(tree.r2.id,)) == tree.ids("B", "M2")
    assert trainers(region_id=tree.r1.id, region_ids=(tree.r2.id,)) == everyone
    # A subtree wins over a region.
    assert trainers(trainer_id=tree.t["A"].id, region_id=tree.r2.id) == tree.ids("A", "G", "J")


def test_children_are_the_trainers_she_certified(tree):
    assert {row.user_id for row in metrics.children(tree.t["M"].id)} == tree.ids("A", "B", "S", "E")
    assert metrics.children(tree.t["G"].id) == []


def test_reach_counts_a_person_once_across_generations(tree):
    figures = metrics.reach(metrics.Scope())
    # p1 (twice), p2, p4 (twice), p5, p10; not p3 or p6 (revoked), pw (withdrawn), p9 (trained
    # outside the cascade).
    assert figures.reach_named == 5
    assert figures.reach_headcount == 5 + 28 + 4 + 12 + 7 + 3
    assert figures.reach_total == 5 + 59
    # generation: (trainers, people, headcount, cohorts, gain, participants with a gain)
    assert _rows(figures) == {
        0: (2, 2, 5 + 3, 1, 0.417, 2),  # (1/2 + 1/3) / 2; p3's pre-test of 100 has no gain
        1: (4, 4, 28 + 4 + 12, 3, 0.458, 2),  # (2/3 + 1/4) / 2; p5's post-test not submitted
        2: (3, 0, 7, 0, 0.5, 1),  # p8 in G's training, still in progress
    }


def test_reach_of_a_subtree_is_what_her_trainers_delivered(tree):
    figures = metrics.reach(metrics.Scope(trainer_id=tree.t["A"].id))
    assert (figures.reach_named, figures.reach_headcount) == (3, 28 + 7)
    assert _rows(figures) == {1: (1, 3, 28, 2, 0.458, 2), 2: (2, 0, 7, 0, 0.5, 1)}


def test_reach_of_a_region_is_what_was_delivered_there_whoever_delivered_it(tree):
    home = metrics.reach(metrics.Scope(region_id=tree.r1.id))
    # B belongs to R2, but her event of 12 was in D1; her training and M2's event were in R2.
    assert (home.reach_named, home.reach_headcount) == (4, 5 + 28 + 12 + 7)
    assert _rows(home) == {
        0: (1, 2, 5, 1, 0.417, 2),
        1: (3, 3, 40, 2, 0.458, 2),
        2: (3, 0, 7, 0, None, 0),
    }
    other = metrics.reach(metrics.Scope(region_ids=(tree.r2.id,)))
    assert (other.reach_named, other.reach_headcount) == (1, 4 + 3)
    # Generation 2 has no trainer, person or event in R2: only G's training there, with its gain.
    assert _rows(other) == {0: (1, 0, 3, 0, None, 0), 1: (1, 1, 4, 1, None, 0), 2: (0, 0, 0, 0, 0.5, 1)}
    both = metrics.reach(metrics.Scope(region_id=tree.r1.id, region_ids=(tree.r2.id,)))
    assert (both.reach_named, both.reach_headcount) == (5, 59)


def test_reach_in_a_period_includes_both_of_its_days(tree):
    # cm ended T−89 and ca T−150; B's first event was T−101.
    inside = metrics.reach(metrics.Scope(start=day(150), end=day(89)))
    assert (inside.reach_named, inside.reach_headcount) == (4, 4)
    assert {g: row[3] for g, row in _rows(inside).items()} == {0: 1, 1: 1, 2: 0}
    shorter = metrics.reach(metrics.Scope(start=day(149), end=day(90)))
    assert (shorter.reach_named, shorter.reach_headcount) == (0, 4)
    assert metrics.reach(metrics.Scope(start=day(2))).reach_named == 1  # ca2 (p4) ended T−2
    assert metrics.gain_by_generation(metrics.Scope(end=day(89))) == [(0, 0.417, 2), (1, 0.458, 2)]
    assert metrics.gain_by_generation(metrics.Scope(start=day(88))) == [(2, 0.5, 1)]


def test_reach_of_some_courses_counts_only_their_trainings_and_events(tree):
    # Course K: B's training (p10) and her event of 12; G's training has no certificate yet.
    only_k = metrics.reach(metrics.Scope(course_ids=(tree.k.id,)))
    assert (only_k.reach_named, only_k.reach_headcount) == (1, 12)
    # Course C: not B's event without a course.
    only_c = metrics.reach(metrics.Scope(course_ids=(tree.c.id,)))
    assert (only_c.reach_named, only_c.reach_headcount) == (4, 5 + 28 + 7 + 3)
    gains = metrics.gain_by_generation(metrics.Scope(course_ids=(tree.c.id,)))
    assert gains == [(0, 0.417, 2), (1, 0.458, 2)]


def test_reach_by_generation_gives_people_and_headcounts_without_trainers_or_gains(tree):
    rows = metrics.reach_by_generation(metrics.Scope())
    assert [r.generation for r in rows] == [0, 1, 2]
    assert _rows(rows) == {
        0: (0, 2, 8, 1, None, 0),
        1: (0, 4, 44, 3, None, 0),
        2: (0, 0, 7, 0, None, 0),
    }
    assert _rows(metrics.reach_by_generation(metrics.Scope(region_ids=(tree.r2.id,)))) == {
        0: (0, 0, 3, 0, None, 0),
        1: (0, 1, 4, 1, None, 0),
    }
    assert metrics.reach_by_generation(metrics.Scope(start=TODAY + timedelta(days=2))) == []


def test_gain_is_the_mean_normalized_gain_of_participants_with_both_tests_submitted(tree):
    # Not p3 (pre-test 100), pw (no post-test), p5 (post not submitted), p9 (pre not submitted),
    # p7 (training cancelled).
    assert metrics.gain_by_generation(metrics.Scope()) == [(0, 0.417, 2), (1, 0.458, 2), (2, 0.5, 1)]
    assert metrics.gain_by_generation(metrics.Scope(trainer_id=tree.t["G"].id)) == [(2, 0.5, 1)]
    assert metrics.gain_by_generation(metrics.Scope(trainer_id=tree.t["E"].id)) == []


def test_activation_counts_trainers_in_force_accredited_at_least_n_days_ago(tree):
    figures = metrics.activation(metrics.Scope(), TODAY)
    # In force: all but S. Eligible: all but J (accredited T−89) and L (T−10). Active within 90
    # days of being accredited: M (event T−395), A (training T−151), G (training on day 90
    # exactly), M2 (an event on the day she was accredited); not B (her first delivery after
    # accreditation is on day 91; the ones before it do not count) nor E (nothing).
    assert figures == {
        "by_generation": [
            {"generation": 0, "eligible": 2, "active": 2, "rate": 1.0},
            {"generation": 1, "eligible": 3, "active": 1, "rate": 0.333},
            {"generation": 2, "eligible": 1, "active": 1, "rate": 1.0},
        ],
        "master_trainers": 2,
        "trainers_accredited": 8,
        "eligible": 6,
        "active_trainers": 4,
        "activation_rate": 0.667,
        # E delivered nothing; M2 nothing since T−500. Not M (her training started on T−90 = H),
        # B (T−9), A (T−3; not the cancelled one), G, nor J and L (accredited too recently).
        "dormant_ids": sorted(tree.ids("E", "M2")),
        "activation_days": N,
    }


def test_activation_of_a_region_or_a_subtree_counts_only_its_trainers(tree):
    home = metrics.activation(metrics.Scope(region_id=tree.r1.id), TODAY)
    assert (home["master_trainers"], home["trainers_accredited"], home["eligible"]) == (1, 6, 4)
    assert (home["active_trainers"], home["activation_rate"]) == (3, 0.75)
    assert home["dormant_ids"] == [tree.t["E"].id]
    other = metrics.activation(metrics.Scope(region_ids=(tree.r2.id,)), TODAY)
    assert (other["master_trainers"], other["trainers_accredited"], other["eligible"]) == (1, 2, 2)
    assert (other["active_trainers"], other["activation_rate"]) == (1, 0.5)
    assert other["by_generation"] == [
        {"generation": 0, "eligible": 1, "active": 1, "rate": 1.0},
        {"generation": 1, "eligible": 1, "active": 0, "rate": 0.0},
    ]
    below_a = metrics.activation(metrics.Scope(trainer_id=tree.t["A"].id), TODAY)
    assert (below_a["master_trainers"], below_a["trainers_accredited"], below_a["eligible"]) == (0, 3, 2)
    assert below_a["dormant_ids"] == []


def test_activation_up_to_an_end_date_leaves_out_trainers_accredited_after_it(tree):
    figures = metrics.activation(metrics.Scope(end=day(100)), TODAY)
    assert figures["trainers_accredited"] == 5  # M, A, B (on T−100 itself), E, M2
    assert figures["eligible"] == 5


def test_activation_with_no_one_eligible_has_no_rate(tree):
    figures = metrics.activation(metrics.Scope(trainer_id=tree.t["J"].id), TODAY)
    assert figures["trainers_accredited"] == 1 and figures["eligible"] == 0
    assert figures["activation_rate"] is None and figures["by_generation"] == []


def test_the_activation_window_follows_the_configured_number_of_days(tree, app, monkeypatch):
    monkeypatch.setitem(app.config, "CASCADE_ACTIVATION_DAYS", 30)
    figures = metrics.activation(metrics.Scope(), TODAY)
    # Eligible: everyone in force but L (T−10). Active within 30 days: only M and M2.
    assert (figures["activation_days"], figures["eligible"], figures["active_trainers"]) == (30, 7, 2)
    # Dormant: nothing since T−30: E, M2, M (T−90); not A (T−3), B (T−9), G (T), J (T−5).
    assert figures["dormant_ids"] == sorted(tree.ids("E", "M2", "M"))


def test_the_activation_window_is_ninety_days_when_not_configured(db, app, monkeypatch):
    monkeypatch.delitem(app.config, "CASCADE_ACTIVATION_DAYS")
    assert metrics.activation_days() == 90


@pytest.mark.parametrize(("start_days_ago", "dormant"), [(N, False), (N + 1, True)])
def test_a_training_started_n_days_ago_keeps_its_trainer_from_dormancy_and_one_a_day_earlier_does_not(
    tree, start_days_ago, dormant
):
    tree.cohorts["cm"].start_date = day(start_days_ago)
    _db.session.flush()
    master = tree.t["M"]
    assert metrics.trainer_figures(master.id, TODAY)["dormant"] is dormant
    assert (master.id in metrics.activation(metrics.Scope(), TODAY)["dormant_ids"]) is dormant


def test_dormancy_is_decided_by_her_own_deliveries_in_force_and_after_n_days(tree):
    def dormant(letter):
        return metrics.trainer_figures(tree.t[letter].id, TODAY)["dormant"]

    assert dormant("E") is True  # her cancelled training and others' deliveries do not count
    assert dormant("M2") is True  # a scheduled training does not count
    assert dormant("A") is False and dormant("B") is False and dormant("G") is False
    assert dormant("J") is False and dormant("L") is False  # accredited T−89 and T−10
    assert dormant("S") is False  # suspended
    # Accredited exactly N days ago with nothing delivered: dormant.
    _db.session.get(TrainerLineage, tree.t["J"].id).accredited_on = HORIZON
    _db.session.execute(StepDownEvent.__table__.delete().where(StepDownEvent.trainer_id == tree.t["J"].id))
    assert dormant("J") is True


def test_a_trainers_figures_are_her_own_deliveries_and_her_subtrees_reach(tree):
    a = tree.t["A"]
    figures = metrics.trainer_figures(a.id, TODAY)
    assert figures == {
        "user_id": a.id,
        "generation": 1,
        "parent_id": tree.t["M"].id,
        "root_id": tree.t["M"].id,
        "active": True,
        "accredited_course_ids": sorted([tree.c.id, tree.k.id]),  # not the revoked one
        "cohorts_delivered": 2,  # ca and ca2, not the cancelled one
        "trainers_certified": 2,  # G and J
        "direct_reach": 3 + 28,  # p1, p4 (twice), p5 — not p6 (revoked) — and her event
        "total_reach": 3 + 28 + 7,
        "reach_by_generation": [
            {"generation": 1, "relative": 0, "people": 3, "headcount": 28},
            {"generation": 2, "relative": 1, "people": 0, "headcount": 7},
        ],
        "dormant": False,
    }


def test_a_master_trainers_figures_cover_the_whole_tree_below_her(tree):
    m = tree.t["M"]
    figures = metrics.trainer_figures(m.id, TODAY)
    assert (figures["generation"], figures["parent_id"], figures["root_id"]) == (0, None, m.id)
    assert figures["direct_reach"] == 2 + 5  # p1, p2 and her event
    assert figures["total_reach"] == 5 + 5 + 28 + 4 + 12 + 7
    assert figures["trainers_certified"] == 4 and figures["cohorts_delivered"] == 1
    assert figures["accredited_course_ids"] == []
    by_generation = [
        (g["generation"], g["relative"], g["people"], g["headcount"]) for g in figures["reach_by_generation"]
    ]
    assert by_generation == [(0, 0, 2, 5), (1, 1, 4, 44), (2, 2, 0, 7)]


def test_a_trainer_who_delivered_nothing_has_nothing_to_show(tree):
    e = tree.t["E"]
    figures = metrics.trainer_figures(e.id, TODAY)
    assert (figures["direct_reach"], figures["total_reach"], figures["cohorts_delivered"]) == (0, 0, 0)
    assert figures["trainers_certified"] == 0 and figures["dormant"] is True
    assert figures["reach_by_generation"] == [{"generation": 1, "relative": 0, "people": 0, "headcount": 0}]


def test_a_suspended_trainer_is_shown_not_in_force(tree):
    figures = metrics.trainer_figures(tree.t["S"].id, TODAY)
    assert figures["active"] is False and figures["dormant"] is False and figures["generation"] == 1


def test_someone_outside_the_cascade_has_empty_figures(tree):
    person = tree.p["p1"]
    assert metrics.trainer_figures(person.id, TODAY) == {
        "user_id": person.id,
        "generation": None,
        "parent_id": None,
        "root_id": None,
        "active": False,
        "accredited_course_ids": [],
        "cohorts_delivered": 0,
        "trainers_certified": 0,
        "direct_reach": 0,
        "total_reach": 0,
        "reach_by_generation": [],
        "dormant": False,
    }


def test_the_trainers_she_certified_each_show_what_they_delivered_themselves(tree):
    figures = {
        child.lineage.user_id: (child.people, child.headcount, child.cohorts, child.certified)
        for child in metrics.children_figures(tree.t["M"].id)
    }
    # (people, headcount, trainings delivered, trainers certified)
    assert figures == {
        tree.t["A"].id: (3, 28, 2, 2),  # p1, p4 (twice), p5; ca and ca2; G and J
        tree.t["B"].id: (1, 16, 1, 1),  # p10; cb; L
        tree.t["S"].id: (0, 0, 0, 0),
        tree.t["E"].id: (0, 0, 0, 0),  # her cancelled training is not delivered
    }
    below_a = {child.lineage.user_id: child for child in metrics.children_figures(tree.t["A"].id)}
    assert set(below_a) == tree.ids("G", "J")
    assert (below_a[tree.t["G"].id].cohorts, below_a[tree.t["J"].id].headcount) == (1, 7)
    assert below_a[tree.t["G"].id].lineage.user.full_name == "Тренер G"
    assert metrics.children_figures(tree.t["G"].id) == []
