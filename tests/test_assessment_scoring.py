"""Scoring rules for every kind of question, with the stated partial-credit rule."""

import pytest

from lms.assessments.scoring import percent, question_credit


def test_single_choice_scores_the_correct_option_only():
    assert question_credit("single", {1}, [1]) == 1.0
    assert question_credit("single", {1}, [2]) == 0.0
    assert question_credit("single", {1}, []) == 0.0


def test_single_choice_with_two_options_chosen_scores_nothing():
    assert question_credit("single", {1}, [1, 2]) == 0.0


def test_true_false_is_scored_like_single_choice():
    assert question_credit("true_false", {7}, [7]) == 1.0
    assert question_credit("true_false", {7}, [8]) == 0.0


@pytest.mark.parametrize(
    ("chosen", "credit"),
    [
        ([1, 2], 1.0),  # both correct
        ([1], 0.5),  # one of two correct
        ([1, 3], 0.0),  # one correct, one wrong: (1 − 1) / 2
        ([1, 2, 3], 0.5),  # (2 − 1) / 2
        ([1, 2, 3, 4], 0.0),  # everything: guessing all does not pay
        ([3, 4], 0.0),  # never below zero
        ([], 0.0),
    ],
)
def test_multiple_choice_partial_credit_is_correct_minus_wrong_over_correct(chosen, credit):
    assert question_credit("multiple", {1, 2}, chosen) == credit


def test_percent_counts_unanswered_items_as_zero():
    assert percent([1.0, 0.5], 4) == 37.5
    assert percent([], 0) == 0.0
    assert percent([1, 1, 1], 3) == 100.0
