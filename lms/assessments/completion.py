"""The course's completion rule for one enrolment: attendance and the post-test pass mark.
Certificates are issued from this answer."""

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.assessments.models import Attempt, CohortTest
from lms.cohorts.attendance import attendance_percent
from lms.cohorts.models import Enrollment
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


def post_score(enrollment: Enrollment) -> float | None:
    """Her scored post-test percent (online, paper or entered as a score), if any."""
    return db.session.scalar(
        select(Attempt.score_percent)
        .join(CohortTest, CohortTest.id == Attempt.test_id)
        .where(
            Attempt.enrollment_id == enrollment.id,
            CohortTest.phase == "post",
            Attempt.submitted_at.is_not(None),
        )
    )


def completion_status(enrollment: Enrollment) -> CompletionStatus:
    """Whether ``enrollment`` meets its course's rule, and every reason why not."""
    course = enrollment.cohort.course
    attended = attendance_percent(enrollment)
    post = post_score(enrollment)
    reasons: list[tuple[str, str]] = []
    if enrollment.status != "enrolled":
        reasons.append(("not_enrolled", str(_l("Not enrolled in the training."))))
    if attended < course.min_attendance_percent:
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
                        score=post,
                        mark=course.pass_mark_percent,
                    )
                ),
            )
        )
    return CompletionStatus(not reasons, attended, post, reasons)
