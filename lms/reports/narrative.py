"""The report's summary in words, in Ukrainian and in English, in the style of the programme's
own reports ("During the period, 7 two-day trainings … were held for 63 representatives … from
20 districts"; "112 trainers were trained").

Ukrainian counted nouns change their form with the number (Babel's plural rule for ``uk``:
*one* for 1, 21, 101…; *few* for 2–4, 22–24…; *many* for 0, 5–20, 25…, 111–114…) and with the
case the sentence needs: «проведено 5 тренінгів» (accusative), «для 5 учасників» (genitive after
a preposition), «у 5 районах» (locative). ``count_noun`` picks the form for both; each noun below
lists its forms per case as (one, few, many). Both texts are built whatever the request's
language, so exports and the API always carry both."""

from datetime import date

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal
from flask_babel import force_locale

from lms.reports.figures import CourseRow, ResultsReport

UK = Locale("uk")
_FORM_INDEX = {"one": 0, "few": 1, "many": 2, "other": 2}
NBSP = "\u00a0"

# Inanimate nouns have the nominative's forms in the accusative; animate ones the genitive's.
TRAINING = {
    "nom": ("тренінг", "тренінги", "тренінгів"),
    "acc": ("тренінг", "тренінги", "тренінгів"),
    "gen": ("тренінгу", "тренінгів", "тренінгів"),
}
PARTICIPANT = {
    "nom": ("учасник", "учасники", "учасників"),
    "acc": ("учасника", "учасників", "учасників"),
    "gen": ("учасника", "учасників", "учасників"),
}
DISTRICT = {
    "nom": ("район", "райони", "районів"),
    "acc": ("район", "райони", "районів"),
    "gen": ("району", "районів", "районів"),
    "loc": ("районі", "районах", "районах"),
}
SPECIALIST = {
    "nom": ("фахівець", "фахівці", "фахівців"),
    "acc": ("фахівця", "фахівців", "фахівців"),
    "gen": ("фахівця", "фахівців", "фахівців"),
}
TRAINER = {
    "nom": ("тренер", "тренери", "тренерів"),
    "acc": ("тренера", "тренерів", "тренерів"),
    "gen": ("тренера", "тренерів", "тренерів"),
}
CERTIFICATE = {
    "nom": ("сертифікат", "сертифікати", "сертифікатів"),
    "acc": ("сертифікат", "сертифікати", "сертифікатів"),
}
EVENT = {
    "nom": ("захід", "заходи", "заходів"),
    "acc": ("захід", "заходи", "заходів"),
}
PERSON = {
    "nom": ("особа", "особи", "осіб"),
    "gen": ("особи", "осіб", "осіб"),
}
COPY = {
    "nom": ("примірник", "примірники", "примірників"),
    "acc": ("примірник", "примірники", "примірників"),
}
# The adjective agrees like its noun: «1 дводенний тренінг», «2 дводенні тренінги»,
# «5 дводенних тренінгів» (nominative and accusative of inanimate nouns).
ADJECTIVE_ENDINGS = {"nom": ("ий", "і", "их"), "acc": ("ий", "і", "их"), "gen": ("ого", "их", "их")}
UK_DAY_STEMS = {
    1: "одноденн",
    2: "дводенн",
    3: "триденн",
    4: "чотириденн",
    5: "п’ятиденн",
    6: "шестиденн",
    7: "семиденн",
    8: "восьмиденн",
    9: "дев’ятиденн",
    10: "десятиденн",
}
EN_DAYS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine"}


def plural_index(n: int) -> int:
    """0, 1 or 2: which of a Ukrainian noun's (one, few, many) forms goes with ``n``."""
    return _FORM_INDEX[UK.plural_form(abs(n))]


def number(n, language: str) -> str:
    """``n`` written for ``language``: «3 425» and «52,3» in Ukrainian, "3,425" and "52.3" in English."""
    return format_decimal(n, "#,##0.###", locale=language)


def count_noun(
    n: int, forms_by_case: dict[str, tuple[str, str, str]], case: str = "nom", adjective=None
) -> str:
    """«5 тренінгів», «для 21 учасника» (``case="gen"``), «у 2 районах» (``case="loc"``); with an
    adjective stem («дводенн») it agrees too: «2 дводенні тренінги»."""
    index = plural_index(n)
    noun = forms_by_case[case][index]
    if adjective:
        noun = f"{adjective}{ADJECTIVE_ENDINGS[case][index]} {noun}"
    return f"{number(n, 'uk')} {noun}"


def uk_days_stem(days: int) -> str:
    return UK_DAY_STEMS.get(days, f"{days}-денн")


def en_count(n: int, singular: str, plural: str | None = None) -> str:
    return f"{number(n, 'en')} {singular if n == 1 else (plural or singular + 's')}"


def en_days(days: int) -> str:
    return f"{EN_DAYS.get(days, str(days))}-day"


def _uk_date(day: date) -> str:
    return format_date(day, "d MMMM y 'р.'", locale="uk")


def _en_date(day: date) -> str:
    return format_date(day, "d MMMM y", locale="en")


def _uk_period(start: date | None, end: date | None) -> str:
    if start and end:
        return f"У період з {_uk_date(start)} по {_uk_date(end)}"
    if start:
        return f"Починаючи з {_uk_date(start)}"
    if end:
        return f"До {_uk_date(end)} включно"
    return "За весь час роботи програми"


def _en_period(start: date | None, end: date | None) -> str:
    if start and end:
        return f"During the period from {_en_date(start)} to {_en_date(end)}"
    if start:
        return f"Since {_en_date(start)}"
    if end:
        return f"Up to {_en_date(end)}"
    return "Since the programme began"


def _percent(value: float, language: str) -> str:
    return (
        f"{number(round(value, 1), language)}{NBSP}%"
        if language == "uk"
        else f"{number(round(value, 1), 'en')}%"
    )


def _institution_labels(language: str, types) -> dict:
    from lms.org.forms import INSTITUTION_TYPE_LABELS

    with force_locale(language):
        return {t: str(INSTITUTION_TYPE_LABELS.get(t, t)) for t in types}


def _uk_course(row: CourseRow) -> str:
    trainings = count_noun(row.cohorts, TRAINING, "acc", adjective=uk_days_stem(row.days))
    return (
        f"{trainings} «{row.title}» для {count_noun(row.enrolled, PARTICIPANT, 'gen')}"
        f" з {count_noun(row.districts, DISTRICT, 'gen')}"
    )


def _en_trainings(row: CourseRow) -> str:
    noun = "training" if row.cohorts == 1 else "trainings"
    return f"{number(row.cohorts, 'en')} {en_days(row.days)} {noun} “{row.title_en or row.title}”"


def _en_audience(row: CourseRow) -> str:
    return f"for {en_count(row.enrolled, 'participant')} from {en_count(row.districts, 'district')}"


def _en_course(row: CourseRow) -> str:
    return f"{_en_trainings(row)} {_en_audience(row)}"


def _uncovered(report: ResultsReport, language: str) -> list[str]:
    return [
        (district.name if language == "uk" else district.name_en or district.name)
        for region in report.regions
        for district in region.uncovered
    ]


MAX_NAMED_DISTRICTS = 10


def ukrainian(report: ResultsReport) -> str:
    period = _uk_period(report.filters.start, report.filters.end)
    if report.is_empty:
        return f"{period} тренінги не проводилися."
    sentences = []
    courses = report.by_course
    if len(courses) == 1:
        sentences.append(f"{period} проведено {_uk_course(courses[0])}.")
    else:
        total = (
            f"{count_noun(report.cohorts, TRAINING, 'acc')} для {count_noun(report.participants, PARTICIPANT, 'gen')}"
            f" з {count_noun(report.districts_covered, DISTRICT, 'gen')}"
        )
        sentences.append(
            f"{period} проведено {total}: " + "; ".join(_uk_course(row) for row in courses) + "."
        )
    trained = f"Навчено {count_noun(report.people_trained, SPECIALIST, 'acc')}"
    types = [(t, n) for t, n in report.by_institution_type if t]
    if types:
        labels = _institution_labels("uk", [t for t, _ in types])
        trained += ", з них: " + "; ".join(f"{labels[t]} — {number(n, 'uk')}" for t, n in types)
    sentences.append(f"{trained}. Видано {count_noun(report.certificates_issued, CERTIFICATE, 'acc')}.")
    if report.trainers_trained:
        sentences.append(f"Підготовлено {count_noun(report.trainers_trained, TRAINER, 'acc')}.")
    scores = []
    if report.mean_pre is not None:
        scores.append(f"вхідного тестування — {_percent(report.mean_pre, 'uk')}")
    if report.mean_post is not None:
        scores.append(f"підсумкового — {_percent(report.mean_post, 'uk')}")
    if scores:
        sentence = "Середній результат " + ", ".join(scores)
        if report.normalized_gain is not None:
            sentence += f"; нормалізований приріст знань — {number(round(report.normalized_gain, 2), 'uk')}"
        sentences.append(sentence + ".")
    districts = f"Тренінги проведено у {count_noun(report.districts_covered, DISTRICT, 'loc')}"
    uncovered = _uncovered(report, "uk")
    if uncovered:
        districts += f"; не охоплено {count_noun(len(uncovered), DISTRICT, 'acc')}"
        if len(uncovered) <= MAX_NAMED_DISTRICTS:
            districts += ": " + ", ".join(uncovered)
    sentences.append(districts + ".")
    if report.step_down_events:
        cascade = (
            f"Тренери каскаду провели {count_noun(report.step_down_events, EVENT, 'acc')}"
            f" для {count_noun(report.step_down_headcount, PERSON, 'gen')}"
        )
        if report.materials_distributed:
            cascade += f" і поширили {count_noun(report.materials_distributed, COPY, 'acc')} інформаційних матеріалів"
        sentences.append(cascade + ".")
    return " ".join(sentences)


def english(report: ResultsReport) -> str:
    start, end = report.filters.start, report.filters.end
    if report.is_empty:
        return "No trainings were held in the period." if start or end else "No trainings have been held yet."
    period = _en_period(start, end)
    sentences = []
    courses = report.by_course
    if len(courses) == 1:
        row = courses[0]
        verb = "was" if row.cohorts == 1 else "were"
        sentences.append(f"{period}, {_en_trainings(row)} {verb} held {_en_audience(row)}.")
    else:
        sentences.append(
            f"{period}, {en_count(report.cohorts, 'training')} {'was' if report.cohorts == 1 else 'were'} held"
            f" for {en_count(report.participants, 'participant')}"
            f" from {en_count(report.districts_covered, 'district')}: "
            + "; ".join(_en_course(row) for row in courses)
            + "."
        )
    people = report.people_trained
    trained = f"{en_count(people, 'specialist')} {'was' if people == 1 else 'were'} trained"
    types = [(t, n) for t, n in report.by_institution_type if t]
    if types:
        labels = _institution_labels("en", [t for t, _ in types])
        trained += ", of them: " + "; ".join(f"{labels[t]} — {number(n, 'en')}" for t, n in types)
    certificates = report.certificates_issued
    sentences.append(
        f"{trained}. {en_count(certificates, 'certificate')} {'was' if certificates == 1 else 'were'} issued."
    )
    if report.trainers_trained:
        count = report.trainers_trained
        sentences.append(f"{en_count(count, 'trainer')} {'was' if count == 1 else 'were'} trained.")
    scores = []
    if report.mean_pre is not None:
        scores.append(f"the mean pre-test score was {_percent(report.mean_pre, 'en')}")
    if report.mean_post is not None:
        scores.append(f"the mean post-test score {_percent(report.mean_post, 'en')}")
    if scores:
        sentence = " and ".join(scores)
        sentence = sentence[0].upper() + sentence[1:]
        if report.normalized_gain is not None:
            sentence += f"; the normalized learning gain was {number(round(report.normalized_gain, 2), 'en')}"
        sentences.append(sentence + ".")
    districts = f"Trainings were held in {en_count(report.districts_covered, 'district')}"
    uncovered = _uncovered(report, "en")
    if uncovered:
        districts += f"; {en_count(len(uncovered), 'district')} had none"
        if len(uncovered) <= MAX_NAMED_DISTRICTS:
            districts += ": " + ", ".join(uncovered)
    sentences.append(districts + ".")
    if report.step_down_events:
        cascade = (
            f"Cascade trainers held {en_count(report.step_down_events, 'step-down event')}"
            f" for {en_count(report.step_down_headcount, 'person', 'people')}"
        )
        if report.materials_distributed:
            cascade += (
                f" and distributed {number(report.materials_distributed, 'en')}"
                f" {'piece' if report.materials_distributed == 1 else 'pieces'} of information material"
            )
        sentences.append(cascade + ".")
    return " ".join(sentences)


def narrative(report: ResultsReport) -> dict[str, str]:
    """The report in words, ``{"uk": ..., "en": ...}``, whatever the request's language."""
    return {"uk": ukrainian(report), "en": english(report)}
