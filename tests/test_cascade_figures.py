"""The cascade's figures over a small tree built by hand, each checked against values worked
out on paper (issue #12: the mutation run showed most of ``lms.cascade.metrics`` untested).

The rows are written directly (no factories, no closing, no issuance job; two flushes) so that
every test stays well under a second: mutation testing reruns them for every mutant they cover. N = 90 days;
TODAY is fixed, so H (the horizon) = TODAY − 90.

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

Regions: R1 holds districts D1 and D2, R2 holds D3. Course C unless said.

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

import pytest

from lms.accounts.models import User
from lms.assessments.models import Attempt, CohortTest
from lms.cascade import metrics
from lms.cascade.models import StepDownEvent, TrainerLineage
from lms.certificates.models import Certificate
from lms.cohorts.models import Cohort, Enrollment
from lms.courses.models import Accreditation, Course
from lms.extensions import db as _db
from lms.org.models import District, Region

TODAY = date(2025, 6, 30)
N = 90
HORIZON = TODAY - timedelta(days=N)
_serial = count(1)


def _day(days_ago: int) -> date:
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
    start = _day(start_days_ago)
    return _add(
        Cohort(
            lead_trainer=lead,
            course=course,
            district=district,
            venue="Зала",
            status=status,
            start_date=start,
            end_date=start + timedelta(days=1),
        )
    )


def _enrol(cohort, person, *, status="enrolled", certificate=None) -> Enrollment:
    enrollment = _add(Enrollment(cohort=cohort, user=person, status=status))
    if certificate is not None:
        number = next(_serial)
        _add(
            Certificate(
                enrollment=enrollment,
                user=person,
                cohort=cohort,
                kind="participation",
                prefix="TST",
                year=2025,
                number=number,
                serial=f"TST-2025-{number:06d}",
                verification_code=f"code{number:06d}",
                status=certificate,
                revoked_reason="Помилка" if certificate == "revoked" else None,
                holder_name=person.full_name,
                holder_name_latin="",
                course_code="",
                course_title="",
                course_title_en="",
                start_date=cohort.start_date,
                issued_on=cohort.end_date,
                hours=15,
                lead_trainer_name="",
                organisation="",
                organisation_en="",
                verification_url="",
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
            date=_day(days_ago),
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
    _lineage(m, 0, None, None, r1, _day(400))
    _lineage(a, 1, m, m, r1, _day(200))
    _lineage(b, 1, m, m, r2, _day(100))
    _lineage(t["S"], 1, m, m, r1, _day(300), active=False)
    _lineage(e, 1, m, m, r1, _day(150))
    _lineage(g, 2, a, m, r1, _day(90))
    _lineage(j, 2, a, m, r1, _day(89))
    _lineage(t["L"], 2, b, m, r1, _day(10))
    _lineage(m2, 0, None, None, r2, _day(500))
    # A's accreditations, the later course first (a listing not sorted by the database), one revoked.
    for course, revoked in ((k, None), (c, None), (r, datetime(2025, 3, 1, tzinfo=UTC))):
        _add(Accreditation(user=a, course=course, source="admin", granted_on=_day(200), revoked_at=revoked))

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


@pytest.fixture
def tree(db, app, monkeypatch) -> Tree:
    monkeypatch.setitem(app.config, "CASCADE_ACTIVATION_DAYS", N)
    return build_tree()


def _rows(figures: metrics.Figures | list) -> dict:
    rows = figures.by_generation if isinstance(figures, metrics.Figures) else figures
    return {
        r.generation: (r.trainers, r.people, r.headcount, r.cohorts, r.normalized_gain, r.gain_participants)
        for r in rows
    }


# --- who is in scope ------------------------------------------------------------------------------


def test_a_subtree_is_the_trainer_and_everyone_below_her(tree):
    def below(letter):
        return set(_db.session.scalars(metrics.subtree(tree.t[letter].id)))

    assert below("A") == tree.ids("A", "G", "J")
    assert below("M") == tree.ids("M", "A", "B", "S", "E", "G", "J", "L")
    assert below("G") == tree.ids("G")
    assert below("M2") == tree.ids("M2")


def test_a_scopes_regions_are_its_region_and_its_list_together():
    assert metrics.Scope().regions() is None
    assert metrics.Scope(region_id=7).regions() == (7,)
    assert metrics.Scope(region_ids=(8,)).regions() == (8,)
    assert sorted(metrics.Scope(region_id=7, region_ids=(8, 9)).regions()) == [7, 8, 9]
    assert metrics.Scope(region_ids=()).regions() == ()


def test_the_trainers_in_scope_are_a_subtree_or_a_regions_or_everyone(tree):
    def trainers(**scope):
        return set(_db.session.scalars(metrics.Scope(**scope).trainers()))

    everyone = tree.ids("M", "A", "B", "S", "E", "G", "J", "L", "M2")
    assert trainers() == everyone
    assert trainers(trainer_id=tree.t["A"].id) == tree.ids("A", "G", "J")
    assert trainers(region_id=tree.r1.id) == tree.ids("M", "A", "S", "E", "G", "J", "L")
    assert trainers(region_ids=(tree.r2.id,)) == tree.ids("B", "M2")
    assert trainers(region_id=tree.r1.id, region_ids=(tree.r2.id,)) == everyone
    # A subtree wins over a region.
    assert trainers(trainer_id=tree.t["A"].id, region_id=tree.r2.id) == tree.ids("A", "G", "J")


def test_children_are_the_trainers_she_certified(tree):
    assert {row.user_id for row in metrics.children(tree.t["M"].id)} == tree.ids("A", "B", "S", "E")
    assert metrics.children(tree.t["G"].id) == []


# --- reach ----------------------------------------------------------------------------------------


def test_reach_counts_a_person_once_across_generations(tree):
    figures = metrics.reach(metrics.Scope())
    # p1 (twice), p2, p4 (twice), p5, p10; not p3 or p6 (revoked), pw (withdrawn), p9 (trained
    # outside the cascade).
    assert figures.reach_named == 5
    assert figures.reach_headcount == 5 + 28 + 4 + 12 + 7 + 3
    assert figures.reach_total == 5 + 59
    # generation: (trainers, people, headcount, cohorts, gain, participants with a gain)
    assert _rows(figures) == {
        0: (2, 2, 5 + 3, 1, 0.417, 2),  # (1/2 + 1/3) / 2; p3's pre-test of 100 has no gain
        1: (4, 4, 28 + 4 + 12, 3, 0.458, 2),  # (2/3 + 1/4) / 2; p5's post-test not submitted
        2: (3, 0, 7, 0, 0.5, 1),  # p8 in G's training, still in progress
    }


def test_reach_of_a_subtree_is_what_her_trainers_delivered(tree):
    figures = metrics.reach(metrics.Scope(trainer_id=tree.t["A"].id))
    assert (figures.reach_named, figures.reach_headcount) == (3, 28 + 7)
    assert _rows(figures) == {1: (1, 3, 28, 2, 0.458, 2), 2: (2, 0, 7, 0, 0.5, 1)}


def test_reach_of_a_region_is_what_was_delivered_there_whoever_delivered_it(tree):
    home = metrics.reach(metrics.Scope(region_id=tree.r1.id))
    # B belongs to R2, but her event of 12 was in D1; her training and M2's event were in R2.
    assert (home.reach_named, home.reach_headcount) == (4, 5 + 28 + 12 + 7)
    assert _rows(home) == {
        0: (1, 2, 5, 1, 0.417, 2),
        1: (3, 3, 40, 2, 0.458, 2),
        2: (3, 0, 7, 0, None, 0),
    }
    other = metrics.reach(metrics.Scope(region_ids=(tree.r2.id,)))
    assert (other.reach_named, other.reach_headcount) == (1, 4 + 3)
    # Generation 2 has no trainer, person or event in R2: only G's training there, with its gain.
    assert _rows(other) == {0: (1, 0, 3, 0, None, 0), 1: (1, 1, 4, 1, None, 0), 2: (0, 0, 0, 0, 0.5, 1)}
    both = metrics.reach(metrics.Scope(region_id=tree.r1.id, region_ids=(tree.r2.id,)))
    assert (both.reach_named, both.reach_headcount) == (5, 59)


def test_reach_in_a_period_includes_both_of_its_days(tree):
    # cm ended T−89 and ca T−150; B's first event was T−101.
    inside = metrics.reach(metrics.Scope(start=_day(150), end=_day(89)))
    assert (inside.reach_named, inside.reach_headcount) == (4, 4)
    assert {g: row[3] for g, row in _rows(inside).items()} == {0: 1, 1: 1, 2: 0}
    shorter = metrics.reach(metrics.Scope(start=_day(149), end=_day(90)))
    assert (shorter.reach_named, shorter.reach_headcount) == (0, 4)
    assert metrics.reach(metrics.Scope(start=_day(2))).reach_named == 1  # ca2 (p4) ended T−2
    assert metrics.gain_by_generation(metrics.Scope(end=_day(89))) == [(0, 0.417, 2), (1, 0.458, 2)]
    assert metrics.gain_by_generation(metrics.Scope(start=_day(88))) == [(2, 0.5, 1)]


def test_reach_of_some_courses_counts_only_their_trainings_and_events(tree):
    # Course K: B's training (p10) and her event of 12; G's training has no certificate yet.
    only_k = metrics.reach(metrics.Scope(course_ids=(tree.k.id,)))
    assert (only_k.reach_named, only_k.reach_headcount) == (1, 12)
    # Course C: not B's event without a course.
    only_c = metrics.reach(metrics.Scope(course_ids=(tree.c.id,)))
    assert (only_c.reach_named, only_c.reach_headcount) == (4, 5 + 28 + 7 + 3)
    gains = metrics.gain_by_generation(metrics.Scope(course_ids=(tree.c.id,)))
    assert gains == [(0, 0.417, 2), (1, 0.458, 2)]


def test_reach_by_generation_gives_people_and_headcounts_without_trainers_or_gains(tree):
    rows = metrics.reach_by_generation(metrics.Scope())
    assert [r.generation for r in rows] == [0, 1, 2]
    assert _rows(rows) == {
        0: (0, 2, 8, 1, None, 0),
        1: (0, 4, 44, 3, None, 0),
        2: (0, 0, 7, 0, None, 0),
    }
    assert _rows(metrics.reach_by_generation(metrics.Scope(region_ids=(tree.r2.id,)))) == {
        0: (0, 0, 3, 0, None, 0),
        1: (0, 1, 4, 1, None, 0),
    }
    assert metrics.reach_by_generation(metrics.Scope(start=TODAY + timedelta(days=2))) == []


def test_gain_is_the_mean_normalized_gain_of_participants_with_both_tests_submitted(tree):
    # Not p3 (pre-test 100), pw (no post-test), p5 (post not submitted), p9 (pre not submitted),
    # p7 (training cancelled).
    assert metrics.gain_by_generation(metrics.Scope()) == [(0, 0.417, 2), (1, 0.458, 2), (2, 0.5, 1)]
    assert metrics.gain_by_generation(metrics.Scope(trainer_id=tree.t["G"].id)) == [(2, 0.5, 1)]
    assert metrics.gain_by_generation(metrics.Scope(trainer_id=tree.t["E"].id)) == []


# --- activation and dormancy ----------------------------------------------------------------------


def test_activation_counts_trainers_in_force_accredited_at_least_n_days_ago(tree):
    figures = metrics.activation(metrics.Scope(), TODAY)
    # In force: all but S. Eligible: all but J (accredited T−89) and L (T−10). Active within 90
    # days of being accredited: M (event T−395), A (training T−151), G (training on day 90
    # exactly), M2 (an event on the day she was accredited); not B (her first delivery after
    # accreditation is on day 91; the ones before it do not count) nor E (nothing).
    assert figures == {
        "by_generation": [
            {"generation": 0, "eligible": 2, "active": 2, "rate": 1.0},
            {"generation": 1, "eligible": 3, "active": 1, "rate": 0.333},
            {"generation": 2, "eligible": 1, "active": 1, "rate": 1.0},
        ],
        "master_trainers": 2,
        "trainers_accredited": 8,
        "eligible": 6,
        "active_trainers": 4,
        "activation_rate": 0.667,
        # E delivered nothing; M2 nothing since T−500. Not M (her training started on T−90 = H),
        # B (T−9), A (T−3; not the cancelled one), G, nor J and L (accredited too recently).
        "dormant_ids": sorted(tree.ids("E", "M2")),
        "activation_days": N,
    }


def test_activation_of_a_region_or_a_subtree_counts_only_its_trainers(tree):
    home = metrics.activation(metrics.Scope(region_id=tree.r1.id), TODAY)
    assert (home["master_trainers"], home["trainers_accredited"], home["eligible"]) == (1, 6, 4)
    assert (home["active_trainers"], home["activation_rate"]) == (3, 0.75)
    assert home["dormant_ids"] == [tree.t["E"].id]
    other = metrics.activation(metrics.Scope(region_ids=(tree.r2.id,)), TODAY)
    assert (other["master_trainers"], other["trainers_accredited"], other["eligible"]) == (1, 2, 2)
    assert (other["active_trainers"], other["activation_rate"]) == (1, 0.5)
    assert other["by_generation"] == [
        {"generation": 0, "eligible": 1, "active": 1, "rate": 1.0},
        {"generation": 1, "eligible": 1, "active": 0, "rate": 0.0},
    ]
    below_a = metrics.activation(metrics.Scope(trainer_id=tree.t["A"].id), TODAY)
    assert (below_a["master_trainers"], below_a["trainers_accredited"], below_a["eligible"]) == (0, 3, 2)
    assert below_a["dormant_ids"] == []


def test_activation_up_to_an_end_date_leaves_out_trainers_accredited_after_it(tree):
    figures = metrics.activation(metrics.Scope(end=_day(100)), TODAY)
    assert figures["trainers_accredited"] == 5  # M, A, B (on T−100 itself), E, M2
    assert figures["eligible"] == 5


def test_activation_with_no_one_eligible_has_no_rate(tree):
    figures = metrics.activation(metrics.Scope(trainer_id=tree.t["J"].id), TODAY)
    assert figures["trainers_accredited"] == 1 and figures["eligible"] == 0
    assert figures["activation_rate"] is None and figures["by_generation"] == []


def test_the_activation_window_follows_the_configured_number_of_days(tree, app, monkeypatch):
    monkeypatch.setitem(app.config, "CASCADE_ACTIVATION_DAYS", 30)
    figures = metrics.activation(metrics.Scope(), TODAY)
    # Eligible: everyone in force but L (T−10). Active within 30 days: only M and M2.
    assert (figures["activation_days"], figures["eligible"], figures["active_trainers"]) == (30, 7, 2)
    # Dormant: nothing since T−30: E, M2, M (T−90); not A (T−3), B (T−9), G (T), J (T−5).
    assert figures["dormant_ids"] == sorted(tree.ids("E", "M2", "M"))


def test_the_activation_window_is_ninety_days_when_not_configured(db, app, monkeypatch):
    monkeypatch.delitem(app.config, "CASCADE_ACTIVATION_DAYS")
    assert metrics.activation_days() == 90


@pytest.mark.parametrize(("start_days_ago", "dormant"), [(N, False), (N + 1, True)])
def test_a_training_started_n_days_ago_keeps_its_trainer_from_dormancy_and_one_a_day_earlier_does_not(
    tree, start_days_ago, dormant
):
    tree.cohorts["cm"].start_date = _day(start_days_ago)
    _db.session.flush()
    master = tree.t["M"]
    assert metrics.trainer_figures(master.id, TODAY)["dormant"] is dormant
    assert (master.id in metrics.activation(metrics.Scope(), TODAY)["dormant_ids"]) is dormant


def test_dormancy_is_decided_by_her_own_deliveries_in_force_and_after_n_days(tree):
    def dormant(letter):
        return metrics.trainer_figures(tree.t[letter].id, TODAY)["dormant"]

    assert dormant("E") is True  # her cancelled training and others' deliveries do not count
    assert dormant("M2") is True  # a scheduled training does not count
    assert dormant("A") is False and dormant("B") is False and dormant("G") is False
    assert dormant("J") is False and dormant("L") is False  # accredited T−89 and T−10
    assert dormant("S") is False  # suspended
    # Accredited exactly N days ago with nothing delivered: dormant.
    _db.session.get(TrainerLineage, tree.t["J"].id).accredited_on = HORIZON
    _db.session.execute(StepDownEvent.__table__.delete().where(StepDownEvent.trainer_id == tree.t["J"].id))
    assert dormant("J") is True


# --- one trainer ----------------------------------------------------------------------------------


def test_a_trainers_figures_are_her_own_deliveries_and_her_subtrees_reach(tree):
    a = tree.t["A"]
    figures = metrics.trainer_figures(a.id, TODAY)
    assert figures == {
        "user_id": a.id,
        "generation": 1,
        "parent_id": tree.t["M"].id,
        "root_id": tree.t["M"].id,
        "active": True,
        "accredited_course_ids": sorted([tree.c.id, tree.k.id]),  # not the revoked one
        "cohorts_delivered": 2,  # ca and ca2, not the cancelled one
        "trainers_certified": 2,  # G and J
        "direct_reach": 3 + 28,  # p1, p4 (twice), p5 — not p6 (revoked) — and her event
        "total_reach": 3 + 28 + 7,
        "reach_by_generation": [
            {"generation": 1, "relative": 0, "people": 3, "headcount": 28},
            {"generation": 2, "relative": 1, "people": 0, "headcount": 7},
        ],
        "dormant": False,
    }


def test_a_master_trainers_figures_cover_the_whole_tree_below_her(tree):
    m = tree.t["M"]
    figures = metrics.trainer_figures(m.id, TODAY)
    assert (figures["generation"], figures["parent_id"], figures["root_id"]) == (0, None, m.id)
    assert figures["direct_reach"] == 2 + 5  # p1, p2 and her event
    assert figures["total_reach"] == 5 + 5 + 28 + 4 + 12 + 7
    assert figures["trainers_certified"] == 4 and figures["cohorts_delivered"] == 1
    assert figures["accredited_course_ids"] == []
    by_generation = [
        (g["generation"], g["relative"], g["people"], g["headcount"]) for g in figures["reach_by_generation"]
    ]
    assert by_generation == [(0, 0, 2, 5), (1, 1, 4, 44), (2, 2, 0, 7)]


def test_a_trainer_who_delivered_nothing_has_nothing_to_show(tree):
    e = tree.t["E"]
    figures = metrics.trainer_figures(e.id, TODAY)
    assert (figures["direct_reach"], figures["total_reach"], figures["cohorts_delivered"]) == (0, 0, 0)
    assert figures["trainers_certified"] == 0 and figures["dormant"] is True
    assert figures["reach_by_generation"] == [{"generation": 1, "relative": 0, "people": 0, "headcount": 0}]


def test_a_suspended_trainer_is_shown_not_in_force(tree):
    figures = metrics.trainer_figures(tree.t["S"].id, TODAY)
    assert figures["active"] is False and figures["dormant"] is False and figures["generation"] == 1


def test_someone_outside_the_cascade_has_empty_figures(tree):
    person = tree.p["p1"]
    assert metrics.trainer_figures(person.id, TODAY) == {
        "user_id": person.id,
        "generation": None,
        "parent_id": None,
        "root_id": None,
        "active": False,
        "accredited_course_ids": [],
        "cohorts_delivered": 0,
        "trainers_certified": 0,
        "direct_reach": 0,
        "total_reach": 0,
        "reach_by_generation": [],
        "dormant": False,
    }


def test_the_trainers_she_certified_each_show_what_they_delivered_themselves(tree):
    figures = {
        child.lineage.user_id: (child.people, child.headcount, child.cohorts, child.certified)
        for child in metrics.children_figures(tree.t["M"].id)
    }
    # (people, headcount, trainings delivered, trainers certified)
    assert figures == {
        tree.t["A"].id: (3, 28, 2, 2),  # p1, p4 (twice), p5; ca and ca2; G and J
        tree.t["B"].id: (1, 16, 1, 1),  # p10; cb; L
        tree.t["S"].id: (0, 0, 0, 0),
        tree.t["E"].id: (0, 0, 0, 0),  # her cancelled training is not delivered
    }
    below_a = {child.lineage.user_id: child for child in metrics.children_figures(tree.t["A"].id)}
    assert set(below_a) == tree.ids("G", "J")
    assert (below_a[tree.t["G"].id].cohorts, below_a[tree.t["J"].id].headcount) == (1, 7)
    assert below_a[tree.t["G"].id].lineage.user.full_name == "Тренер G"
    assert metrics.children_figures(tree.t["G"].id) == []
