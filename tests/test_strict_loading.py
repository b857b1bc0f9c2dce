"""The guard that keeps pages from lazy-loading, and the query counter the page tests use."""

import pytest
from flask import Flask

from lms.accounts.models import User
from lms.core.db import LazyLoadError
from lms.extensions import db as _db
from tests import factories
from tests.queries import count_queries


def _person_with_unloaded_institution() -> User:
    institution = factories.InstitutionFactory()
    user = factories.UserFactory(institution=institution)
    _db.session.flush()
    # Out of the identity map, so that loading it needs SQL.
    _db.session.expunge(institution)
    _db.session.expire(user, ["institution"])
    return user


def test_a_lazy_load_during_a_request_fails_under_strict_loading(app: Flask, db, strict_loading):
    user = _person_with_unloaded_institution()
    with app.test_request_context(), pytest.raises(LazyLoadError, match=r"User\.institution"):
        _ = user.institution


def test_the_same_lazy_load_passes_outside_a_request(app: Flask, db, strict_loading):
    assert _person_with_unloaded_institution().institution is not None


def test_the_same_lazy_load_passes_when_strict_loading_is_off(app: Flask, db, monkeypatch):
    monkeypatch.setitem(app.config, "LMS_STRICT_LOADING", False)
    user = _person_with_unloaded_institution()
    with app.test_request_context():
        assert user.institution is not None


def test_strict_loading_is_on_for_every_test(app: Flask):
    assert app.config["LMS_STRICT_LOADING"] is True


def test_count_queries_sees_each_statement(app: Flask, db):
    with count_queries() as statements:
        _db.session.execute(_db.select(User.id)).all()
        _db.session.execute(_db.select(User.email)).all()
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 2
