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

from datetime import date

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


def test_summary_of_the_fixture_lists_every_figure(scored):
    """The module docstring's figures as one dict: 5 participants, 4 paired, P5 unpaired."""
    cohort, _people, _questions = scored
    assert analytics.results_for([cohort]).summary() == {
        "participants": 5,
        "paired": 4,
        "mean_pre": 50.0,
        "mean_post": 81.25,
        "mean_gain": 18.75,
        "mean_normalized_gain": 0.611,
        "class_normalized_gain": 0.5,
        "pass_rate": 75.0,
        "unpaired": 1,
    }


def test_summary_of_no_participants_is_empty():
    assert analytics.Figures().summary() == {
        "participants": 0,
        "paired": 0,
        "mean_pre": None,
        "mean_post": None,
        "mean_gain": None,
        "mean_normalized_gain": None,
        "class_normalized_gain": None,
        "pass_rate": None,
        "unpaired": 0,
    }


SUMMARY_KEYS = (
    "participants",
    "paired",
    "mean_pre",
    "mean_post",
    "mean_gain",
    "mean_normalized_gain",
    "class_normalized_gain",
    "pass_rate",
    "unpaired",
)


def _summary(*values):
    return dict(zip(SUMMARY_KEYS, values, strict=True))


def test_course_results_overall_per_cohort_and_per_lead_trainer(db, admin):
    """Three cohorts of one course (pass mark 70); Бойко leads the first two, Антоненко the third.
    First: A 40 → 70, B 60 → 90; second: C 50 → 60; third: D 20 → 80, E pre 30 only.
    Overall: pre (40 + 60 + 50 + 20 + 30) / 5 = 40; post (70 + 90 + 60 + 80) / 4 = 75; gains
    30, 30, 10, 60 (mean 32.5); normalized 30/60 = 0.5, 30/40 = 0.75, 10/50 = 0.2, 60/80 = 0.75
    (mean 0.55); class: paired pre 42.5, post 75: 32.5 / 57.5 = 0.565; 3 of 4 pass = 75 %.
    Бойко (2 cohorts): pre 50, post 220/3 = 73.33, gain 70/3 = 23.33, normalized 1.45/3 = 0.483,
    class 23.333/50 = 0.467, 2 of 3 pass = 66.7 %. Антоненко: pre 25, post 80, gain 60, 0.75.
    Per cohort, first: pre 50, post 80, gain 30, normalized 0.625, class 30/50 = 0.6, 100 %;
    second: 50, 60, 10, 0.2, 0.2, 0 %. A scored person of a cohort not asked for counts nowhere."""
    course = factories.CourseFactory()
    boyko = factories.UserFactory(roles=["trainer"], full_name="Бойко Андрій")
    antonenko = factories.UserFactory(roles=["trainer"], full_name="Антоненко Ірина")
    first, (a, b) = running_cohort(participants=2, course=course)
    second, (c,) = running_cohort(participants=1, course=course)
    third, (d, e) = running_cohort(participants=2, course=course)
    for cohort, trainer, day in ((first, boyko, 1), (second, boyko, 5), (third, antonenko, 9)):
        cohort.lead_trainer, cohort.start_date = trainer, date(2026, 3, day)
    db.session.flush()
    other, (stranger,) = running_cohort(participants=1, course=course)
    for enrollment, scores in (
        (a, {"pre": 40, "post": 70}),
        (b, {"pre": 60, "post": 90}),
        (c, {"pre": 50, "post": 60}),
        (d, {"pre": 20, "post": 80}),
        (e, {"pre": 30}),
        (stranger, {"pre": 0, "post": 0}),
    ):
        paper.enter_scores(enrollment, scores, by=admin)

    overall, per_cohort, per_trainer = analytics.course_results([first, second, third])

    assert overall.summary() == _summary(5, 4, 40.0, 75.0, 32.5, 0.55, 0.565, 75.0, 1)
    assert [(g.label, g.cohorts) for g in per_cohort] == [
        (f"#{first.id} · 2026-03-01 · Бойко Андрій", 1),
        (f"#{second.id} · 2026-03-05 · Бойко Андрій", 1),
        (f"#{third.id} · 2026-03-09 · Антоненко Ірина", 1),
    ]
    assert [g.figures.summary() for g in per_cohort] == [
        _summary(2, 2, 50.0, 80.0, 30.0, 0.625, 0.6, 100.0, 0),
        _summary(1, 1, 50.0, 60.0, 10.0, 0.2, 0.2, 0.0, 0),
        _summary(2, 1, 25.0, 80.0, 60.0, 0.75, 0.75, 100.0, 1),
    ]
    assert [(g.label, g.cohorts) for g in per_trainer] == [("Антоненко Ірина", 1), ("Бойко Андрій", 2)]
    assert [g.figures.summary() for g in per_trainer] == [
        _summary(2, 1, 25.0, 80.0, 60.0, 0.75, 0.75, 100.0, 1),
        _summary(3, 3, 50.0, 73.33, 23.33, 0.483, 0.467, 66.7, 0),
    ]
    assert analytics.results_for([other]).participants[0].enrollment.id == stranger.id


def _item(phase="pre", difficulty=0.5, point_biserial=0.5, question_id=1):
    return analytics.ItemStats(
        question_id=question_id,
        text="",
        topic="",
        phase=phase,
        answered=10,
        difficulty=difficulty,
        point_biserial=point_biserial,
        upper_lower=None,
        choice_counts={},
        choice_labels={},
        correct_choice_ids=set(),
    )


def _flags(**kwargs):
    item = _item(**kwargs)
    analytics._flag(item)
    return item.flags


def test_difficulty_flags_start_just_past_their_thresholds():
    assert analytics.TOO_EASY == 0.90 and analytics.TOO_HARD == 0.30
    assert _flags(difficulty=0.90) == []
    assert _flags(difficulty=0.901) == ["too_easy"]
    assert _flags(difficulty=0.30) == []
    assert _flags(difficulty=0.299) == ["too_hard"]
    assert _flags(difficulty=None) == []


def test_low_discrimination_starts_just_below_its_threshold():
    assert analytics.LOW_DISCRIMINATION == 0.20
    assert _flags(point_biserial=0.20) == []
    assert _flags(point_biserial=0.199) == ["low_discrimination"]
    assert _flags(point_biserial=-0.5, difficulty=0.1) == ["too_hard", "low_discrimination"]
    assert _flags(point_biserial=None, difficulty=None) == []


def _worse(pre, post, *, pre_id=1):
    stats = [_item("pre", pre, question_id=pre_id), _item("post", post)]
    analytics._flag_worse(stats)
    return [s.flags for s in stats]


def test_got_worse_needs_a_drop_of_more_than_worse_by():
    """0.5 − 0.1 = 0.4 exactly in floating point: a drop of exactly WORSE_BY is not flagged."""
    assert analytics.WORSE_BY == 0.10
    assert _worse(0.5, 0.4) == [[], []]
    assert _worse(0.5, 0.399) == [[], ["got_worse"]]
    assert _worse(0.5, 0.399, pre_id=2) == [[], []]
    assert _worse(None, 0.0) == [[], []]
    assert _worse(0.5, None) == [[], []]
    assert _worse(0.1, 0.9) == [[], []]


def test_pearson_needs_three_values_and_variance_on_both_sides():
    """xs 1, 2, 3 and ys 1, 3, 2: deviations −1, 0, 1 and −1, 1, 0; Σdxdy = 1; sx = sy = √2:
    r = 1 / 2 = 0.5."""
    assert analytics._pearson([1, 2], [1, 2]) is None
    assert analytics._pearson([1, 2, 3], [1, 3, 2]) == pytest.approx(0.5)
    assert analytics._pearson([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert analytics._pearson([2, 2, 2], [1, 3, 2]) is None
    assert analytics._pearson([1, 2, 3], [2, 2, 2]) is None
    with pytest.raises(ValueError):
        analytics._pearson([1, 2, 3], [1, 3, 2, 4])


def test_item_analysis_describes_each_item_and_counts_only_its_cohorts(scored, admin):
    """Another cohort of the same course answers everything wrong: the fixture's items keep
    5 pre and 4 post takers and difficulty 0.8. Upper/lower (one person each): pre P1 (1111)
    − P5 (0000) = 1 on every item; post lower P4 (1100), upper a 1111: 0, 0, 1, 1."""
    cohort, _people, questions = scored
    _other, strangers = running_cohort(participants=2, course=cohort.course)
    for enrollment in strangers:
        paper.enter_responses(enrollment, "pre", "A", _answers(questions, "0000"), by=admin)
    items = {(i.phase, i.question_id): i for i in analytics.item_analysis([cohort])}
    first = items[("pre", questions[0].id)]
    assert (first.text, first.topic, first.answered) == ("Питання 1", "Процедура", 5)
    assert items[("post", questions[0].id)].answered == 4
    assert first.difficulty == 0.8
    assert first.choice_labels == {
        c.id: f"Варіант {n + 1}" for n, c in enumerate(questions[0].current.choices)
    }
    assert first.correct_choice_ids == {questions[0].current.choices[0].id}
    assert [items[("pre", q.id)].upper_lower for q in questions] == [1.0] * 4
    assert [items[("post", q.id)].upper_lower for q in questions] == [0.0, 0.0, 1.0, 1.0]
    assert [i.question_id for i in analytics.item_analysis([cohort])] == [q.id for q in questions] * 2


def test_item_analysis_leaves_out_score_only_attempts(scored, admin):
    """A sixth person with a score of 100 entered without answers: left out, the pre groups stay
    one person each (27 % of 5) and item 1's index 1 − 0 = 1; counted, the groups would be two
    (27 % of 6 = 1.6) and the index mean(P1) − mean(P4, P5) = 1 − 0.5 = 0.5."""
    cohort, _people, questions = scored
    paper.enter_scores(factories.EnrollmentFactory(cohort=cohort), {"pre": 100}, by=admin)
    first = next(i for i in analytics.item_analysis([cohort]) if i.phase == "pre")
    assert (first.question_id, first.answered, first.upper_lower) == (questions[0].id, 5, 1.0)


def test_upper_and_lower_groups_are_27_percent_of_the_takers(db, admin):
    """Ten people, three items, sorted by total: 000, 100, 100 | 110, 110, 011, 101 | 111 ×3.
    27 % of 10 = 2.7 → groups of three. Item 1: upper 1 − lower (0 + 1 + 1) / 3 = 0.333
    (groups of one would give 1, of two 0.5); items 2 and 3: 1 − 0 = 1. Difficulties 8/10,
    6/10, 5/10."""
    cohort, people = running_cohort(participants=10)
    questions = [question(cohort.course, correct=(0,)) for _ in range(3)]
    patterns = ["000", "100", "100", "110", "110", "011", "101", "111", "111", "111"]
    for enrollment, pattern in zip(people, patterns, strict=True):
        paper.enter_responses(enrollment, "pre", "A", _answers(questions, pattern), by=admin)
    items = analytics.item_analysis([cohort])
    assert [(i.upper_lower, i.difficulty) for i in items] == [(0.333, 0.8), (1.0, 0.6), (1.0, 0.5)]


def test_an_item_on_one_form_and_an_unanswered_item(db, admin):
    """Item X is on both forms, item Y on form A only. Pre: P1 on A (X, Y right), P2 and P3 on B
    (P2 X right, P3 X wrong): X 2/3 = 0.667, Y has one taker (index undefined). Post, on A:
    P1 all right (100); P2 X right and Y left out (50: 0 credit, no choice counted). Y has two
    takers, difficulty (1 + 0) / 2 = 0.5, groups of one (27 % of 2): upper P1 1 − lower P2 0 = 1."""
    cohort, (p1, p2, p3) = running_cohort(participants=3)
    x = question(cohort.course, form="both", correct=(0,))
    y = question(cohort.course, form="A", correct=(0,))
    for enrollment, phase, form, answers in (
        (p1, "pre", "A", _answers([x, y], "11")),
        (p2, "pre", "B", _answers([x], "1")),
        (p3, "pre", "B", _answers([x], "0")),
        (p1, "post", "A", _answers([x, y], "11")),
        (p2, "post", "A", _answers([x], "1")),
    ):
        paper.enter_responses(enrollment, phase, form, answers, by=admin)
    items = {(i.phase, i.question_id): i for i in analytics.item_analysis([cohort])}
    figures = {key: (i.answered, i.difficulty, i.upper_lower) for key, i in items.items()}
    assert figures[("pre", x.id)][:2] == (3, 0.667)
    assert figures[("pre", y.id)] == (1, 1.0, None)
    assert figures[("post", x.id)] == (2, 1.0, 0.0)
    assert figures[("post", y.id)] == (2, 0.5, 1.0)
    assert items[("post", y.id)].choice_counts == {y.current.choices[0].id: 1}
    right, wrong = x.current.choices[0].id, x.current.choices[1].id
    assert items[("pre", x.id)].choice_counts == {right: 2, wrong: 1}


def test_the_index_is_undefined_when_no_taker_is_in_the_upper_group(db, admin):
    """X on both forms, Y on form A only. P1 on B: X right (100, the upper group of one);
    P2 on A: X right, Y wrong (50); P3 on A: Y right (50); P4 on A: all wrong (0, the lower
    group). Y's takers P2, P3, P4 reach only the lower group: no index. X: upper P1 1 − lower
    P4 0 = 1."""
    cohort, (p1, p2, p3, p4) = running_cohort(participants=4)
    x = question(cohort.course, form="both", correct=(0,))
    y = question(cohort.course, form="A", correct=(0,))
    for enrollment, form, answers in (
        (p1, "B", _answers([x], "1")),
        (p2, "A", _answers([x, y], "10")),
        (p3, "A", _answers([x, y], "01")),
        (p4, "A", _answers([x, y], "00")),
    ):
        paper.enter_responses(enrollment, "pre", form, answers, by=admin)
    items = {i.question_id: i for i in analytics.item_analysis([cohort])}
    assert (items[y.id].answered, items[y.id].difficulty, items[y.id].upper_lower) == (3, 0.333, None)
    assert items[x.id].upper_lower == 1.0


def test_items_follow_the_bank_order_and_unsubmitted_attempts_count_nowhere(db, scored, admin):
    """The bank order reversed (positions 4, 3, 2, 1) orders the items the same way. P5 starts the
    post-test online and does not submit: the post items keep 4 takers and difficulty 1.0 on item 1."""
    from lms.assessments import delivery

    cohort, people, questions = scored
    for position, item in enumerate(reversed(questions), start=1):
        item.position = position
    db.session.flush()
    test = delivery.open_test(cohort, "post", by=admin)
    assert delivery.start_attempt(test, people[4]).submitted_at is None
    items = analytics.item_analysis([cohort])
    assert [i.question_id for i in items if i.phase == "pre"] == [q.id for q in reversed(questions)]
    first = next(i for i in items if i.phase == "post" and i.question_id == questions[0].id)
    assert (first.answered, first.difficulty) == (4, 1.0)


def test_results_list_enrolled_people_by_surname(db, admin):
    """Enrolled in the order Яковенко, Бондар, Андрієнко: listed Андрієнко, Бондар, Яковенко;
    a withdrawn person with a score is left out."""
    cohort, _people = running_cohort(participants=0)
    names = ["Яковенко Олег", "Бондар Ірина", "Андрієнко Марія"]
    enrollments = [
        factories.EnrollmentFactory(cohort=cohort, user=factories.UserFactory(full_name=name))
        for name in names
    ]
    withdrawn = factories.EnrollmentFactory(cohort=cohort)
    paper.enter_scores(withdrawn, {"pre": 50}, by=admin)
    withdrawn.status = "withdrawn"
    db.session.flush()
    figures = analytics.results_for([cohort])
    assert [p.enrollment.id for p in figures.participants] == [e.id for e in reversed(enrollments)]


def test_results_take_two_queries_with_names_institutions_and_pass_marks(db, scored):
    """Enrollments with their people, institutions, cohorts and courses in one query, scores in
    another: reading them afterwards sends nothing more."""
    from tests.queries import count_queries

    cohort, _people, _questions = scored
    db.session.flush()
    db.session.expire_all()
    db.session.refresh(cohort)
    with count_queries() as statements:
        figures = analytics.results_for([cohort])
        details = [
            (p.enrollment.user.institution, p.enrollment.cohort.course.pass_mark_percent)
            for p in figures.participants
        ]
    assert len([s for s in statements if "SAVEPOINT" not in s]) == 2
    assert len(details) == 5
