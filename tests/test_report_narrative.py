"""The report in words: Ukrainian counted nouns take the form of the number (1, 2–4, 5–20, 21…)
and of the case the sentence needs; English agrees in number; both come whatever the language."""

from datetime import date

import pytest

from lms.reports.figures import CourseRow, DistrictRow, GenerationRow, RegionCoverage, ResultsReport
from lms.reports.filters import ReportFilters
from lms.reports.narrative import (
    DISTRICT,
    PARTICIPANT,
    PERSON,
    SPECIALIST,
    TRAINER,
    TRAINING,
    count_noun,
    narrative,
)

PERIOD = ReportFilters(start=date(2026, 1, 1), end=date(2026, 3, 31))


def _report(n: int, *, days: int = 2, filters: ReportFilters = PERIOD, **changes) -> ResultsReport:
    """A report where every count is ``n``: one course, ``n`` districts, no tests, no types."""
    course = CourseRow(
        course_id=1,
        code="MDG",
        title="Мультидисциплінарний підхід",
        title_en="Multidisciplinary approach",
        days=days,
        is_tot=False,
        cohorts=n,
        training_days=n * days,
        districts=n,
        enrolled=n,
        trained=n,
    )
    region = RegionCoverage(
        1, "Черкаська область", "Cherkasy Oblast", [DistrictRow(i, f"Р{i}", f"R{i}", 1, 1) for i in range(n)]
    )
    values = {
        "filters": filters,
        "by_course": [course],
        "participants": n,
        "people_trained": n,
        "trainers_trained": n,
        "certificates_issued": n,
        "by_institution_type": [],
        "by_position": [],
        "regions": [region],
        "mean_pre": None,
        "mean_post": None,
        "normalized_gain": None,
        "gain_participants": 0,
        "by_generation": [GenerationRow(1, events=n, headcount=n, materials=n)],
    }
    return ResultsReport(**(values | changes))


UK = {
    1: "У період з 1 січня 2026 р. по 31 березня 2026 р. проведено 1 дводенний тренінг «Мультидисциплінарний підхід»"
    " для 1 учасника з 1 району. Навчено 1 фахівця. Видано 1 сертифікат. Підготовлено 1 тренера."
    " Тренінги проведено у 1 районі. Тренери каскаду провели 1 захід для 1 особи"
    " і поширили 1 примірник інформаційних матеріалів.",
    2: "У період з 1 січня 2026 р. по 31 березня 2026 р. проведено 2 дводенні тренінги «Мультидисциплінарний підхід»"
    " для 2 учасників з 2 районів. Навчено 2 фахівців. Видано 2 сертифікати. Підготовлено 2 тренерів."
    " Тренінги проведено у 2 районах. Тренери каскаду провели 2 заходи для 2 осіб"
    " і поширили 2 примірники інформаційних матеріалів.",
    5: "У період з 1 січня 2026 р. по 31 березня 2026 р. проведено 5 дводенних тренінгів «Мультидисциплінарний підхід»"
    " для 5 учасників з 5 районів. Навчено 5 фахівців. Видано 5 сертифікатів. Підготовлено 5 тренерів."
    " Тренінги проведено у 5 районах. Тренери каскаду провели 5 заходів для 5 осіб"
    " і поширили 5 примірників інформаційних матеріалів.",
    21: "У період з 1 січня 2026 р. по 31 березня 2026 р. проведено 21 дводенний тренінг «Мультидисциплінарний підхід»"
    " для 21 учасника з 21 району. Навчено 21 фахівця. Видано 21 сертифікат. Підготовлено 21 тренера."
    " Тренінги проведено у 21 районі. Тренери каскаду провели 21 захід для 21 особи"
    " і поширили 21 примірник інформаційних матеріалів.",
    112: "У період з 1 січня 2026 р. по 31 березня 2026 р. проведено 112 дводенних тренінгів «Мультидисциплінарний підхід»"
    " для 112 учасників з 112 районів. Навчено 112 фахівців. Видано 112 сертифікатів. Підготовлено 112 тренерів."
    " Тренінги проведено у 112 районах. Тренери каскаду провели 112 заходів для 112 осіб"
    " і поширили 112 примірників інформаційних матеріалів.",
}


def _english(n: int) -> str:
    one = n == 1
    s = "" if one else "s"
    was = "was" if one else "were"
    return (
        f"During the period from 1 January 2026 to 31 March 2026, {n} two-day training{s} “Multidisciplinary approach”"
        f" {was} held for {n} participant{s} from {n} district{s}. {n} specialist{s} {was} trained."
        f" {n} certificate{s} {was} issued. {n} trainer{s} {was} trained. Trainings were held in {n} district{s}."
        f" Cascade trainers held {n} step-down event{s} for {n} {'person' if one else 'people'}"
        f" and distributed {n} {'piece' if one else 'pieces'} of information material."
    )


@pytest.mark.parametrize("n", [1, 2, 5, 21, 112])
def test_the_narrative_in_both_languages_for(n):
    words = narrative(_report(n))
    assert words == {"uk": UK[n], "en": _english(n)}


@pytest.mark.parametrize(
    ("n", "nominative", "genitive", "locative"),
    [
        (1, "1 тренінг", "з 1 району", "у 1 районі"),
        (2, "2 тренінги", "з 2 районів", "у 2 районах"),
        (5, "5 тренінгів", "з 5 районів", "у 5 районах"),
        (11, "11 тренінгів", "з 11 районів", "у 11 районах"),
        (21, "21 тренінг", "з 21 району", "у 21 районі"),
        (22, "22 тренінги", "з 22 районів", "у 22 районах"),
        (25, "25 тренінгів", "з 25 районів", "у 25 районах"),
        (112, "112 тренінгів", "з 112 районів", "у 112 районах"),
    ],
)
def test_count_noun_takes_the_form_of_the_number_and_the_case(n, nominative, genitive, locative):
    assert count_noun(n, TRAINING) == nominative
    assert f"з {count_noun(n, DISTRICT, 'gen')}" == genitive
    assert f"у {count_noun(n, DISTRICT, 'loc')}" == locative


@pytest.mark.parametrize(
    ("n", "subject", "object_", "after_for"),
    [
        (1, "1 фахівець", "1 фахівця", "1 учасника"),
        (2, "2 фахівці", "2 фахівців", "2 учасників"),
        (5, "5 фахівців", "5 фахівців", "5 учасників"),
        (21, "21 фахівець", "21 фахівця", "21 учасника"),
        (22, "22 фахівці", "22 фахівців", "22 учасників"),
        (112, "112 фахівців", "112 фахівців", "112 учасників"),
    ],
)
def test_animate_nouns_differ_as_subject_and_as_object(n, subject, object_, after_for):
    assert count_noun(n, SPECIALIST, "nom") == subject
    assert count_noun(n, SPECIALIST, "acc") == object_
    assert count_noun(n, PARTICIPANT, "gen") == after_for
    assert count_noun(112, TRAINER, "acc") == "112 тренерів"


def test_adjectives_agree_and_thousands_are_grouped():
    assert count_noun(1, TRAINING, "acc", adjective="одноденн") == "1 одноденний тренінг"
    assert count_noun(3, TRAINING, "acc", adjective="дводенн") == "3 дводенні тренінги"
    assert count_noun(7, TRAINING, "acc", adjective="дводенн") == "7 дводенних тренінгів"
    assert count_noun(3425, PERSON, "gen") == "3\u00a0425 осіб"


def test_several_courses_a_one_day_one_and_the_scores():
    one_day = CourseRow(2, "SCH", "Особиста гідність", "Personal dignity", 1, False, 1, 1, 1, 12, 11)
    report = _report(
        7,
        mean_pre=52.3,
        mean_post=84.16,
        normalized_gain=0.667,
        gain_participants=60,
        by_generation=[],
        participants=70,
        people_trained=63,
    )
    report.by_course.append(one_day)
    report.by_course[0].cohorts = 6
    words = narrative(report)
    assert words["uk"].startswith(
        "У період з 1 січня 2026 р. по 31 березня 2026 р. проведено 7 тренінгів для 70 учасників з 7 районів: "
        "6 дводенних тренінгів «Мультидисциплінарний підхід» для 7 учасників з 7 районів; "
        "1 одноденний тренінг «Особиста гідність» для 12 учасників з 1 району. Навчено 63 фахівців."
    )
    assert (
        "Середній результат вхідного тестування — 52,3\u00a0%, підсумкового — 84,2\u00a0%;"
        " нормалізований приріст знань — 0,67." in words["uk"]
    )
    assert words["en"].startswith(
        "During the period from 1 January 2026 to 31 March 2026, 7 trainings were held for 70 participants"
        " from 7 districts: 6 two-day trainings “Multidisciplinary approach” for 7 participants from 7 districts;"
        " 1 one-day training “Personal dignity” for 12 participants from 1 district. 63 specialists were trained."
    )
    assert (
        "The mean pre-test score was 52.3% and the mean post-test score 84.2%; the normalized learning gain was 0.67."
        in words["en"]
    )
    assert "Cascade trainers" not in words["en"] and "Тренери каскаду" not in words["uk"]


def test_districts_without_a_training_are_named_and_the_period_may_be_open():
    region = RegionCoverage(
        1,
        "Черкаська область",
        "Cherkasy Oblast",
        [
            DistrictRow(1, "Уманський район", "Umanskyi", 3, 30),
            DistrictRow(2, "Звенигородський район", "Zvenyhorodskyi", 0, 0),
        ],
    )
    words = narrative(_report(1, filters=ReportFilters(start=date(2026, 1, 1)), regions=[region]))
    assert words["uk"].startswith("Починаючи з 1 січня 2026 р. проведено 1 дводенний тренінг")
    assert "Тренінги проведено у 1 районі; не охоплено 1 район: Звенигородський район." in words["uk"]
    assert words["en"].startswith("Since 1 January 2026, 1 two-day training")
    assert "Trainings were held in 1 district; 1 district had none: Zvenyhorodskyi." in words["en"]
    whole = narrative(_report(2, filters=ReportFilters()))
    assert whole["uk"].startswith("За весь час роботи програми проведено 2 дводенні тренінги")
    assert whole["en"].startswith("Since the programme began, 2 two-day trainings")


def test_an_empty_period_in_both_languages():
    empty = _report(0, by_course=[], regions=[], by_generation=[])
    assert narrative(empty) == {
        "uk": "У період з 1 січня 2026 р. по 31 березня 2026 р. тренінги не проводилися.",
        "en": "No trainings were held in the period.",
    }
    assert (
        narrative(_report(0, filters=ReportFilters(), by_course=[]))["en"]
        == "No trainings have been held yet."
    )


def test_institution_types_are_named_in_each_language(app):
    with app.test_request_context():
        words = narrative(
            _report(5, by_institution_type=[("social_services_centre", 3), ("school", 2), (None, 1)])
        )
    assert "Навчено 5 фахівців, з них: Центр соціальних служб — 3; Школа — 2." in words["uk"]
    assert "5 specialists were trained, of them: Centre of social services — 3; School — 2." in words["en"]
