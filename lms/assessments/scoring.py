"""Scoring: credit per question and an attempt's percent. Pure functions, no database.

Partial credit for multiple choice (stated to trainers on the question bank page):
credit = max(0, (correct chosen − wrong chosen) / correct total). Choosing every option gives
(correct − wrong)/correct, so guessing all does not pay; a single-choice or true/false question
gives 1 for the correct choice alone and 0 otherwise.
"""

from collections.abc import Iterable


def question_credit(kind: str, correct_ids: set[int], chosen_ids: Iterable[int]) -> float:
    """Credit between 0 and 1 for ``chosen_ids`` on a question whose correct choices are
    ``correct_ids``."""
    chosen = set(chosen_ids)
    if not correct_ids:
        return 0.0
    if kind in ("single", "true_false"):
        return 1.0 if len(chosen) == 1 and chosen <= correct_ids else 0.0
    right = len(chosen & correct_ids)
    wrong = len(chosen - correct_ids)
    return max(0.0, (right - wrong) / len(correct_ids))


def percent(credits: Iterable[float], item_count: int) -> float:
    """Sum of credits over the number of items on the form (unanswered count 0), in percent,
    rounded to one decimal."""
    if item_count <= 0:
        return 0.0
    return round(100.0 * sum(credits) / item_count, 1)
