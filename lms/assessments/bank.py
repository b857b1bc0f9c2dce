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


def _clean(data: dict, course: Course) -> dict:
    """Check a question's fields; raises ValidationError naming every field at fault."""
    problems: dict[str, list] = {}
    kind = data.get("kind")
    text = (data.get("text") or "").strip()
    form = data.get("form") or "both"
    choices = data.get("choices") or []
    if kind not in QUESTION_KINDS:
        problems["kind"] = [_l("Choose single, multiple or true/false.")]
    if not text:
        problems["text"] = [_l("Write the question.")]
    elif len(text) > 2000:
        problems["text"] = [_l("The question is too long (2,000 characters at most).")]
    if form not in QUESTION_FORMS:
        problems["form"] = [_l("The form is A, B or both.")]
    if kind == "true_false" and not choices:
        correct = data.get("answer", True)
        choices = [
            {"text": uk, "text_en": en, "correct": (index == 0) == bool(correct)}
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
    cleaned = [c for c in cleaned if c["text"]]
    right = sum(c["correct"] for c in cleaned)
    if kind in QUESTION_KINDS:
        if len(cleaned) < 2 or len(cleaned) > MAX_CHOICES:
            problems["choices"] = [_l("Give between 2 and 8 answer options.")]
        elif kind == "true_false" and len(cleaned) != 2:
            problems["choices"] = [_l("A true/false question has exactly two options.")]
        elif any(len(c["text"]) > 500 or len(c["text_en"]) > 500 for c in cleaned):
            problems["choices"] = [_l("An answer option is too long (500 characters at most).")]
        elif kind in ("single", "true_false") and right != 1:
            problems["choices"] = [_l("Mark exactly one correct option.")]
        elif kind == "multiple" and right < 1:
            problems["choices"] = [_l("Mark at least one correct option.")]
    module_id = data.get("module_id")
    if module_id is not None:
        module = db.session.get(CourseModule, module_id)
        if module is None or module.course_id != course.id:
            problems["module_id"] = [_l("This module is not part of the course.")]
    if problems:
        raise ValidationError(fields=problems)
    return {
        "kind": kind,
        "text": text,
        "text_en": (data.get("text_en") or "").strip()[:2000],
        "form": form,
        "topic": (data.get("topic") or "").strip()[:120],
        "module_id": module_id,
        "choices": cleaned,
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
    require(by, "question.manage", course)
    values = _clean(data, course)
    last = db.session.scalar(select(func.max(Question.position)).where(Question.course_id == course.id))
    question = Question(
        course=course,
        form=values["form"],
        topic=values["topic"],
        module_id=values["module_id"],
        position=(last or 0) + 1,
        version=1,
    )
    _new_version(question, 1, values, by)
    db.session.add(question)
    db.session.flush()
    audit.record(by, "question.create", question, course_id=course.id)
    return question


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
