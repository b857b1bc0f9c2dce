"""Properties of the arithmetic behind results, checked by Hypothesis: partial credit, an
attempt's percent, learning gain and normalized gain, and certificate serial numbers (one counter
per prefix and year, no number given twice, no gap)."""

from statistics import mean

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lms.assessments.analytics import Figures, ParticipantResult
from lms.assessments.scoring import percent, question_credit
from lms.certificates import serials


@st.composite
def questions(draw):
    """(kind, option ids, correct ids, chosen ids) of one question."""
    kind = draw(st.sampled_from(("single", "true_false", "multiple")))
    options = list(range(1, draw(st.integers(2, 2 if kind == "true_false" else 6)) + 1))
    if kind == "multiple":
        correct = set(draw(st.lists(st.sampled_from(options), min_size=1, unique=True)))
    else:
        correct = {draw(st.sampled_from(options))}
    chosen = set(draw(st.lists(st.sampled_from(options), unique=True)))
    return kind, set(options), correct, chosen


@given(questions())
def test_credit_is_between_nothing_and_full_and_full_only_for_exactly_the_right_options(question):
    kind, _options, correct, chosen = question
    credit = question_credit(kind, correct, chosen)
    assert 0.0 <= credit <= 1.0
    assert (credit == 1.0) == (chosen == correct)
    assert question_credit(kind, correct, correct) == 1.0


@given(questions())
def test_multiple_choice_credit_is_right_minus_wrong_over_correct_and_never_below_zero(question):
    _kind, _options, correct, chosen = question
    right, wrong = len(chosen & correct), len(chosen - correct)
    assert question_credit("multiple", correct, chosen) == max(0.0, (right - wrong) / len(correct))


@given(questions(), st.data())
def test_one_more_wrong_option_never_raises_the_credit_and_one_more_right_one_never_lowers_it(question, data):
    kind, options, correct, chosen = question
    before = question_credit("multiple", correct, chosen)
    wrong_left = sorted(options - correct - chosen)
    if wrong_left:
        assert (
            question_credit("multiple", correct, chosen | {data.draw(st.sampled_from(wrong_left))}) <= before
        )
    right_left = sorted(correct - chosen)
    if right_left:
        assert (
            question_credit("multiple", correct, chosen | {data.draw(st.sampled_from(right_left))}) >= before
        )


@given(questions())
def test_choosing_every_option_does_not_pay(question):
    kind, options, correct, _chosen = question
    everything = question_credit(kind, correct, options)
    if kind == "multiple":
        assert everything == max(0.0, (2 * len(correct) - len(options)) / len(correct))
    else:
        assert everything == 0.0  # two or more options chosen on a one-answer question


@given(questions())
def test_no_correct_option_gives_no_credit(question):
    kind, _options, _correct, chosen = question
    assert question_credit(kind, set(), chosen) == 0.0


credits = st.lists(st.floats(0.0, 1.0, allow_nan=False), max_size=40)


@given(credits, st.integers(0, 20))
def test_percent_is_the_credits_over_every_item_of_the_form_rounded_to_one_decimal(given_credits, unanswered):
    items = len(given_credits) + unanswered
    result = percent(given_credits, items)
    if items == 0:
        assert result == 0.0
        return
    assert 0.0 <= result <= 100.0
    assert result == round(100.0 * sum(given_credits) / items, 1)
    # An unanswered item counts as nothing: one more on the form never raises the percent.
    assert percent(given_credits, items + 1) <= result


@given(st.integers(-5, 0), credits)
def test_a_form_without_items_scores_nothing(items, given_credits):
    assert percent(given_credits, items) == 0.0


scores = st.floats(0.0, 100.0, allow_nan=False).map(lambda s: round(s, 1))


def participant(pre, post, pass_mark=70):
    return ParticipantResult(enrollment=None, pre=pre, post=post, pass_mark=pass_mark)


@given(scores, scores)
def test_normalized_gain_is_the_share_of_the_possible_gain_achieved(pre, post):
    result = participant(pre, post)
    if pre >= 100:
        assert result.normalized_gain is None  # nothing left to gain
        return
    gain = result.normalized_gain
    assert gain == round((post - pre) / (100 - pre), 3)
    assert gain <= 1.0
    if post > pre:
        assert gain >= 0
    elif post < pre:
        assert gain <= 0
    else:
        assert gain == 0
    if post == 100:
        assert gain == 1.0


@given(st.lists(st.tuples(st.one_of(st.none(), scores), st.one_of(st.none(), scores)), max_size=30))
def test_group_means_count_each_figure_over_the_participants_who_have_it(pairs):
    figures = Figures(participants=[participant(pre, post) for pre, post in pairs])
    pres = [pre for pre, _post in pairs if pre is not None]
    posts = [post for _pre, post in pairs if post is not None]
    both = [(pre, post) for pre, post in pairs if pre is not None and post is not None]
    assert figures.mean_pre == (round(mean(pres), 2) if pres else None)
    assert figures.mean_post == (round(mean(posts), 2) if posts else None)
    assert len(figures.paired) == len(both)
    assert len(figures.unpaired) == sum(1 for pre, post in pairs if (pre is None) != (post is None))
    gains = [round((post - pre) / (100 - pre), 3) for pre, post in both if pre < 100]
    assert figures.mean_normalized_gain == (round(mean(gains), 3) if gains else None)
    if both:
        pre, post = mean(p for p, _ in both), mean(q for _, q in both)
        assert figures.class_normalized_gain == (None if pre >= 100 else round((post - pre) / (100 - pre), 3))
    else:
        assert figures.class_normalized_gain is None


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(st.tuples(st.sampled_from((2025, 2026)), st.integers(1, 7)), min_size=1, max_size=8))
def test_serials_of_a_year_run_from_one_without_gap_or_repeat_whatever_the_batches(db, batches):
    from lms.certificates.models import SerialCounter

    prefix = f"P{abs(hash(tuple(batches))) % 10**6}"  # a counter of this example's own
    taken: dict[int, list[int]] = {}
    for year, count in batches:
        first = serials.take_numbers(prefix, year, count)
        taken.setdefault(year, []).extend(range(first, first + count))
    for numbers in taken.values():  # each year's own counter, from one
        assert numbers == list(range(1, len(numbers) + 1))
    db.session.rollback()  # the counters go back with the transaction: nothing committed, no gap
    assert db.session.query(SerialCounter).filter_by(prefix=prefix).count() == 0


@pytest.mark.parametrize(
    ("prefix", "year", "number", "serial"),
    [
        ("CAS", 2026, 1, "CAS-2026-000001"),
        ("UA", 2027, 123456, "UA-2027-123456"),
        ("X", 2026, 1234567, "X-2026-1234567"),
    ],
)
def test_a_serial_names_its_prefix_year_and_a_six_digit_number(prefix, year, number, serial):
    assert serials.format_serial(prefix, year, number) == serial
