"""Results and item analysis against values computed by hand, and paper entry validation.

Fixture: four single-choice items on both forms, five participants.
Pre (1 = correct): P1 1111 (100), P2 1110 (75), P3 1100 (50), P4 1000 (25), P5 0000 (0).
Post: P1 1111 (100), P2 1111 (100), P3 1110 (75), P4 1100 (50); P5 has no post-test.
By hand: mean pre 50, mean post 81.25; gains 0, 25, 25, 25 (mean 18.75); normalized gains
P2 25/25 = 1, P3 25/50 = 0.5, P4 25/75 = 0.333 (P1 undefined: pre 100), mean 0.611; class
level over the paired (62.5 → 81.25): 18.75 / 37.5 = 0.5; pass mark 70: 3 of 4 pass = 75 %.
Pre item 1: difficulty 0.8; rest scores 3, 2, 1, 0, 0; point-biserial 1.2 / √(0.8 · 6.8) =
0.514; 27 % of 5 is one person: upper P1 (1) − lower P5 (0) = 1.
"""

import pytest

from lms.assessments import analytics, paper
from lms.core.errors import Conflict, ValidationError
from tests import factories
from tests.assessment_factories import question, running_cohort

PRE = ["1111", "1110", "1100", "1000", "0000"]
POST = ["1111", "1111", "1110", "1100", None]


def _answers(questions, pattern):
    return {
        q.id: [next(c.id for c in q.current.choices if c.correct == (bit == "1"))]
        for q, bit in zip(questions, pattern, strict=True)
    }


@pytest.fixture
def scored(db, admin):
    cohort, people = running_cohort(participants=5)
    questions = [question(cohort.course, text=f"Питання {i + 1}", correct=(0,)) for i in range(4)]
    for enrollment, pre, post in zip(people, PRE, POST, strict=True):
        paper.enter_responses(enrollment, "pre", "A", _answers(questions, pre), by=admin)
        if post:
            paper.enter_responses(enrollment, "post", "B", _answers(questions, post), by=admin)
    return cohort, people, questions


def test_cohort_results_match_hand_computed_values(scored):
    cohort, people, _questions = scored
    figures = analytics.results_for([cohort])
    by_id = {p.enrollment.id: p for p in figures.participants}
    assert [by_id[e.id].pre for e in people] == [100, 75, 50, 25, 0]
    assert [by_id[e.id].gain for e in people] == [0, 25, 25, 25, None]
    assert [by_id[e.id].normalized_gain for e in people] == [None, 1.0, 0.5, 0.333, None]
    assert figures.mean_pre == 50.0
    assert figures.mean_post == 81.25
    assert figures.mean_gain == 18.75
    assert figures.mean_normalized_gain == 0.611
    assert figures.class_normalized_gain == 0.5
    assert figures.pass_rate == 75.0
    assert [p.enrollment.id for p in figures.unpaired] == [people[4].id]


def test_item_analysis_matches_hand_computed_values(scored):
    cohort, _people, questions = scored
    items = {(i.phase, i.question_id): i for i in analytics.item_analysis([cohort])}
    first = items[("pre", questions[0].id)]
    assert first.difficulty == 0.8
    assert first.point_biserial == 0.514
    assert first.upper_lower == 1.0
    assert [items[("pre", q.id)].difficulty for q in questions] == [0.8, 0.6, 0.4, 0.2]
    assert "too_hard" in items[("pre", questions[3].id)].flags
    assert items[("post", questions[0].id)].difficulty == 1.0
    assert "too_easy" in items[("post", questions[0].id)].flags
    correct_choice = questions[0].current.choices[0].id
    assert first.choice_counts[correct_choice] == 4


def test_an_item_answered_worse_after_the_training_is_flagged(db, admin):
    cohort, people = running_cohort(participants=4)
    item = question(cohort.course, correct=(0,))
    for enrollment in people:
        paper.enter_responses(enrollment, "pre", "A", _answers([item], "1"), by=admin)
        paper.enter_responses(enrollment, "post", "B", _answers([item], "0"), by=admin)
    flags = {i.phase: i.flags for i in analytics.item_analysis([cohort])}
    assert "got_worse" in flags["post"]


def test_scores_outside_0_to_100_save_nothing(db, admin):
    cohort, (enrollment,) = running_cohort(participants=1)
    with pytest.raises(ValidationError) as error:
        paper.enter_scores(enrollment, {"pre": 55, "post": 101}, by=admin)
    assert "post" in error.value.fields
    assert analytics.results_for([cohort]).participants[0].pre is None
    paper.enter_scores(enrollment, {"pre": 55, "post": 100}, by=admin)
    result = analytics.results_for([cohort]).participants[0]
    assert (result.pre, result.post) == (55.0, 100.0)


def test_an_unknown_choice_saves_nothing(db, admin):
    cohort, (enrollment,) = running_cohort(participants=1)
    first, second = question(cohort.course), question(cohort.course)
    answers = _answers([first], "1") | {second.id: [first.current.choices[1].id]}
    with pytest.raises(ValidationError) as error:
        paper.enter_responses(enrollment, "pre", "A", answers, by=admin)
    assert str(second.id) in error.value.fields
    assert analytics.results_for([cohort]).participants[0].pre is None


def test_grid_with_a_person_from_another_cohort_saves_nothing(db, admin):
    cohort, (enrollment,) = running_cohort(participants=1)
    question(cohort.course, correct=(1,))
    stranger = factories.EnrollmentFactory()
    with pytest.raises(ValidationError):
        paper.enter_grid(cohort, "pre", "A", {enrollment.id: ["Б"], stranger.id: ["1"]}, by=admin)
    assert analytics.results_for([cohort]).participants[0].pre is None
    paper.enter_grid(cohort, "pre", "A", {enrollment.id: ["Б"]}, by=admin)
    assert analytics.results_for([cohort]).participants[0].pre == 100.0


def test_grid_refuses_an_unknown_key(db, admin):
    cohort, (enrollment,) = running_cohort(participants=1)
    question(cohort.course)
    with pytest.raises(ValidationError):
        paper.enter_grid(cohort, "pre", "A", {enrollment.id: ["Д"]}, by=admin)


def test_paper_cannot_overwrite_an_online_attempt(db, admin):
    from lms.assessments import delivery

    cohort, (enrollment,) = running_cohort(participants=1)
    item = question(cohort.course)
    delivery.start_attempt(delivery.open_test(cohort, "pre", by=admin), enrollment)
    with pytest.raises(Conflict):
        paper.enter_responses(enrollment, "pre", "A", _answers([item], "1"), by=admin)
