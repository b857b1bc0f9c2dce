"""What a report covers: the period by a cohort's last day, regions limited to the viewer's,
draft and cancelled cohorts never counted, bad filters answered with clear errors."""

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


def test_a_cohort_counts_in_the_period_of_its_last_day_and_never_as_draft_or_cancelled(db):
    cohort = factories.CohortFactory(start_date=date(2026, 3, 30), end_date=date(2026, 4, 1), status="closed")
    factories.CohortFactory(end_date=date(2026, 4, 1), start_date=date(2026, 4, 1), status="draft")
    factories.CohortFactory(end_date=date(2026, 4, 1), start_date=date(2026, 4, 1), status="cancelled")
    april = ReportFilters(start=date(2026, 4, 1), end=date(2026, 4, 30))
    march = ReportFilters(start=date(2026, 3, 1), end=date(2026, 3, 31))
    assert cohort.id in _in_scope(april) and cohort.id not in _in_scope(march)
    assert _in_scope(ReportFilters(start=date(2026, 4, 2))) == set()
    assert _in_scope(ReportFilters(end=date(2026, 3, 31))) == set()
    assert _in_scope(ReportFilters(region_ids=(cohort.district.region_id,))) == {cohort.id}
    assert _in_scope(ReportFilters(course_ids=(cohort.course_id,))) == {cohort.id}
    assert _in_scope(ReportFilters(course_ids=(cohort.course_id + 1000,))) == set()
