"""Each trainer's edge in the cascade follows her accreditations: who placed her (an admin, or
the lead trainer of the ToT training whose certificate accredited her), her master trainer,
her generation and region, whether an accreditation is still in force; history entered later
moves an edge and her descendants follow; a cycle is refused.

Rows are written directly (no closing, no issuance job), so each test takes a fraction of a
second: the mutation run (scripts/mutants.py, group ``lineage``) reruns them for every mutant."""

from datetime import UTC, date, datetime

import pytest

from lms.cascade import lineage
from lms.cascade.models import TrainerLineage
from lms.courses.models import Accreditation, Course
from lms.extensions import db as _db
from lms.org.models import District, Institution, Region
from tests.cascade_fixtures import _add, _cohort, _person
from tests.queries import count_queries


class World:
    """Two regions with a district each, courses to accredit for, and a way to make trainers
    placed by an admin or by a training."""

    def __init__(self) -> None:
        self.home, self.away = (
            _add(Region(code=f"L{n}", name=f"Область {n}", name_en=f"Oblast {n}")) for n in (1, 2)
        )
        self.home_district = _add(District(region=self.home, name="Район 1", name_en="Raion 1"))
        self.away_district = _add(District(region=self.away, name="Район 2", name_en="Raion 2"))
        self.school = _add(Institution(name="Школа", type="school", district=self.home_district))
        self.courses = [_add(Course(code=f"LIN-{n}", title=f"Курс {n}", days=2)) for n in range(4)]
        _db.session.flush()

    def trainer(self, name: str, *, with_institution: bool = True):
        person = _person(name, "trainer")
        if with_institution:
            person.institution = self.school
        _db.session.flush()
        return person

    def accredit(self, person, *, by_training=None, granted: date, course: int = 0, revoked: bool = False):
        """An accreditation granted by an admin, or by a certificate of ``by_training``."""
        row = _add(
            Accreditation(
                user=person,
                course=self.courses[course],
                source="admin" if by_training is None else "certificate",
                source_cohort_id=None if by_training is None else by_training.id,
                granted_on=granted,
                revoked_at=datetime(2025, 1, 1, tzinfo=UTC) if revoked else None,
            )
        )
        _db.session.flush()
        return row

    def training(self, lead, *, away: bool = True):
        """A closed ToT training led by ``lead`` (in the other region unless said)."""
        cohort = _cohort(
            lead, self.courses[0], self.away_district if away else self.home_district, "closed", 30
        )
        _db.session.flush()
        return cohort


@pytest.fixture
def world(db):
    return World()


def edge(person) -> TrainerLineage | None:
    return _db.session.get(TrainerLineage, person.id)


def placed(world, *, by=None, name="Тренерка"):
    """A trainer accredited by an admin (``by`` none) or by a training ``by`` led, her edge kept."""
    person = world.trainer(name)
    world.accredit(person, by_training=None if by is None else world.training(by), granted=date(2024, 3, 1))
    lineage.refresh_lineage(person.id)
    return person


def test_an_admin_accreditation_makes_a_master_trainer_in_her_own_region(world):
    master = world.trainer("Майстриня")
    accreditation = world.accredit(master, granted=date(2023, 9, 4))
    row = lineage.refresh_lineage(master.id)
    assert row is edge(master)
    assert (row.parent_id, row.root_id, row.generation, row.source_cohort_id) == (None, master.id, 0, None)
    assert (row.accreditation_id, row.accredited_on, row.active) == (accreditation.id, date(2023, 9, 4), True)
    assert row.region_id == world.home.id  # her institution's district's region


def test_a_master_trainer_without_an_institution_has_no_region(world):
    master = world.trainer("Майстриня", with_institution=False)
    world.accredit(master, granted=date(2023, 9, 4))
    assert lineage.refresh_lineage(master.id).region_id is None


def test_a_certificate_places_her_under_the_trainings_lead_in_the_trainings_region(world):
    master = placed(world)
    training = world.training(master)
    graduate = world.trainer("Випускниця")
    accreditation = world.accredit(graduate, by_training=training, granted=date(2024, 5, 17))
    row = lineage.refresh_lineage(graduate.id)
    assert (row.parent_id, row.root_id, row.generation) == (master.id, master.id, 1)
    assert (row.source_cohort_id, row.accreditation_id, row.accredited_on) == (
        training.id,
        accreditation.id,
        date(2024, 5, 17),
    )
    assert row.region_id == world.away.id  # where she was trained, not where she works


def test_generations_count_down_from_the_master_trainer(world):
    master = placed(world)
    first = placed(world, by=master)
    second = placed(world, by=first)
    assert [edge(p).generation for p in (master, first, second)] == [0, 1, 2]
    assert edge(second).root_id == master.id and edge(second).parent_id == first.id


def test_an_admin_accreditation_wins_over_an_earlier_certificate(world):
    master = placed(world)
    person = world.trainer("Тренерка")
    world.accredit(person, by_training=world.training(master), granted=date(2020, 1, 1), course=1)
    admin_grant = world.accredit(person, granted=date(2024, 1, 1), course=2)
    row = lineage.refresh_lineage(person.id)
    assert (row.parent_id, row.generation, row.accreditation_id) == (None, 0, admin_grant.id)
    assert row.source_cohort_id is None and row.region_id == world.home.id


def test_her_first_certificate_places_her_and_a_tie_goes_to_the_one_recorded_first(world):
    first_trainer, second_trainer = placed(world, name="Перша"), placed(world, name="Друга")
    person = world.trainer("Тренерка")
    later = world.accredit(
        person, by_training=world.training(second_trainer), granted=date(2024, 6, 1), course=1
    )
    earlier = world.accredit(
        person, by_training=world.training(first_trainer), granted=date(2024, 2, 1), course=2
    )
    assert lineage.refresh_lineage(person.id).parent_id == first_trainer.id
    later.granted_on = earlier.granted_on  # the same day: the accreditation recorded first wins
    _db.session.flush()
    row = lineage.refresh_lineage(person.id)
    assert (row.parent_id, row.accreditation_id) == (second_trainer.id, later.id)


@pytest.mark.parametrize(
    ("revoked", "in_force"),
    [((False,), True), ((True,), False), ((True, False), True), ((False, True), True), ((True, True), False)],
)
def test_her_edge_is_in_force_while_any_accreditation_is(world, revoked, in_force):
    person = world.trainer("Тренерка")
    for course, is_revoked in enumerate(revoked):
        world.accredit(person, granted=date(2024, 1, 1 + course), course=course, revoked=is_revoked)
    assert lineage.refresh_lineage(person.id).active is in_force


def test_without_an_accreditation_she_has_no_edge_and_loses_the_one_she_had(world):
    person = world.trainer("Тренерка")
    assert lineage.refresh_lineage(person.id) is None and edge(person) is None
    accreditation = world.accredit(person, granted=date(2024, 1, 1))
    lineage.refresh_lineage(person.id)
    _db.session.delete(accreditation)
    _db.session.flush()
    assert lineage.refresh_lineage(person.id) is None
    _db.session.flush()
    assert edge(person) is None


def test_a_lead_trainer_not_yet_in_the_cascade_is_placed_first(world):
    master = placed(world)
    lead = world.trainer("Тренерка")
    world.accredit(lead, by_training=world.training(master), granted=date(2024, 2, 1))  # edge not kept yet
    graduate = world.trainer("Випускниця")
    world.accredit(graduate, by_training=world.training(lead), granted=date(2024, 4, 1))
    row = lineage.refresh_lineage(graduate.id)
    assert (row.parent_id, row.root_id, row.generation) == (lead.id, master.id, 2)
    assert (edge(lead).parent_id, edge(lead).generation) == (master.id, 1)


def test_history_entered_later_moves_her_edge_and_her_descendants_follow(world):
    old_master, new_master = placed(world, name="Стара"), placed(world, name="Нова")
    middle = placed(world, by=new_master)
    moved = placed(world, by=old_master, name="Переміщена")
    child = placed(world, by=moved, name="Донька")
    grandchild = placed(world, by=child, name="Онука")
    assert [edge(p).generation for p in (moved, child, grandchild)] == [1, 2, 3]
    # A 2017 training of ``middle`` that certified ``moved`` is entered: it comes first.
    world.accredit(moved, by_training=world.training(middle), granted=date(2017, 5, 1), course=1)
    lineage.refresh_lineage(moved.id)
    assert (edge(moved).parent_id, edge(moved).generation, edge(moved).root_id) == (
        middle.id,
        2,
        new_master.id,
    )
    assert [(edge(p).generation, edge(p).root_id) for p in (child, grandchild)] == [
        (3, new_master.id),
        (4, new_master.id),
    ]
    assert edge(grandchild).parent_id == child.id  # the edges below stay; only depth and root move


def test_a_cohort_she_led_herself_cannot_accredit_her(world):
    person = placed(world, by=placed(world, name="Майстриня"))
    world.accredit(person, by_training=world.training(person), granted=date(2017, 1, 1), course=1)
    with pytest.raises(lineage.CascadeCycle):
        lineage.refresh_lineage(person.id)


def test_her_own_descendant_cannot_become_her_trainer(world):
    master = placed(world)
    child = placed(world, by=master)
    grandchild = placed(world, by=child)
    world.accredit(master, by_training=world.training(grandchild), granted=date(2017, 1, 1), course=1)
    master_grant = _db.session.query(Accreditation).filter_by(user_id=master.id, source="admin").one()
    _db.session.delete(master_grant)  # without her admin grant, the 2017 certificate would place her
    _db.session.flush()
    with pytest.raises(lineage.CascadeCycle):
        lineage.refresh_lineage(master.id)


def test_her_ancestors_run_from_her_trainer_up_to_the_master(world):
    master = placed(world)
    child = placed(world, by=master)
    grandchild = placed(world, by=child)
    assert lineage.ancestors(grandchild.id) == [child.id, master.id]
    assert lineage.ancestors(master.id) == []
    assert lineage.ancestors(world.trainer("Без ребра").id) == []


def test_rebuilding_keeps_an_edge_for_everyone_accredited_once_each(world):
    master = world.trainer("Майстриня")
    world.accredit(master, granted=date(2023, 1, 1))
    world.accredit(master, granted=date(2023, 1, 2), course=1)
    graduate = world.trainer("Випускниця")
    world.accredit(graduate, by_training=world.training(master), granted=date(2024, 1, 1))
    world.trainer("Не акредитована")
    assert lineage.rebuild_all() == 2
    assert (edge(master).generation, edge(graduate).generation, edge(graduate).parent_id) == (0, 1, master.id)


def test_an_admin_accreditation_naming_a_training_still_makes_a_master_trainer(world):
    """Imported history may note the training behind an admin's grant: the admin's word wins."""
    lead = placed(world)
    person = world.trainer("Майстриня")
    grant = world.accredit(person, granted=date(2024, 1, 1))
    grant.source_cohort_id = world.training(lead).id
    _db.session.flush()
    row = lineage.refresh_lineage(person.id)
    assert (row.parent_id, row.generation, row.source_cohort_id) == (None, 0, None)
    assert row.region_id == world.home.id


def test_two_unplaced_trainers_above_her_are_placed_on_the_way(world):
    master = placed(world)
    chain = [master]
    for generation in (1, 2, 3):  # accredited by the trainer above, no edge kept yet
        person = world.trainer(f"Покоління {generation}")
        world.accredit(person, by_training=world.training(chain[-1]), granted=date(2024, 1, generation))
        chain.append(person)
    lineage.refresh_lineage(chain[-1].id)
    assert [(edge(p).generation, edge(p).root_id) for p in chain] == [(g, master.id) for g in range(4)]


def test_one_refresh_places_at_most_fifty_unplaced_trainers_above_her_and_a_rebuild_places_all(world):
    master = placed(world)
    chain = [master]
    for generation in range(1, 61):
        person = _person(f"Покоління {generation}", "trainer")
        _db.session.flush()
        cohort = _cohort(chain[-1], world.courses[0], world.home_district, "closed", 30)
        _db.session.flush()
        _add(
            Accreditation(
                user=person,
                course=world.courses[0],
                source="certificate",
                source_cohort_id=cohort.id,
                granted_on=date(2024, 1, 1),
            )
        )
        chain.append(person)
    _db.session.flush()
    lineage.refresh_lineage(chain[-1].id)  # she and the fifty above her, no deeper: a guard, not a limit
    assert [p.id for p in chain if edge(p) is not None] == [p.id for p in [master, *chain[-51:]]]
    assert lineage.rebuild_all() == 61
    assert [edge(p).generation for p in chain] == list(range(61))
    assert {edge(p).root_id for p in chain} == {master.id}


def test_ancestors_stop_after_a_hundred_on_a_broken_chain(world):
    """A cycle written around the checks (two rows naming each other) cannot hang a page."""
    first, second = world.trainer("Перша"), world.trainer("Друга")
    for person, parent in ((first, second), (second, first)):
        _add(
            TrainerLineage(
                user_id=person.id,
                parent_id=parent.id,
                root_id=parent.id,
                generation=1,
                accredited_on=date(2024, 1, 1),
            )
        )
    _db.session.flush()
    chain = lineage.ancestors(first.id)
    assert len(chain) == 100 and chain[:3] == [second.id, first.id, second.id]


def test_a_refresh_that_moves_nothing_reads_no_descendants(world):
    master = placed(world)
    child = placed(world, by=master)
    placed(world, by=child)
    with count_queries() as statements:
        lineage.refresh_lineage(child.id)
    assert not [s for s in statements if "parent_id IN" in s]
