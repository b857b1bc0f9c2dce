"""Question bank: validation, parallel forms, and versions once a question has answers."""

import pytest

from lms.assessments import bank, delivery
from lms.core.errors import PermissionDenied, ValidationError
from tests import factories
from tests.assessment_factories import question, running_cohort


def test_single_choice_needs_exactly_one_correct_option(db, admin):
    course = factories.CourseFactory()
    with pytest.raises(ValidationError) as error:
        bank.create_question(
            course,
            {
                "kind": "single",
                "text": "Питання",
                "choices": [{"text": "а", "correct": True}, {"text": "б", "correct": True}],
            },
            by=admin,
        )
    assert "choices" in error.value.fields


def test_true_false_gets_its_two_options(db, admin):
    course = factories.CourseFactory()
    q = question(course, kind="true_false", correct=())
    assert [c.text for c in q.current.choices] == ["Правда", "Неправда"]
    assert [c.correct for c in q.current.choices] == [False, True]


def test_unknown_kind_and_empty_text_are_named(db, admin):
    course = factories.CourseFactory()
    with pytest.raises(ValidationError) as error:
        bank.create_question(course, {"kind": "essay", "text": " ", "form": "C"}, by=admin)
    assert {"kind", "text", "form"} <= set(error.value.fields)


def test_participant_cannot_write_questions(db):
    course = factories.CourseFactory()
    person = factories.UserFactory()
    with pytest.raises(PermissionDenied):
        bank.create_question(course, {"kind": "single", "text": "x"}, by=person)


def test_trainer_not_accredited_for_the_course_cannot_write_its_questions(db):
    course = factories.CourseFactory()
    trainer = factories.UserFactory(roles=["trainer"])
    with pytest.raises(PermissionDenied):
        question(course, by=trainer)
    factories.AccreditationFactory(user=trainer, course=course)
    assert question(course, by=trainer).id


def test_editing_an_unanswered_question_changes_it_in_place(db, admin):
    course = factories.CourseFactory()
    q = question(course)
    bank.update_question(q, {"text": "Нове формулювання"}, by=admin)
    assert q.version == 1
    assert q.current.text == "Нове формулювання"


def test_editing_an_answered_question_adds_a_version_and_old_answers_keep_theirs(db, admin):
    cohort, (enrollment, *_rest) = running_cohort(participants=1)
    q = question(cohort.course, correct=(0,))
    first_version = q.current
    test = delivery.open_test(cohort, "pre", by=admin)
    attempt = delivery.start_attempt(test, enrollment)
    delivery.save_answer(attempt, q.id, [first_version.choices[0].id])

    bank.update_question(
        q,
        {"choices": [{"text": f"Новий {i}", "correct": i == 1} for i in range(3)]},
        by=admin,
    )
    assert q.version == 2
    assert len(q.versions) == 2
    assert delivery.submit(attempt) == "submitted"
    assert attempt.score_percent == 100.0  # scored against the version she answered


def test_parallel_forms_give_pre_form_a_and_post_form_b(db, admin):
    cohort, (enrollment, *_rest) = running_cohort(participants=1)
    only_a = question(cohort.course, form="A", text="Лише А")
    only_b = question(cohort.course, form="B", text="Лише Б")
    both = question(cohort.course, form="both", text="Обидві")
    pre = delivery.start_attempt(delivery.open_test(cohort, "pre", by=admin), enrollment)
    post = delivery.start_attempt(delivery.open_test(cohort, "post", by=admin), enrollment)
    assert set(pre.item_ids) == {only_a.id, both.id}
    assert set(post.item_ids) == {only_b.id, both.id}
