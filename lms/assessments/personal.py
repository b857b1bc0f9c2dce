"""A participant's own results: pre and post score and how each topic changed, shown once the
trainer has released the cohort's results."""

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from lms.assessments.models import Attempt, CohortTest, Question, Response
from lms.cohorts.models import Enrollment
from lms.extensions import db


@dataclass
class TopicChange:
    topic: str
    pre: float | None
    post: float | None

    @property
    def improved(self) -> bool:
        return self.pre is not None and self.post is not None and self.post > self.pre


@dataclass
class PersonalResults:
    pre: float | None
    post: float | None
    topics: list[TopicChange] = field(default_factory=list)


def personal_results(enrollment: Enrollment) -> PersonalResults | None:
    """Her scores and per-topic share correct; None while no test's results are released."""
    attempts = db.session.scalars(
        select(Attempt)
        .options(joinedload(Attempt.test))
        .join(CohortTest, CohortTest.id == Attempt.test_id)
        .where(
            Attempt.enrollment_id == enrollment.id,
            Attempt.submitted_at.is_not(None),
            CohortTest.results_released.is_(True),
        )
    ).all()
    if not attempts:
        return None
    by_phase = {a.test.phase: a for a in attempts}
    topic_of = dict(
        db.session.execute(
            select(Question.id, Question.topic).where(
                Question.id.in_({q for a in attempts for q in a.item_ids} or {-1})
            )
        ).all()
    )
    credit = {
        (r.attempt_id, r.question_id): r.credit or 0.0
        for r in db.session.scalars(select(Response).where(Response.attempt_id.in_([a.id for a in attempts])))
    }
    shares: dict[str, dict[str, float]] = {}
    for phase, attempt in by_phase.items():
        per_topic: dict[str, list[float]] = {}
        for question_id in attempt.item_ids:
            per_topic.setdefault(topic_of.get(question_id) or "—", []).append(
                credit.get((attempt.id, question_id), 0.0)
            )
        for topic, values in per_topic.items():
            shares.setdefault(topic, {})[phase] = round(100 * sum(values) / len(values), 1)
    return PersonalResults(
        pre=by_phase["pre"].score_percent if "pre" in by_phase else None,
        post=by_phase["post"].score_percent if "post" in by_phase else None,
        topics=[TopicChange(t, s.get("pre"), s.get("post")) for t, s in sorted(shares.items())],
    )
