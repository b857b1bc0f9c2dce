"""The demo programme: a Cherkasy-oblast anti-trafficking training cascade (see shared/seeds).

``load_demo()`` is what ``lms seed demo`` runs. It is built from the programme documents: the
BO "From heart to heart" trainings for district specialists of the departments of family, youth
and sports and of the centres of social services, multidisciplinary groups (MDGs) in districts,
and the IOM school programme in Lviv and Ivano-Frankivsk oblasts.
"""

import importlib
import json
import random
from pathlib import Path

from sqlalchemy import select

from lms.accounts import services as accounts
from lms.accounts.models import User
from lms.extensions import db
from lms.org.models import Community, District, Institution, Region
from lms.reports.kept import cohorts as kept_cohorts
from lms.reports.kept import people as kept_people

DATA = Path(__file__).parent / "data"
PASSWORD = "cascade-demo"  # noqa: S105 - printed for the demo on purpose  # nosec B105
DEMO_LOGINS = {
    "password": PASSWORD,
    "users": [
        ("admin", "admin@cascade.demo"),
        # As the README names them: the master trainer heads the cascade (generation 0).
        ("coordinator (Cherkasy oblast)", "koordynator.cherkasy@cascade.demo"),
        ("master trainer", "n.bondarenko@cascade.demo"),
        ("trainer", "o.melnyk@cascade.demo"),
        ("participant", "uchasnyk@cascade.demo"),
    ],
}

# (district name, institution name, type) for the demo regions.
INSTITUTIONS = [
    ("Черкаський район", "Департамент соціальної політики Черкаської ОДА", "social_protection"),
    (
        "Черкаський район",
        "Управління у справах сім'ї, молоді та спорту Черкаської ОДА",
        "family_youth_sports",
    ),
    ("Черкаський район", "Черкаський обласний центр соціальних служб", "social_services_centre"),
    (
        "Черкаський район",
        "Служба у справах дітей Черкаської районної державної адміністрації",
        "children_service",
    ),
    ("Черкаський район", "Смілянська загальноосвітня школа-інтернат І-ІІІ ступенів", "boarding_school"),
    ("Черкаський район", "Благодійна організація «Від серця до серця»", "ngo"),
    (
        "Уманський район",
        "Відділ у справах сім'ї, молоді та спорту Уманської районної державної адміністрації",
        "family_youth_sports",
    ),
    ("Уманський район", "Уманський районний центр соціальних служб", "social_services_centre"),
    ("Уманський район", "Уманська загальноосвітня санаторна школа-інтернат", "boarding_school"),
    ("Золотоніський район", "Золотоніський районний центр соціальних служб", "social_services_centre"),
    (
        "Золотоніський район",
        "Служба у справах дітей Золотоніської районної державної адміністрації",
        "children_service",
    ),
    ("Звенигородський район", "Звенигородський районний центр соціальних служб", "social_services_centre"),
    ("Звенигородський район", "Шполянський ліцей № 1", "school"),
    ("Львівський район", "Львівський обласний центр соціальних служб", "social_services_centre"),
    ("Стрийський район", "Стрийська загальноосвітня школа І-ІІІ ступенів № 2", "school"),
    (
        "Івано-Франківський район",
        "Івано-Франківський обласний центр соціальних служб",
        "social_services_centre",
    ),
    ("Коломийський район", "Коломийська гімназія імені Михайла Грушевського", "school"),
]

STAFF = [
    # (email, full name, roles, region codes, district, institution prefix, position)
    ("admin@cascade.demo", "Олена Коваль", ["admin"], [], None, None, "Адміністраторка платформи"),
    (
        "koordynator.cherkasy@cascade.demo",
        "Ірина Ковалевська",
        ["coordinator"],
        ["UA-71"],
        "Черкаський район",
        "Благодійна організація",
        "Регіональна координаторка програми ПТЛ",
    ),
    (
        "koordynator.zakhid@cascade.demo",
        "Богдан Гнатюк",
        ["coordinator"],
        ["UA-46", "UA-26"],
        "Львівський район",
        "Львівський обласний",
        "Координатор компонента «Розвиток громад»",
    ),
    (
        "n.bondarenko@cascade.demo",
        "Наталія Бондаренко",
        ["trainer", "participant"],
        [],
        "Черкаський район",
        "Черкаський обласний",
        "Провідна тренерка, психологиня",
    ),
    (
        "a.shevchuk@cascade.demo",
        "Андрій Шевчук",
        ["trainer", "participant"],
        [],
        "Черкаський район",
        "Департамент соціальної політики",
        "Головний спеціаліст з питань протидії торгівлі людьми",
    ),
    (
        "o.melnyk@cascade.demo",
        "Оксана Мельник",
        ["trainer", "participant"],
        [],
        "Уманський район",
        "Уманський районний центр",
        "Фахівчиня із соціальної роботи",
    ),
    (
        "v.tkachenko@cascade.demo",
        "Віктор Ткаченко",
        ["trainer", "participant"],
        [],
        "Золотоніський район",
        "Золотоніський районний центр",
        "Соціальний працівник",
    ),
    (
        "uchasnyk@cascade.demo",
        "Юлія Савчук",
        ["participant"],
        [],
        "Звенигородський район",
        "Звенигородський районний центр",
        "Фахівчиня із соціальної роботи",
    ),
]

# Specialists as district lists write them: surname first, with the patronymic, and initials
# (Ґ, Є, І, Ї) that a code-point sort would put before А. The people list shows them in place.
OFFICIAL_ORDER_PEOPLE = [
    ("gudz.ya@cascade.demo", "Ґудзь Яна Олегівна", "Фахівчиня із соціальної роботи"),
    ("yevtushenko.m@cascade.demo", "Євтушенко Марія Іванівна", "Начальниця служби у справах дітей"),
    ("ivanenko.o@cascade.demo", "Іваненко Олег Петрович", "Дільничний офіцер поліції"),
    ("yizhakevych.l@cascade.demo", "Їжакевич Лариса Андріївна", "Соціальна педагогиня"),
    ("andriichuk.s@cascade.demo", "Андрійчук Світлана Василівна", "Психологиня центру соціальних служб"),
    (
        "hnatiuk.r@cascade.demo",
        "Гнатюк Роман Миколайович",
        "Фахівець відділу у справах сім'ї, молоді та спорту",
    ),
]

FIRST_NAMES_F = [
    "Олена",
    "Тетяна",
    "Наталія",
    "Світлана",
    "Ірина",
    "Людмила",
    "Галина",
    "Оксана",
    "Марія",
    "Юлія",
    "Ганна",
    "Вікторія",
    "Катерина",
    "Лариса",
    "Алла",
    "Зоряна",
    "Христина",
    "Ярослава",
]
FIRST_NAMES_M = [
    "Олександр",
    "Сергій",
    "Андрій",
    "Василь",
    "Микола",
    "Іван",
    "Дмитро",
    "Юрій",
    "Богдан",
    "Тарас",
    "Віталій",
    "Роман",
]
SURNAMES = [
    "Шевченко",
    "Бойко",
    "Коваленко",
    "Кравченко",
    "Олійник",
    "Ткачук",
    "Поліщук",
    "Лисенко",
    "Мороз",
    "Марченко",
    "Руденко",
    "Савченко",
    "Гончаренко",
    "Петренко",
    "Климченко",
    "Левченко",
    "Кузьменко",
    "Дяченко",
    "Пономаренко",
    "Заїка",
    "Гуменюк",
    "Ярошенко",
    "Приходько",
    "Кушнір",
]
POSITIONS = [
    "Головний спеціаліст відділу у справах сім'ї",
    "Фахівець із соціальної роботи",
    "Спеціаліст служби у справах дітей",
    "Практичний психолог",
    "Соціальний педагог",
    "Вихователь школи-інтернату",
    "Заступник директора з виховної роботи",
    "Дільничний офіцер поліції",
]


def load_geography() -> int:
    """All regions, districts and the demo regions' communities; safe to run again."""
    data = json.loads((DATA / "geography.json").read_text(encoding="utf-8"))
    existing = {r.code: r for r in db.session.scalars(select(Region))}
    created = 0
    for item in data["regions"]:
        region = existing.get(item["code"])
        if region is None:
            region = Region(code=item["code"], name=item["name"], name_en=item["name_en"], kind=item["kind"])
            db.session.add(region)
            created += 1
        districts = {d.name: d for d in region.districts}
        for d in item["districts"]:
            district = districts.get(d["name"])
            if district is None:
                district = District(name=d["name"], name_en=d["name_en"])
                region.districts.append(district)
            communities = {c.name for c in district.communities}
            for c in d.get("communities", []):
                if c["name"] not in communities:
                    district.communities.append(
                        Community(name=c["name"], name_en=c["name_en"], kind=c["kind"])
                    )
    db.session.flush()
    return created


def _district(name: str) -> District:
    return db.session.scalars(select(District).where(District.name == name)).one()


def load_institutions() -> dict[str, Institution]:
    institutions = {}
    for district_name, name, type_ in INSTITUTIONS:
        district = _district(district_name)
        institution = db.session.scalars(
            select(Institution).where(Institution.district_id == district.id, Institution.name == name)
        ).first()
        if institution is None:
            institution = Institution(name=name, type=type_, district_id=district.id)
            db.session.add(institution)
        institutions[name] = institution
    db.session.flush()
    return institutions


def _institution(institutions: dict[str, Institution], prefix: str | None) -> int | None:
    if prefix is None:
        return None
    return next(i.id for name, i in institutions.items() if name.startswith(prefix))


def load_people(institutions: dict[str, Institution], participants: int = 60) -> dict[str, User]:
    regions = {r.code: r.id for r in db.session.scalars(select(Region))}
    people: dict[str, User] = {}
    for email, name, roles, region_codes, _district_name, institution_prefix, position in STAFF:
        user = accounts.find_user_by_email(email) or accounts.create_user(
            by=None,
            email=email,
            full_name=name,
            roles=roles,
            password=PASSWORD,
            position=position,
            institution_id=_institution(institutions, institution_prefix),
            region_ids=[regions[c] for c in region_codes],
        )
        people[email] = user
    rng = random.Random(2026)  # reproducible demo names, not security  # nosec B311
    cherkasy = [i for i in institutions.values() if i.district.region.code == "UA-71"]
    for n, (email, name, position) in enumerate(OFFICIAL_ORDER_PEOPLE):
        people[email] = accounts.find_user_by_email(email) or accounts.create_user(
            by=None,
            email=email,
            full_name=name,
            roles=["participant"],
            password=PASSWORD,
            position=position,
            institution_id=cherkasy[n % len(cherkasy)].id,
        )
    for n in range(participants):
        female = rng.random() < 0.78  # the programme's specialists are mostly women
        first = rng.choice(FIRST_NAMES_F if female else FIRST_NAMES_M)
        surname = rng.choice(SURNAMES)
        email = f"uchasnyk{n + 1:03d}@cascade.demo"
        user = accounts.find_user_by_email(email) or accounts.create_user(
            by=None,
            email=email,
            full_name=f"{first} {surname}",
            roles=["participant"],
            password=PASSWORD,
            phone=f"+38067{rng.randint(1000000, 9999999)}",
            position=rng.choice(POSITIONS),
            institution_id=rng.choice(cherkasy).id,
        )
        people[email] = user
    return people


def load_demo() -> dict[str, int]:
    """Load the whole demo; returns counts of what is there."""
    load_geography()
    institutions = load_institutions()
    people = load_people(institutions)
    summary = {
        "regions": db.session.query(Region).count(),
        "districts": db.session.query(District).count(),
        "institutions": len(institutions),
        "people": len(people),
    }
    for name in FEATURES:
        module = importlib.import_module(f"seed.{name}")
        summary.update(module.load(people) or {})
        db.session.flush()
    # The reports' kept figures, so that the first report reads them (lms.reports.kept).
    summary["report figures"] = kept_cohorts.refresh_stale()
    kept_people.refresh()
    return summary


# Each feature's demo data, in the order they build on each other: ``load(people) -> counts``.
# The chain runs twice: trainings led by trainers whom a ToT certifies can only be planned once
# its certificates are issued (every step leaves alone what is already there).
CHAIN = ["cohorts", "enrolment", "attendance", "assessments", "certificates"]
FEATURES = ["courses", "security", *CHAIN, *CHAIN, "jobs", "cascade", "nudges", "report_exports"]
