"""The question bank: listing, adding and editing questions of a course. Editing a question
that has answers adds a version; old responses keep the version they answered."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select
from sqlalchemy.orm import joinedload, selectinload

from lms.assessments.models import QUESTION_FORMS, QUESTION_KINDS, Choice, Question, QuestionVersion, Response
from lms.core import audit
from lms.core.errors import NotFound, ValidationError
from lms.core.permissions import can, require
from lms.courses.models import Course, CourseModule
from lms.extensions import db

MAX_CHOICES = 8
TRUE_FALSE_TEXTS = (("Правда", "True"), ("Неправда", "False"))


def course_for(course_id: int, *, by, action: str = "question.view") -> Course:
    course = db.session.get(Course, course_id)
    if course is None:
        raise NotFound(_l("No such course."))
    require(by, action, course)
    return course


def question_for(question_id: int, *, by, action: str = "question.view") -> Question:
    question = db.session.scalars(
        select(Question)
        .options(
            selectinload(Question.versions).selectinload(QuestionVersion.choices), joinedload(Question.course)
        )
        .where(Question.id == question_id)
    ).first()
    if question is None or not can(by, "question.view", question.course):
        raise NotFound(_l("No such question."))
    require(by, action, question.course)
    return question


def bank_query(course: Course, *, form: str | None = None, topic: str | None = None):
    query = (
        select(Question)
        .options(selectinload(Question.versions).selectinload(QuestionVersion.choices))
        .where(Question.course_id == course.id, Question.active.is_(True))
        .order_by(Question.position, Question.id)
    )
    if form in ("A", "B"):
        query = query.where(Question.form.in_((form, "both")))
    if topic:
        query = query.where(Question.topic == topic)
    return query


def questions_of(course: Course, *, form: str | None = None) -> list[Question]:
    return list(db.session.scalars(bank_query(course, form=form)).all())


# The bank's rules, by code: a form shows the messages, a file's preview stores the codes.
RULES = {
    "kind": _l("Choose single, multiple or true/false."),
    "no_text": _l("Write the question."),
    "long_text": _l("The question is too long (2,000 characters at most)."),
    "form": _l("The form is A, B or both."),
    "option_count": _l("Give between 2 and 8 answer options."),
    "true_false_options": _l("A true/false question has exactly two options."),
    "long_option": _l("An answer option is too long (500 characters at most)."),
    "one_correct": _l("Mark exactly one correct option."),
    "some_correct": _l("Mark at least one correct option."),
    "other_module": _l("This module is not part of the course."),
}


def _choices(kind, choices: list, answer) -> list[dict]:
    """The options as kept: trimmed, empty ones dropped; a true/false without written options
    gets the two standard ones, ``answer`` saying whether "true" is correct."""
    if kind == "true_false" and not choices:
        choices = [
            {"text": uk, "text_en": en, "correct": (index == 0) == bool(answer)}
            for index, (uk, en) in enumerate(TRUE_FALSE_TEXTS)
        ]
    cleaned = [
        {
            "text": (c.get("text") or "").strip(),
            "text_en": (c.get("text_en") or "").strip(),
            "correct": bool(c.get("correct")),
        }
        for c in choices
    ]
    return [c for c in cleaned if c["text"]]


def _choices_rule(kind, cleaned: list[dict]) -> str | None:
    right = sum(c["correct"] for c in cleaned)
    if kind not in QUESTION_KINDS:
        return None
    if len(cleaned) < 2 or len(cleaned) > MAX_CHOICES:
        return "option_count"
    if kind == "true_false" and len(cleaned) != 2:
        return "true_false_options"
    if any(len(c["text"]) > 500 or len(c["text_en"]) > 500 for c in cleaned):
        return "long_option"
    if kind in ("single", "true_false") and right != 1:
        return "one_correct"
    if kind == "multiple" and right < 1:
        return "some_correct"
    return None


def broken_rules(data: dict, course: Course) -> dict[str, str]:
    """The rules a question's fields break: field name -> the code in ``RULES``."""
    kind, form = data.get("kind"), data.get("form") or "both"
    text = (data.get("text") or "").strip()
    broken = {
        "kind": None if kind in QUESTION_KINDS else "kind",
        "text": "long_text" if len(text) > 2000 else None if text else "no_text",
        "form": None if form in QUESTION_FORMS else "form",
        "choices": _choices_rule(kind, _choices(kind, data.get("choices") or [], data.get("answer", True))),
    }
    module_id = data.get("module_id")
    if module_id is not None:
        module = db.session.get(CourseModule, module_id)
        if module is None or module.course_id != course.id:
            broken["module_id"] = "other_module"
    return {name: code for name, code in broken.items() if code is not None}


def _clean(data: dict, course: Course) -> dict:
    """Check a question's fields; raises ValidationError naming every field at fault."""
    broken = broken_rules(data, course)
    if broken:
        raise ValidationError(fields={name: [RULES[code]] for name, code in broken.items()})
    kind = data["kind"]
    return {
        "kind": kind,
        "text": data["text"].strip(),
        "text_en": (data.get("text_en") or "").strip()[:2000],
        "form": data.get("form") or "both",
        "topic": (data.get("topic") or "").strip()[:120],
        "module_id": data.get("module_id"),
        "choices": _choices(kind, data.get("choices") or [], data.get("answer", True)),
    }


def _new_version(question: Question, number: int, values: dict, by) -> QuestionVersion:
    version = QuestionVersion(
        number=number,
        kind=values["kind"],
        text=values["text"],
        text_en=values["text_en"],
        created_by_id=getattr(by, "id", None),
        choices=[
            Choice(position=i + 1, text=c["text"], text_en=c["text_en"], correct=c["correct"])
            for i, c in enumerate(values["choices"])
        ],
    )
    question.versions.append(version)
    return version


def create_question(course: Course, data: dict, *, by) -> Question:
    return create_questions(course, [data], by=by)[0]


def create_questions(course: Course, items: list[dict], *, by) -> list[Question]:
    """Add questions at the end of the course's bank, in the order given, each audited; a
    question breaking a rule raises ValidationError (the caller rolls back)."""
    require(by, "question.manage", course)
    cleaned = [_clean(data, course) for data in items]
    last = db.session.scalar(select(func.max(Question.position)).where(Question.course_id == course.id)) or 0
    questions = []
    for offset, values in enumerate(cleaned, start=1):
        question = Question(
            course=course,
            form=values["form"],
            topic=values["topic"],
            module_id=values["module_id"],
            position=last + offset,
            version=1,
        )
        _new_version(question, 1, values, by)
        questions.append(question)
    db.session.add_all(questions)
    db.session.flush()
    for question in questions:
        audit.record(by, "question.create", question, course_id=course.id)
    return questions


def version_is_answered(version: QuestionVersion) -> bool:
    return bool(db.session.scalar(select(exists().where(Response.version_id == version.id))))


def as_input(question: Question) -> dict:
    """The current question as the fields ``update_question`` takes."""
    current = question.current
    return {
        "kind": current.kind,
        "text": current.text,
        "text_en": current.text_en,
        "form": question.form,
        "topic": question.topic,
        "module_id": question.module_id,
        "choices": [{"text": c.text, "text_en": c.text_en, "correct": c.correct} for c in current.choices],
    }


def update_question(question: Question, data: dict, *, by) -> Question:
    """Change a question. Its wording, kind or options change in place while nobody has answered
    it, and in a new version once somebody has."""
    require(by, "question.manage", question.course)
    merged = as_input(question) | {k: v for k, v in data.items() if v is not None or k == "module_id"}
    if "module_id" not in data:
        merged["module_id"] = question.module_id
    values = _clean(merged, question.course)
    question.form, question.topic, question.module_id = values["form"], values["topic"], values["module_id"]
    current = question.current
    content_changed = (current.kind, current.text, current.text_en) != (
        values["kind"],
        values["text"],
        values["text_en"],
    ) or as_input(question)["choices"] != values["choices"]
    if content_changed:
        if version_is_answered(current):
            question.version = current.number + 1
            _new_version(question, question.version, values, by)
        else:
            current.kind, current.text, current.text_en = values["kind"], values["text"], values["text_en"]
            current.choices.clear()
            db.session.flush()
            current.choices.extend(
                Choice(position=i + 1, text=c["text"], text_en=c["text_en"], correct=c["correct"])
                for i, c in enumerate(values["choices"])
            )
    db.session.flush()
    audit.record(by, "question.update", question, version=question.version)
    return question


def retire_question(question: Question, *, by) -> None:
    """Take a question out of the bank (answers to it stay)."""
    require(by, "question.manage", question.course)
    question.active = False
    audit.record(by, "question.retire", question)


def topics_of(course: Course) -> list[str]:
    return sorted(
        t
        for t in db.session.scalars(
            select(Question.topic).where(Question.course_id == course.id, Question.topic != "").distinct()
        )
    )
