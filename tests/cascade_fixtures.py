"""A small cascade built by hand, whose figures tests/test_cascade_figures.py works out on paper.

The rows are written directly (no factories, no closing, no issuance job; two flushes) so that a
test stays well under a second: the mutation run (scripts/mutants.py) reruns those tests for
every mutant they cover. N = 90 days; TODAY is fixed, so H (the horizon) = TODAY − 90.

    trainer  gen parent region accredited  in force  delivered
    M         0   —     R1     T−400       yes       event T−395 (5, D1, C); cohort cm T−90..T−89 (D1)
    A         1   M     R1     T−200       yes       cohort ca T−151..T−150 (D2); event T−30 (28, D2, C);
                                                     cohort ca2 T−3..T−2 (D2); cohort T−10 cancelled
    B         1   M     R2     T−100       yes       cohort cb T−161..T−160 (D3, course K), before she was
                                                     accredited; event T−101 (4, D3, no course), event T−9 (12, D1, K)
    S         1   M     R1     T−300       no        —
    E         1   M     R1     T−150       yes       —
    G         2   A     R1     T−90 (= H)  yes       cohort cg T..T+1 (D3, course K, in progress)
    J         2   A     R1     T−89        yes       event T−5 (7, D1, C)
    L         2   B     R1     T−10        yes       —
    M2        0   —     R2     T−500       yes       event T−500 (3, D3, C)

Regions: R1 holds districts D1 and D2, R2 holds D3. Course C unless said. Also a scheduled
training of M2's and a cancelled one of E's (T−5); A is accredited for K and C, and for R revoked.

Participants (pre → post; certificates valid unless said):
    cm   p1 40→70 (gain 1/2), p2 10→40 (1/3), p3 100→100 revoked, pw withdrawn: pre 20, no post
    ca   p1 again 70→90 (2/3), p4 20→40 (1/4), p5 50→ post not submitted, p6 revoked
    ca2  p4 again
    cb   p10
    cancelled  p7 0→100 (not delivered: no gain)
    cg   p8 0→50 (1/2), no certificate yet
    cx   p9, led by X who is in no lineage (not part of the cascade)
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import count

from lms.accounts.models import User
from lms.assessments.models import Attempt, CohortTest
from lms.cascade.models import StepDownEvent, TrainerLineage
from lms.cohorts.models import Cohort, Enrollment
from lms.courses.models import Accreditation, Course
from lms.extensions import db as _db
from lms.org.models import District, Region
from tests.rows import certificate_row, two_day_training

TODAY = date(2025, 6, 30)
N = 90
HORIZON = TODAY - timedelta(days=N)
_serial = count(1)


def day(days_ago: int) -> date:
    return TODAY - timedelta(days=days_ago)


@dataclass
class Tree:
    r1: object
    r2: object
    d1: object
    d2: object
    d3: object
    c: object
    k: object
    t: dict  # trainers by letter
    p: dict  # participants
    cohorts: dict

    def ids(self, *letters: str) -> set[int]:
        return {self.t[letter].id for letter in letters}


def _add(obj):
    _db.session.add(obj)
    return obj


def _person(name: str, *roles: str) -> User:
    """A person written directly, without the factories' flush per object (rebuilt for every test
    and every mutant)."""
    number = next(_serial)
    person = _add(
        User(email=f"figures{number}@example.org", full_name=name, full_name_latin=f"Person {number}")
    )
    person.set_roles(roles or ["participant"])
    return person


def _lineage(person, generation: int, parent, root, region, accredited: date, active=True) -> None:
    _add(
        TrainerLineage(
            user_id=person.id,
            parent_id=parent.id if parent is not None else None,
            root_id=(root or person).id,
            generation=generation,
            region_id=region.id,
            accredited_on=accredited,
            active=active,
        )
    )


def _cohort(lead, course, district, status, start_days_ago: int) -> Cohort:
    return _add(two_day_training(lead, course, district, status, day(start_days_ago)))


def _enrol(cohort, person, *, status="enrolled", certificate=None) -> Enrollment:
    enrollment = _add(Enrollment(cohort=cohort, user=person, status=status))
    if certificate is not None:
        _add(
            certificate_row(
                enrollment, cohort, number=next(_serial), prefix="TST", year=2025, status=certificate
            )
        )
    return enrollment


def _tests(cohort) -> dict:
    return {
        phase: _add(CohortTest(cohort=cohort, phase=phase, form="A", room_code=f"R{next(_serial)}"))
        for phase in ("pre", "post")
    }


def _scores(tests: dict, enrollment, pre=None, post=None, *, submitted=(True, True)) -> None:
    for phase, score, done in (("pre", pre, submitted[0]), ("post", post, submitted[1])):
        if score is not None:
            _add(
                Attempt(
                    test=tests[phase],
                    enrollment=enrollment,
                    form="A",
                    score_percent=score,
                    submitted_at=datetime(2025, 1, 1, tzinfo=UTC) if done else None,
                )
            )


def _event(trainer, district, days_ago: int, headcount: int, course=None) -> None:
    _add(
        StepDownEvent(
            trainer=trainer,
            district=district,
            date=day(days_ago),
            audience="community",
            headcount=headcount,
            course=course,
        )
    )


def build_tree() -> Tree:
    r1, r2 = (_add(Region(code=f"F{n}", name=f"Область {n}", name_en=f"Oblast {n}")) for n in (1, 2))
    d1, d2 = (_add(District(region=r1, name=f"Район {n}", name_en=f"Raion {n}")) for n in (1, 2))
    d3 = _add(District(region=r2, name="Район 3", name_en="Raion 3"))
    c, k, r = (_add(Course(code=f"FIG-{n}", title=f"Курс {n}", days=2)) for n in "CKR")
    t = {
        letter: _person(f"Тренер {letter}", "trainer")
        for letter in ("M", "A", "B", "S", "E", "G", "J", "L", "M2")
    }
    x = _person("Тренер X", "trainer")
    p = {name: _person(f"Учасниця {name}") for name in "p1 p2 p3 pw p4 p5 p6 p7 p8 p9 p10".split()}
    _db.session.flush()
    m, a, b, e, g, j, m2 = (t[letter] for letter in ("M", "A", "B", "E", "G", "J", "M2"))
    _lineage(m, 0, None, None, r1, day(400))
    _lineage(a, 1, m, m, r1, day(200))
    _lineage(b, 1, m, m, r2, day(100))
    _lineage(t["S"], 1, m, m, r1, day(300), active=False)
    _lineage(e, 1, m, m, r1, day(150))
    _lineage(g, 2, a, m, r1, day(90))
    _lineage(j, 2, a, m, r1, day(89))
    _lineage(t["L"], 2, b, m, r1, day(10))
    _lineage(m2, 0, None, None, r2, day(500))
    # A's accreditations, the later course first (a listing not sorted by the database), one revoked.
    for course, revoked in ((k, None), (c, None), (r, datetime(2025, 3, 1, tzinfo=UTC))):
        _add(Accreditation(user=a, course=course, source="admin", granted_on=day(200), revoked_at=revoked))

    cm = _cohort(m, c, d1, "closed", 90)
    ca = _cohort(a, c, d2, "closed", 151)
    ca2 = _cohort(a, c, d2, "closed", 3)
    cancelled = _cohort(a, c, d1, "cancelled", 10)
    cb = _cohort(b, k, d3, "closed", 161)
    cg = _cohort(g, k, d3, "in_progress", 0)
    cx = _cohort(x, c, d1, "closed", 20)
    _cohort(m2, c, d3, "scheduled", -20)
    _cohort(e, c, d1, "cancelled", 5)

    tests = _tests(cm)
    _scores(tests, _enrol(cm, p["p1"], certificate="valid"), 40, 70)
    _scores(tests, _enrol(cm, p["p2"], certificate="valid"), 10, 40)
    _scores(tests, _enrol(cm, p["p3"], certificate="revoked"), 100, 100)
    _scores(tests, _enrol(cm, p["pw"], status="withdrawn"), 20)
    tests = _tests(ca)
    _scores(tests, _enrol(ca, p["p1"], certificate="valid"), 70, 90)
    _scores(tests, _enrol(ca, p["p4"], certificate="valid"), 20, 40)
    _scores(tests, _enrol(ca, p["p5"], certificate="valid"), 50, 100, submitted=(True, False))
    _enrol(ca, p["p6"], certificate="revoked")
    _enrol(ca2, p["p4"], certificate="valid")
    _enrol(cb, p["p10"], certificate="valid")
    tests = _tests(cancelled)
    _scores(tests, _enrol(cancelled, p["p7"]), 0, 100)
    tests = _tests(cg)
    _scores(tests, _enrol(cg, p["p8"]), 0, 50)
    _scores(tests, _enrol(cg, p["p9"]), 10, 90, submitted=(False, True))  # pre not submitted
    _enrol(cx, p["p9"], certificate="valid")

    _event(m, d1, 395, 5, c)
    _event(a, d2, 30, 28, c)
    _event(b, d3, 101, 4)
    _event(b, d1, 9, 12, k)
    _event(j, d1, 5, 7, c)
    _event(m2, d3, 500, 3, c)
    _db.session.flush()
    return Tree(
        r1, r2, d1, d2, d3, c, k, t, p, {"cm": cm, "ca": ca, "ca2": ca2, "cb": cb, "cg": cg, "cx": cx}
    )
