"""The people trained by institution type and by position, from everyone's groups kept as bitmaps.

``report_people_groups`` holds everyone grouped by (institution type, trimmed position) as of
the people stamp's version (bumped by triggers when someone's institution or position, or an
institution's type, changes). People added since are in no group: they are looked up in
``users`` directly, so the groups need no rebuilding when someone is added."""

import json
import struct

from pyroaring import BitMap
from sqlalchemy import ARRAY, Integer, bindparam, func, select

from lms.accounts.models import User
from lms.extensions import db
from lms.org.models import Institution
from lms.reports.kept.cohorts import store_newer
from lms.reports.kept.models import PeopleGroups, PeopleStamp

Group = tuple[str | None, str | None]  # (institution type, trimmed position); None: not stated
SQLITE_IDS = 5000


def _encode(groups: dict[Group, BitMap]) -> bytes:
    keys = sorted(groups, key=lambda key: (key[0] or "", key[1] or "", key[0] is None, key[1] is None))
    blobs = [groups[key].serialize() for key in keys]
    header = json.dumps([[key[0], key[1], len(blob)] for key, blob in zip(keys, blobs, strict=True)]).encode()
    return struct.pack(">I", len(header)) + header + b"".join(blobs)


def _decode(data: bytes) -> dict[Group, BitMap]:
    (length,) = struct.unpack_from(">I", data)
    offset = 4 + length
    groups: dict[Group, BitMap] = {}
    for kind, position, size in json.loads(data[4:offset]):
        groups[(kind, position)] = BitMap.deserialize(data[offset : offset + size])
        offset += size
    return groups


def _key(kind: str | None, position: str | None) -> Group:
    return kind or None, position or None


def _grouping(condition=None):
    query = (
        select(Institution.type, func.trim(User.position), User.id)
        .select_from(User)
        .outerjoin(Institution, Institution.id == User.institution_id)
    )
    return query if condition is None else query.where(condition)


def _kept_groups() -> dict[Group, BitMap]:
    """Everyone's groups as of the people stamp, rebuilt and stored when stale."""
    stamp = select(func.coalesce(func.max(PeopleStamp.version), 0)).scalar_subquery()
    version, kept = db.session.execute(
        select(stamp, select(PeopleGroups.groups).where(PeopleGroups.version == stamp).scalar_subquery())
    ).one()
    if kept is not None:
        return _decode(kept)
    # The stamp read with the people (one statement, one snapshot): a change committed after it
    # bumps the stamp, so what is stored is stale at the next read, never wrong.
    members: dict[Group, list[int]] = {}
    rows = db.session.execute(_grouping().add_columns(stamp.label("version"))).all()
    for kind, position, user_id, _version in rows:
        members.setdefault(_key(kind, position), []).append(user_id)
    version = rows[0][3] if rows else 0
    groups = {key: BitMap(ids) for key, ids in members.items()}
    store_newer(PeopleGroups.__table__, [{"id": 1, "version": version, "groups": _encode(groups)}])
    return groups


def refresh() -> None:
    """Rebuild and store everyone's groups if they are stale (the periodic task, after a load)."""
    _kept_groups()


def _looked_up(people: BitMap) -> dict[Group, int]:
    """``people`` (in no kept group: added since) counted by group from ``users``."""
    ids = list(people)
    counts: dict[Group, int] = {}
    if db.session.get_bind().dialect.name == "postgresql":
        chunks = [User.id == func.any(bindparam("user_ids", ids, type_=ARRAY(Integer)))]
    else:
        chunks = [User.id.in_(ids[start : start + SQLITE_IDS]) for start in range(0, len(ids), SQLITE_IDS)]
    for condition in chunks:
        for kind, position, _user_id in db.session.execute(_grouping(condition)):
            key = _key(kind, position)
            counts[key] = counts.get(key, 0) + 1
    return counts


def by_group(people: BitMap) -> dict[Group, int]:
    """How many of ``people`` are in each (institution type, position) group; groups with none
    left out. Each person is in one group."""
    counts: dict[Group, int] = {}
    covered = BitMap()
    for key, members in _kept_groups().items():
        covered |= members
        found = members.intersection_cardinality(people)
        if found:
            counts[key] = counts.get(key, 0) + found
    missing = people - covered
    if missing:
        for key, found in _looked_up(missing).items():
            counts[key] = counts.get(key, 0) + found
    return counts
