"""Results and item analysis: figures computed from scored attempts, with each formula stated.

- gain = post − pre (percentage points), for a participant with both tests.
- normalized gain (per participant) = (post − pre) / (100 − pre); undefined when pre = 100.
  ``mean_normalized_gain`` averages it over participants with both tests (and pre < 100).
- class normalized gain = (mean post − mean pre) / (100 − mean pre), over the same paired
  participants (Hake's class-level variant).
- difficulty = mean credit on the item (share correct; partial credit counts its fraction).
- point-biserial = Pearson correlation of item credit with the rest score (total minus the item).
- upper/lower index = mean credit of the top 27 % minus that of the bottom 27 % by total score.
"""

import math
from dataclasses import dataclass, field
from statistics import mean

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from lms.accounts.models import User
from lms.assessments.models import Attempt, CohortTest, Question, QuestionVersion, Response
from lms.cohorts.models import Cohort, Enrollment
from lms.extensions import db

TOO_EASY = 0.90
TOO_HARD = 0.30
LOW_DISCRIMINATION = 0.20
WORSE_BY = 0.10
THRESHOLDS = {
    "too_easy": f"difficulty > {TOO_EASY}",
    "too_hard": f"difficulty < {TOO_HARD}",
    "low_discrimination": f"point-biserial < {LOW_DISCRIMINATION}",
    "got_worse": f"post difficulty below pre difficulty by more than {WORSE_BY}",
}


@dataclass
class ParticipantResult:
    enrollment: Enrollment
    pre: float | None
    post: float | None
    pass_mark: int

    @property
    def paired(self) -> bool:
        return self.pre is not None and self.post is not None

    @property
    def gain(self) -> float | None:
        return round(self.post - self.pre, 1) if self.paired else None

    @property
    def normalized_gain(self) -> float | None:
        if not self.paired or self.pre >= 100:
            return None
        return round((self.post - self.pre) / (100 - self.pre), 3)

    @property
    def passed(self) -> bool | None:
        return None if self.post is None else self.post >= self.pass_mark


@dataclass
class Figures:
    """Means over a group of participants (one cohort, a course, a trainer's cohorts)."""

    participants: list[ParticipantResult] = field(default_factory=list)

    def _mean(self, values) -> float | None:
        values = [v for v in values if v is not None]
        return round(mean(values), 2) if values else None

    @property
    def paired(self) -> list[ParticipantResult]:
        return [p for p in self.participants if p.paired]

    @property
    def mean_pre(self):
        return self._mean(p.pre for p in self.participants)

    @property
    def mean_post(self):
        return self._mean(p.post for p in self.participants)

    @property
    def mean_gain(self):
        return self._mean(p.gain for p in self.paired)

    @property
    def mean_normalized_gain(self) -> float | None:
        values = [p.normalized_gain for p in self.paired if p.normalized_gain is not None]
        return round(mean(values), 3) if values else None

    @property
    def class_normalized_gain(self) -> float | None:
        if not self.paired:
            return None
        pre, post = mean(p.pre for p in self.paired), mean(p.post for p in self.paired)
        return None if pre >= 100 else round((post - pre) / (100 - pre), 3)

    @property
    def pass_rate(self) -> float | None:
        with_post = [p for p in self.participants if p.post is not None]
        return round(100.0 * sum(1 for p in with_post if p.passed) / len(with_post), 1) if with_post else None

    @property
    def unpaired(self) -> list[ParticipantResult]:
        return [p for p in self.participants if not p.paired and (p.pre is not None or p.post is not None)]

    def summary(self) -> dict:
        return {
            "participants": len(self.participants),
            "paired": len(self.paired),
            "mean_pre": self.mean_pre,
            "mean_post": self.mean_post,
            "mean_gain": self.mean_gain,
            "mean_normalized_gain": self.mean_normalized_gain,
            "class_normalized_gain": self.class_normalized_gain,
            "pass_rate": self.pass_rate,
            "unpaired": len(self.unpaired),
        }


def results_for(cohorts: list[Cohort]) -> Figures:
    """Every enrolled participant of ``cohorts`` with her scored pre and post (two queries)."""
    ids = [c.id for c in cohorts]
    enrollments = db.session.scalars(
        select(Enrollment)
        .options(
            joinedload(Enrollment.user).joinedload(User.institution),
            joinedload(Enrollment.cohort).joinedload(Cohort.course),
        )
        .where(Enrollment.cohort_id.in_(ids or [-1]), Enrollment.status == "enrolled")
    ).all()
    scores = {
        (enrollment_id, phase): score
        for enrollment_id, phase, score in db.session.execute(
            select(Attempt.enrollment_id, CohortTest.phase, Attempt.score_percent)
            .join(CohortTest, CohortTest.id == Attempt.test_id)
            .where(CohortTest.cohort_id.in_(ids or [-1]), Attempt.submitted_at.is_not(None))
        )
    }
    from lms.core.collation import sort_key

    figures = Figures()
    for e in sorted(enrollments, key=lambda e: (sort_key(e.user.sort_name), e.id)):
        figures.participants.append(
            ParticipantResult(
                e, scores.get((e.id, "pre")), scores.get((e.id, "post")), e.cohort.course.pass_mark_percent
            )
        )
    return figures


def _pearson(xs: list[float], ys: list[float]) -> float | None:
    if len(xs) < 3:
        return None
    mx, my = mean(xs), mean(ys)
    sx = math.sqrt(sum((x - mx) ** 2 for x in xs))
    sy = math.sqrt(sum((y - my) ** 2 for y in ys))
    if sx == 0 or sy == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / (sx * sy)


@dataclass
class ItemStats:
    question_id: int
    text: str
    topic: str
    phase: str
    answered: int
    difficulty: float | None
    point_biserial: float | None
    upper_lower: float | None
    choice_counts: dict[int, int]
    choice_labels: dict[int, str]
    correct_choice_ids: set[int]
    flags: list[str] = field(default_factory=list)


def item_analysis(cohorts: list[Cohort]) -> list[ItemStats]:
    """Per item and phase: difficulty, point-biserial, 27 % index, choice counts and flags
    (three queries whatever the number of attempts)."""
    ids = [c.id for c in cohorts]
    attempts = db.session.scalars(
        select(Attempt)
        .options(joinedload(Attempt.test))
        .join(CohortTest, CohortTest.id == Attempt.test_id)
        .where(
            CohortTest.cohort_id.in_(ids or [-1]),
            Attempt.submitted_at.is_not(None),
            Attempt.source != "score_only",
        )
    ).all()
    responses: dict[tuple[int, int], Response] = {
        (r.attempt_id, r.question_id): r
        for r in db.session.scalars(
            select(Response).where(Response.attempt_id.in_([a.id for a in attempts] or [-1]))
        )
    }
    question_ids = {q for a in attempts for q in a.item_ids or []}
    questions = {
        q.id: q
        for q in db.session.scalars(
            select(Question)
            .options(selectinload(Question.versions).selectinload(QuestionVersion.choices))
            .where(Question.id.in_(question_ids or [-1]))
        )
    }
    stats: list[ItemStats] = []
    for phase in ("pre", "post"):
        phase_attempts = [a for a in attempts if a.test.phase == phase]
        totals = {a.id: a.score_percent or 0.0 for a in phase_attempts}
        ranked = sorted(phase_attempts, key=lambda a: totals[a.id])
        group = max(1, round(0.27 * len(ranked))) if ranked else 0
        lower, upper = {a.id for a in ranked[:group]}, {a.id for a in ranked[-group:]}
        for qid in sorted(
            {q for a in phase_attempts for q in a.item_ids or []}, key=lambda q: questions[q].position
        ):
            question = questions[qid]
            takers = [a for a in phase_attempts if qid in (a.item_ids or [])]
            credit = {
                a.id: (responses[(a.id, qid)].credit or 0.0) if (a.id, qid) in responses else 0.0
                for a in takers
            }
            counts: dict[int, int] = {}
            for a in takers:
                response = responses.get((a.id, qid))
                for choice_id in response.choice_ids if response else []:
                    counts[choice_id] = counts.get(choice_id, 0) + 1
            n_items = {a.id: len(a.item_ids) for a in takers}
            rest = [totals[a.id] / 100 * n_items[a.id] - credit[a.id] for a in takers]
            item = ItemStats(
                question_id=qid,
                text=question.current.display_text,
                topic=question.topic,
                phase=phase,
                answered=len(takers),
                difficulty=round(mean(credit.values()), 3) if takers else None,
                point_biserial=_round(_pearson([credit[a.id] for a in takers], rest)),
                upper_lower=_round(
                    mean(credit[a] for a in upper if a in credit)
                    - mean(credit[a] for a in lower if a in credit)
                    if len(takers) >= 2
                    and any(a in credit for a in upper)
                    and any(a in credit for a in lower)
                    else None
                ),
                choice_counts=counts,
                choice_labels={c.id: c.display_text for v in question.versions for c in v.choices},
                correct_choice_ids={c.id for v in question.versions for c in v.choices if c.correct},
            )
            _flag(item)
            stats.append(item)
    _flag_worse(stats)
    return stats


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _flag(item: ItemStats) -> None:
    if item.difficulty is not None and item.difficulty > TOO_EASY:
        item.flags.append("too_easy")
    if item.difficulty is not None and item.difficulty < TOO_HARD:
        item.flags.append("too_hard")
    if item.point_biserial is not None and item.point_biserial < LOW_DISCRIMINATION:
        item.flags.append("low_discrimination")


def _flag_worse(stats: list[ItemStats]) -> None:
    pre = {s.question_id: s for s in stats if s.phase == "pre"}
    for item in stats:
        before = pre.get(item.question_id)
        if (
            item.phase == "post"
            and before is not None
            and before.difficulty is not None
            and item.difficulty is not None
            and item.difficulty < before.difficulty - WORSE_BY
        ):
            item.flags.append("got_worse")


@dataclass
class GroupFigures:
    label: str
    cohorts: int
    figures: Figures


def course_results(cohorts: list[Cohort]) -> tuple[Figures, list[GroupFigures], list[GroupFigures]]:
    """The same figures for a course across ``cohorts``: overall, per cohort and per lead
    trainer (so a coordinator sees whose cohorts learn less). Two queries in all."""
    everyone = results_for(cohorts)
    by_cohort: dict[int, Figures] = {c.id: Figures() for c in cohorts}
    for person in everyone.participants:
        by_cohort[person.enrollment.cohort_id].participants.append(person)
    by_trainer: dict[int, GroupFigures] = {}
    for cohort in cohorts:
        group = by_trainer.setdefault(
            cohort.lead_trainer_id, GroupFigures(cohort.lead_trainer.full_name, 0, Figures())
        )
        group.cohorts += 1
        group.figures.participants.extend(by_cohort[cohort.id].participants)
    per_cohort = [
        GroupFigures(f"#{c.id} · {c.start_date.isoformat()} · {c.lead_trainer.full_name}", 1, by_cohort[c.id])
        for c in cohorts
    ]
    return everyone, per_cohort, sorted(by_trainer.values(), key=lambda g: g.label)
