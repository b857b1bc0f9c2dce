"""factory_boy factories for test data; bound to the per-test session by ``conftest.db``."""

from datetime import date, time, timedelta

import factory
from factory.alchemy import SQLAlchemyModelFactory

from lms.accounts.models import User
from lms.cohorts.models import Cohort, Enrollment, TrainingSession
from lms.courses.models import Accreditation, Course, CourseModule
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


@registered
class CourseFactory(Base):
    class Meta:
        model = Course

    code = factory.Sequence(lambda n: f"C-{n}")
    title = factory.Sequence(
        lambda n: f"Процедура встановлення статусу особи, яка постраждала від торгівлі людьми {n}"
    )
    title_en = factory.Sequence(
        lambda n: f"Procedure for establishing the status of a victim of trafficking {n}"
    )
    days = 2
    is_tot = False
    min_attendance_percent = 80
    pass_mark_percent = 70

    @factory.post_generation
    def modules(self, create, extracted, **kwargs):
        """``modules=[("title", hours), ...]``; by default three modules a day."""
        wanted = (
            extracted if extracted is not None else [(f"Модуль {i + 1}", 2.5) for i in range(self.days * 3)]
        )
        self.modules = [
            CourseModule(position=i + 1, title=title, title_en=f"Module {i + 1}", hours=hours)
            for i, (title, hours) in enumerate(wanted)
        ]


@registered
class AccreditationFactory(Base):
    class Meta:
        model = Accreditation

    user = factory.SubFactory(UserFactory, roles=["trainer"])
    course = factory.SubFactory(CourseFactory)
    source = "admin"
    granted_on = factory.LazyFunction(date.today)


@registered
class CohortFactory(Base):
    """A scheduled cohort led by an accredited trainer, without sessions unless asked."""

    class Meta:
        model = Cohort

    course = factory.SubFactory(CourseFactory)
    lead_trainer = factory.SubFactory(UserFactory, roles=["trainer"])
    district = factory.SubFactory(DistrictFactory)
    venue = "Зала засідань районної державної адміністрації"
    start_date = factory.LazyFunction(lambda: date.today() + timedelta(days=14))
    end_date = factory.LazyAttribute(lambda o: o.start_date + timedelta(days=o.course.days - 1))
    capacity = 25
    status = "scheduled"

    @factory.post_generation
    def accredited(self, create, extracted, **kwargs):
        if extracted is not False:
            AccreditationFactory(user=self.lead_trainer, course=self.course)

    @factory.post_generation
    def with_sessions(self, create, extracted, **kwargs):
        """``with_sessions=True`` adds one 09:00–17:00 session per day."""
        if extracted:
            day = self.start_date
            while day <= self.end_date:
                self.sessions.append(TrainingSession(date=day, starts_at=time(9), ends_at=time(17)))
                day += timedelta(days=1)


@registered
class TrainingSessionFactory(Base):
    class Meta:
        model = TrainingSession

    cohort = factory.SubFactory(CohortFactory)
    date = factory.LazyAttribute(lambda o: o.cohort.start_date)
    starts_at = time(9)
    ends_at = time(17)


@registered
class EnrollmentFactory(Base):
    class Meta:
        model = Enrollment

    cohort = factory.SubFactory(CohortFactory)
    user = factory.SubFactory(UserFactory)
    status = "enrolled"
