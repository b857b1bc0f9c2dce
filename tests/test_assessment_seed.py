"""The demo loader: banks, results for closed trainings, an open post-test; idempotent."""

from datetime import date, timedelta

from sqlalchemy import func, select

from lms.assessments import analytics
from lms.assessments.models import Attempt, CohortTest, Question
from seed import assessments as seed_assessments
from tests import factories


def test_loader_gives_closed_trainings_results_and_the_running_one_an_open_post_test(db):
    admin = factories.UserFactory(roles=["admin"])
    status_course = factories.CourseFactory(code="PTL-STATUS")
    mdg_course = factories.CourseFactory(code="PTL-MDG")
    closed = factories.CohortFactory(
        course=status_course, status="closed", start_date=date.today() - timedelta(days=60)
    )
    running = factories.CohortFactory(course=mdg_course, status="in_progress", start_date=date.today())
    for cohort in (closed, running):
        for _ in range(12):
            factories.EnrollmentFactory(cohort=cohort)

    counts = seed_assessments.load({"admin@cascade.demo": admin})
    assert counts["questions"] > 10

    figures = analytics.results_for([closed])
    assert len(figures.paired) == 11 and len(figures.unpaired) == 1
    assert figures.mean_post > figures.mean_pre
    flagged = {i.text for i in analytics.item_analysis([closed]) if "low_discrimination" in i.flags}
    assert flagged  # the ambiguous items, at least
    post = db.session.scalars(
        select(CohortTest).where(CohortTest.cohort_id == running.id, CohortTest.phase == "post")
    ).one()
    assert post.status == "open"

    before = (
        db.session.scalar(select(func.count(Question.id))),
        db.session.scalar(select(func.count(Attempt.id))),
    )
    seed_assessments.load({"admin@cascade.demo": admin})
    after = (
        db.session.scalar(select(func.count(Question.id))),
        db.session.scalar(select(func.count(Attempt.id))),
    )
    assert before == after
