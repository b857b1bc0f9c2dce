"""The course's completion rule for one enrolment: attendance and the post-test pass mark.
Certificates are issued from this answer."""

from dataclasses import dataclass, field

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.assessments.models import Attempt, CohortTest
from lms.cohorts.attendance import attendance_percents, attendance_rule_met
from lms.cohorts.models import Cohort, Enrollment
from lms.extensions import db


@dataclass
class CompletionStatus:
    met: bool
    attendance_percent: float
    post_percent: float | None
    # (code, message): attendance_below_minimum, post_test_missing, below_pass_mark, not_enrolled
    reasons: list[tuple[str, str]] = field(default_factory=list)

    @property
    def reason_codes(self) -> list[str]:
        return [code for code, _message in self.reasons]


def post_scores(enrollment_ids: list[int]) -> dict[int, float]:
    """Scored post-test percents (online, paper or entered as a score) of these enrolments."""
    return dict(
        db.session.execute(
            select(Attempt.enrollment_id, Attempt.score_percent)
            .join(CohortTest, CohortTest.id == Attempt.test_id)
            .where(
                Attempt.enrollment_id.in_(enrollment_ids),
                CohortTest.phase == "post",
                Attempt.submitted_at.is_not(None),
            )
        ).all()
    )


def post_score(enrollment: Enrollment) -> float | None:
    """Her scored post-test percent (online, paper or entered as a score), if any."""
    return post_scores([enrollment.id]).get(enrollment.id)


def completion_status(enrollment: Enrollment) -> CompletionStatus:
    """Whether ``enrollment`` meets its course's rule, and every reason why not."""
    return completion_statuses(enrollment.cohort, [enrollment])[enrollment.id]


def completion_statuses(cohort: Cohort, enrollments: list[Enrollment]) -> dict[int, CompletionStatus]:
    """``completion_status`` of many enrolments of one cohort in a fixed number of queries
    (the issuance job asks for a whole training at once)."""
    ids = [enrollment.id for enrollment in enrollments]
    attended = attendance_percents(cohort.id, ids)
    posts = post_scores(ids)
    return {
        enrollment.id: _decide(enrollment, cohort.course, attended[enrollment.id], posts.get(enrollment.id))
        for enrollment in enrollments
    }


def _decide(enrollment: Enrollment, course, attended: float, post: float | None) -> CompletionStatus:
    reasons: list[tuple[str, str]] = []
    if enrollment.status != "enrolled":
        reasons.append(("not_enrolled", str(_l("Not enrolled in the training."))))
    if not attendance_rule_met(attended, course.min_attendance_percent):  # the summary's rule too
        reasons.append(
            (
                "attendance_below_minimum",
                str(
                    _l(
                        "Attended %(attended)s%% of the training; the minimum is %(minimum)s%%.",
                        attended=round(attended),
                        minimum=course.min_attendance_percent,
                    )
                ),
            )
        )
    if post is None:
        reasons.append(("post_test_missing", str(_l("No post-test result."))))
    elif post < course.pass_mark_percent:
        reasons.append(
            (
                "below_pass_mark",
                str(
                    _l(
                        "Post-test %(score)s%% is below the pass mark of %(mark)s%%.",
                        score=format_decimal(post, format="#,##0.#"),
                        mark=course.pass_mark_percent,
                    )
                ),
            )
        )
    return CompletionStatus(not reasons, attended, post, reasons)
