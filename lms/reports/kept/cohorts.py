"""Each cohort's report figures, kept in ``report_cohort_figures`` and read instead of its rows.

A cohort's figures are valid while their version equals its stamp (``report_cohort_stamps``,
bumped by triggers in the writer's transaction). A reader computes the cohorts whose figures
are missing or stale from their rows in one statement that also reads their stamps, so the
version stored is the one those rows had: a write committed after that statement bumps the
stamp and the row is simply stale at the next read, never wrong. Two readers storing the same
cohort at once keep the newer version (``ON CONFLICT ... WHERE``)."""

import sys
from array import array
from collections.abc import Iterable
from dataclasses import dataclass

from pyroaring import BitMap
from sqlalchemy import (
    ARRAY,
    Float,
    Integer,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased

from lms.assessments.models import Attempt, CohortTest
from lms.certificates.models import Certificate
from lms.cohorts.models import Cohort, Enrollment
from lms.extensions import db
from lms.reports.kept.models import CohortFigures, CohortStamp

SQLITE_IDS = 5000  # cohort ids per statement on SQLite (its limit on parameters is 32,766)
if array("I").itemsize != 4:  # pragma: no cover - every platform we run on
    raise ImportError("lms.reports.kept needs 32-bit unsigned integers in array('I')")


def pack(user_ids: Iterable[int]) -> bytes:
    """A set of people as stored: distinct ids, sorted, little-endian unsigned 32-bit integers.
    Plain arrays rather than serialized bitmaps: a cohort holds a few dozen people, and joining
    ten thousand arrays into one bitmap is several times faster than deserializing as many."""
    values = array("I", sorted(set(user_ids)))
    if sys.byteorder == "big":  # pragma: no cover
        values.byteswap()
    return values.tobytes()


def union(packed: list[bytes]) -> BitMap:
    """The people in any of ``packed`` sets (from ``pack``), each once."""
    values = array("I")
    values.frombytes(b"".join(packed))
    if sys.byteorder == "big":  # pragma: no cover
        values.byteswap()
    return BitMap(values)


@dataclass
class Figures:
    """One cohort's figures (``CohortFigures`` read back)."""

    enrolled: bytes  # packed sets of user ids (``pack``)
    trained: bytes
    trainers: bytes  # holders of a valid trainer certificate of this cohort, whatever its course
    certificates: int = 0
    pre_sum: float = 0.0
    pre_n: int = 0
    post_sum: float = 0.0
    post_n: int = 0
    gain_sum: float = 0.0
    gain_n: int = 0

    def row(self, cohort_id: int, version: int) -> dict:
        return {
            "cohort_id": cohort_id,
            "version": version,
            "enrolled": self.enrolled,
            "trained": self.trained,
            "trainers": self.trainers,
            "certificates": self.certificates,
            "pre_sum": self.pre_sum,
            "pre_n": self.pre_n,
            "post_sum": self.post_sum,
            "post_n": self.post_n,
            "gain_sum": self.gain_sum,
            "gain_n": self.gain_n,
        }


KEPT_COLUMNS = (
    CohortFigures.enrolled,
    CohortFigures.trained,
    CohortFigures.trainers,
    CohortFigures.certificates,
    CohortFigures.pre_sum,
    CohortFigures.pre_n,
    CohortFigures.post_sum,
    CohortFigures.post_n,
    CohortFigures.gain_sum,
    CohortFigures.gain_n,
)


def _from_row(values) -> Figures:
    return Figures(*values)


def figures_of(scope) -> list[tuple]:
    """``(*scope's row, Figures)`` for every row of ``scope`` (a subquery with a ``cohort_id``
    column), computing and storing the figures missing or stale: one statement when all are
    kept, three when some are not (reading them and storing them)."""
    stamp = func.coalesce(CohortStamp.version, 0)
    rows = db.session.execute(
        select(scope, *KEPT_COLUMNS)
        .select_from(scope)
        .outerjoin(CohortStamp, CohortStamp.cohort_id == scope.c.cohort_id)
        .outerjoin(
            CohortFigures, and_(CohortFigures.cohort_id == scope.c.cohort_id, CohortFigures.version == stamp)
        )
    ).all()
    width = len(scope.c)
    stale = [row[0] for row in rows if row[width] is None] if rows else []
    fresh = refresh(stale) if stale else {}
    return [
        (*row[:width], fresh[row[0]] if row[width] is None else _from_row(row[width:]))
        for row in rows
        if row[width] is not None or row[0] in fresh  # not a cohort deleted since the first read
    ]


def _among(ids: list[int]):
    """A function giving ``column`` among ``ids``: one array parameter on PostgreSQL (whatever
    their number), a list on SQLite."""
    if db.session.get_bind().dialect.name == "postgresql":
        array = bindparam("cohort_ids", ids, type_=ARRAY(Integer))
        return lambda column: column == func.any(array)
    return lambda column: column.in_(ids)


def _source(ids: list[int]):
    """One statement reading the cohorts' stamps and everything their figures are made of (one
    snapshot): rows (what, cohort, a, b, c, pre_sum, post_sum, gain_sum)."""
    no_int, no_float = cast(null(), Integer), cast(null(), Float)

    def part(what: int, cohort_id, a=no_int, b=no_int, c=no_int, sums=(no_float, no_float, no_float)):
        return (
            literal(what).label("what"),
            cohort_id.label("cohort_id"),
            a.label("a"),
            b.label("b"),
            c.label("c"),
            sums[0].label("pre_sum"),
            sums[1].label("post_sum"),
            sums[2].label("gain_sum"),
        )

    pre_test, post_test = aliased(CohortTest), aliased(CohortTest)
    pre, post = aliased(Attempt), aliased(Attempt)

    def scored(attempt, test):
        return and_(
            attempt.test_id == test.id,
            attempt.enrollment_id == Enrollment.id,
            attempt.submitted_at.is_not(None),
            attempt.score_percent.is_not(None),
        )

    # The same definitions as ``lms.reports.figures.scores``: over the enrolled with a score.
    paired = and_(pre.score_percent.is_not(None), post.score_percent.is_not(None), pre.score_percent < 100)
    gain = case((paired, (post.score_percent - pre.score_percent) / (100 - pre.score_percent)))
    enrolled = Enrollment.status == "enrolled"
    among = _among(ids)
    return union_all(
        select(*part(0, Cohort.id, a=func.coalesce(CohortStamp.version, 0)))
        .outerjoin(CohortStamp, CohortStamp.cohort_id == Cohort.id)
        .where(among(Cohort.id)),
        select(*part(1, Enrollment.cohort_id, a=Enrollment.user_id)).where(
            enrolled, among(Enrollment.cohort_id)
        ),
        select(
            *part(
                2,
                Certificate.cohort_id,
                a=Certificate.user_id,
                b=cast(Certificate.kind == "trainer", Integer),
            )
        ).where(Certificate.status == "valid", among(Certificate.cohort_id)),
        select(
            *part(
                3,
                Enrollment.cohort_id,
                a=func.count(pre.score_percent),
                b=func.count(post.score_percent),
                c=func.count(gain),
                sums=(func.sum(pre.score_percent), func.sum(post.score_percent), func.sum(gain)),
            )
        )
        .select_from(Enrollment)
        .outerjoin(pre_test, and_(pre_test.cohort_id == Enrollment.cohort_id, pre_test.phase == "pre"))
        .outerjoin(post_test, and_(post_test.cohort_id == Enrollment.cohort_id, post_test.phase == "post"))
        .outerjoin(pre, scored(pre, pre_test))
        .outerjoin(post, scored(post, post_test))
        .where(enrolled, among(Enrollment.cohort_id))
        .group_by(Enrollment.cohort_id),
    )


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    if db.session.get_bind().dialect.name == "postgresql":
        yield ids
        return
    for start in range(0, len(ids), SQLITE_IDS):
        yield ids[start : start + SQLITE_IDS]


def refresh(cohort_ids: list[int]) -> dict[int, Figures]:
    """Compute the figures of ``cohort_ids`` from their rows and store them with the stamp
    version read with those rows; returns them (a cohort that no longer exists is left out)."""
    computed: dict[int, Figures] = {}
    versions: dict[int, int] = {}
    for ids in _chunks(sorted(set(cohort_ids))):
        people: dict[int, tuple[list[int], list[int], list[int]]] = {}
        sums: dict[int, tuple] = {}
        for what, cohort_id, a, b, c, pre_sum, post_sum, gain_sum in db.session.execute(_source(ids)):
            if what == 0:
                versions[cohort_id] = int(a)
            elif what == 1:
                people.setdefault(cohort_id, ([], [], []))[0].append(a)
            elif what == 2:
                lists = people.setdefault(cohort_id, ([], [], []))
                lists[1].append(a)
                if b:
                    lists[2].append(a)
            else:
                sums[cohort_id] = (
                    float(pre_sum or 0),
                    int(a),
                    float(post_sum or 0),
                    int(b),
                    float(gain_sum or 0),
                    int(c),
                )
        for cohort_id in ids:
            if cohort_id not in versions:
                continue
            enrolled, trained, trainers = people.get(cohort_id, ([], [], []))
            pre_sum, pre_n, post_sum, post_n, gain_sum, gain_n = sums.get(cohort_id, (0.0, 0, 0.0, 0, 0.0, 0))
            computed[cohort_id] = Figures(
                pack(enrolled),
                pack(trained),
                pack(trainers),
                certificates=len(trained),
                pre_sum=pre_sum,
                pre_n=pre_n,
                post_sum=post_sum,
                post_n=post_n,
                gain_sum=gain_sum,
                gain_n=gain_n,
            )
    if computed:
        _store([computed[i].row(i, versions[i]) for i in sorted(computed)])
    return computed


def _store(rows: list[dict]) -> None:
    """Upsert figures rows; a row already stored with a newer version stays."""
    store_newer(CohortFigures.__table__, rows)


def store_newer(table, rows: list[dict]) -> None:
    """Insert ``rows`` into a kept table (primary key, ``version``), or replace a stored row
    whose version is older: two readers storing at once never fail, and the newer one stays."""
    insert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(table)
    (key,) = table.primary_key.columns
    statement = statement.on_conflict_do_update(
        index_elements=[key],
        set_={column.name: statement.excluded[column.name] for column in table.c if column is not key},
        where=table.c.version < statement.excluded.version,
    )
    db.session.execute(statement, rows)


def refresh_stale(limit: int | None = None) -> int:
    """Compute the figures of the cohorts whose figures are missing or stale (at most ``limit``
    of them); how many. For the periodic task and after loading data."""
    stamp = func.coalesce(CohortStamp.version, 0)
    query = (
        select(Cohort.id)
        .outerjoin(CohortStamp, CohortStamp.cohort_id == Cohort.id)
        .outerjoin(CohortFigures, and_(CohortFigures.cohort_id == Cohort.id, CohortFigures.version == stamp))
        .where(CohortFigures.cohort_id.is_(None))
        .order_by(Cohort.id)
    )
    if limit is not None:
        query = query.limit(limit)
    ids = list(db.session.scalars(query))
    return len(refresh(ids)) if ids else 0
