"""factory_boy factories for test data; bound to the per-test session by ``conftest.db``."""

import factory
from factory.alchemy import SQLAlchemyModelFactory

from lms.accounts.models import User
from lms.org.models import Community, District, Institution, Region

PASSWORD = "correct horse battery"  # noqa: S105 - test data

_factories: list[type[SQLAlchemyModelFactory]] = []


def bind(session) -> None:
    for factory_class in _factories:
        factory_class._meta.sqlalchemy_session = session


def registered(cls):
    _factories.append(cls)
    return cls


class Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_persistence = "flush"


@registered
class RegionFactory(Base):
    class Meta:
        model = Region

    code = factory.Sequence(lambda n: f"T-{n}")
    name = factory.Sequence(lambda n: f"Тестова область {n}")
    name_en = factory.Sequence(lambda n: f"Test Oblast {n}")
    kind = "oblast"


@registered
class DistrictFactory(Base):
    class Meta:
        model = District

    region = factory.SubFactory(RegionFactory)
    name = factory.Sequence(lambda n: f"Тестовий район {n}")
    name_en = factory.Sequence(lambda n: f"Test Raion {n}")


@registered
class CommunityFactory(Base):
    class Meta:
        model = Community

    district = factory.SubFactory(DistrictFactory)
    name = factory.Sequence(lambda n: f"Громада {n}")
    name_en = factory.Sequence(lambda n: f"Hromada {n}")
    kind = "rural"


@registered
class InstitutionFactory(Base):
    class Meta:
        model = Institution

    district = factory.SubFactory(DistrictFactory)
    name = factory.Sequence(lambda n: f"Центр соціальних служб {n}")
    type = "social_services_centre"


@registered
class UserFactory(Base):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    full_name = factory.Sequence(lambda n: f"Олена Шевченко {n}")
    full_name_latin = factory.Sequence(lambda n: f"Olena Shevchenko {n}")
    active = True

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        self.set_roles(extracted or ["participant"])

    @factory.post_generation
    def regions(self, create, extracted, **kwargs):
        if extracted:
            self.regions = list(extracted)

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or PASSWORD)
