"""What a report covers: the period by a cohort's last day, regions limited to the viewer's,
draft, scheduled and cancelled cohorts never counted, bad filters answered with clear errors."""

from datetime import date

import pytest
from werkzeug.datastructures import MultiDict

from lms.core.errors import PermissionDenied, ValidationError
from lms.extensions import db as _db
from lms.reports.filters import ReportFilters, filters_from_args
from tests import factories


def _args(**values) -> MultiDict:
    return MultiDict(
        [(k.rstrip("_"), v) for k, vs in values.items() for v in (vs if isinstance(vs, list) else [vs])]
    )


def _in_scope(filters: ReportFilters) -> set[int]:
    return set(_db.session.scalars(filters.cohort_ids()))


def test_a_coordinator_gets_her_regions_and_a_403_for_another(db):
    own, other = factories.RegionFactory(), factories.RegionFactory()
    coordinator = factories.UserFactory(roles=["coordinator"], regions=[own])
    filters = filters_from_args(_args(), coordinator)
    assert filters.region_ids == (own.id,)
    assert filters_from_args(_args(region_id=str(own.id)), coordinator).region_ids == (own.id,)
    with pytest.raises(PermissionDenied):
        filters_from_args(_args(region_id=f"{own.id},{other.id}"), coordinator)
    with pytest.raises(PermissionDenied):
        filters_from_args(_args(), factories.UserFactory(roles=["trainer"]))


def test_an_admin_sees_every_region_unless_she_names_some(db):
    admin = factories.UserFactory(roles=["admin"])
    region = factories.RegionFactory()
    assert filters_from_args(_args(), admin).region_ids is None
    assert filters_from_args(_args(region_id=[str(region.id), str(region.id)]), admin).region_ids == (
        region.id,
    )


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"from": "2026-13-01"}, "from"),
        ({"from": "2026-05-02", "to": "2026-05-01"}, "to"),
        ({"course_id": "abc"}, "course_id"),
        ({"course_id": "0"}, "course_id"),
        ({"region_id": ",".join(str(i) for i in range(1, 102))}, "region_id"),
    ],
)
def test_bad_filters_are_refused_with_the_field_named(db, args, field):
    admin = factories.UserFactory(roles=["admin"])
    with pytest.raises(ValidationError) as refused:
        filters_from_args(MultiDict(args), admin)
    assert field in refused.value.fields


def test_a_cohort_counts_in_the_period_of_its_last_day_and_never_as_draft_scheduled_or_cancelled(db):
    cohort = factories.CohortFactory(start_date=date(2026, 3, 30), end_date=date(2026, 4, 1), status="closed")
    factories.CohortFactory(end_date=date(2026, 4, 1), start_date=date(2026, 4, 1), status="draft")
    factories.CohortFactory(end_date=date(2026, 4, 1), start_date=date(2026, 4, 1), status="cancelled")
    factories.CohortFactory(end_date=date(2026, 4, 1), start_date=date(2026, 4, 1), status="scheduled")
    under_way = factories.CohortFactory(
        end_date=date(2026, 4, 2), start_date=date(2026, 4, 1), status="in_progress"
    )
    april = ReportFilters(start=date(2026, 4, 1), end=date(2026, 4, 30))
    march = ReportFilters(start=date(2026, 3, 1), end=date(2026, 3, 31))
    assert _in_scope(april) == {cohort.id, under_way.id} and cohort.id not in _in_scope(march)
    assert _in_scope(ReportFilters(start=date(2026, 4, 3))) == set()
    assert _in_scope(ReportFilters(end=date(2026, 3, 31))) == set()
    assert _in_scope(ReportFilters(region_ids=(cohort.district.region_id,))) == {cohort.id}
    assert _in_scope(ReportFilters(course_ids=(cohort.course_id,))) == {cohort.id}
    assert _in_scope(ReportFilters(end=date(2026, 4, 1))) == {cohort.id}
    assert _in_scope(ReportFilters(course_ids=(cohort.course_id + 1000,))) == set()


def test_filters_give_back_the_arguments_they_were_read_from(db):
    admin = factories.UserFactory(roles=["admin"])
    assert ReportFilters().as_args() == {}
    filters = ReportFilters(date(2026, 1, 1), date(2026, 6, 30), (3, 7), (5,))
    args = filters.as_args()
    assert args == {"from": "2026-01-01", "to": "2026-06-30", "region_id": [3, 7], "course_id": [5]}
    assert (
        filters_from_args(
            MultiDict(
                [(k, str(v)) for k, vs in args.items() for v in (vs if isinstance(vs, list) else [vs])]
            ),
            admin,
        )
        == filters
    )
    assert ReportFilters(region_ids=(), course_ids=()).as_args() == {"region_id": [], "course_id": []}


def test_ids_at_their_limits_are_accepted_and_one_beyond_refused(db):
    admin = factories.UserFactory(roles=["admin"])
    hundred = ",".join(str(i) for i in range(1, 101))
    assert filters_from_args(_args(course_id=hundred), admin).course_ids == tuple(range(1, 101))
    biggest = 2**31 - 1
    assert filters_from_args(_args(course_id=f"1,{biggest}"), admin).course_ids == (1, biggest)
    for beyond in (str(2**31), "-1", "0"):
        with pytest.raises(ValidationError) as refused:
            filters_from_args(_args(course_id=beyond), admin)
        assert set(refused.value.fields) == {"course_id"}
    assert filters_from_args(_args(course_id=["2, 1", "", "1,,3"]), admin).course_ids == (1, 2, 3)
    assert filters_from_args(_args(course_id=""), admin).course_ids is None


def test_a_one_day_period_and_blank_dates_are_accepted(db):
    admin = factories.UserFactory(roles=["admin"])
    day = filters_from_args(_args(from_="2026-04-01", to="2026-04-01"), admin)
    assert (day.start, day.end) == (date(2026, 4, 1), date(2026, 4, 1))
    blank = filters_from_args(_args(from_="  ", to=""), admin)
    assert (blank.start, blank.end) == (None, None)
    with pytest.raises(ValidationError) as refused:
        filters_from_args(_args(to="1 April"), admin)
    assert set(refused.value.fields) == {"to"}


def test_a_coordinator_without_regions_sees_no_cohort_rather_than_every_one(db):
    factories.CohortFactory(status="closed")
    coordinator = factories.UserFactory(roles=["coordinator"])
    filters = filters_from_args(_args(), coordinator)
    assert filters.region_ids == () and _in_scope(filters) == set()
    two = factories.UserFactory(
        roles=["coordinator"], regions=[factories.RegionFactory(), factories.RegionFactory()]
    )
    assert filters_from_args(_args(), two).region_ids == tuple(sorted(two.region_ids))


def test_the_trained_are_the_valid_certificates_of_the_cohorts_in_scope(db):
    from tests.report_fixtures import build_programme

    programme = build_programme()
    rows = _db.session.execute(ReportFilters().trained()).all()
    certificates = {row.certificate_id: row for row in rows}
    from lms.certificates.models import Certificate

    valid = set(_db.session.scalars(_db.select(Certificate.id).where(Certificate.status == "valid")))
    assert set(certificates) == valid and valid
    statuses = set(_db.session.scalars(_db.select(Certificate.status)))
    assert {"revoked", "superseded"} <= statuses  # left out above
    assert all(_db.session.get(Certificate, i).status == "valid" for i in certificates)
    row = rows[0]
    certificate = _db.session.get(Certificate, row.certificate_id)
    assert (row.user_id, row.enrollment_id, row.cohort_id, row.kind) == (
        certificate.user_id,
        certificate.enrollment_id,
        certificate.cohort_id,
        certificate.kind,
    )
    assert programme is not None
    nothing = ReportFilters(course_ids=(10**6,))
    assert _db.session.execute(nothing.trained()).all() == []
