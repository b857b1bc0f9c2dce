"""Demo data: the programme's courses and the master trainers' accreditations.

The courses follow the BO «Від серця до серця» trainings in Cherkasy oblast (status of a victim of
trafficking, needs assessment and rehabilitation plan, the two-day multidisciplinary training for
district MDGs) and the IOM school programme «Особиста гідність. Безпека життя. Громадянська
позиція»; each has a training-of-trainers course that accredits its graduates to deliver it.
"""

from datetime import date

from sqlalchemy import func, select

from lms.courses import services
from lms.courses.models import Accreditation, Course
from lms.extensions import db

ADMIN = "admin@cascade.demo"
MASTER_TRAINERS = ["n.bondarenko@cascade.demo", "a.shevchuk@cascade.demo"]
TRAINERS = ["o.melnyk@cascade.demo", "v.tkachenko@cascade.demo"]
MASTER_GRANTED_ON = date(2023, 9, 1)
MASTER_NOTE = "Майстер-тренер(ка) програми (покоління 0)"

# (title, title_en, hours) — shared by the four training-of-trainers courses around their content.
TOT_OPENING = [
    (
        "Навчання дорослих: принципи, стилі навчання, мотивація учасників",
        "Adult learning: principles, learning styles, motivating participants",
        1.5,
    ),
    (
        "Фасилітація групи: правила, робота з опором і складними ситуаціями, тайм-менеджмент",
        "Facilitating a group: ground rules, resistance and difficult moments, timekeeping",
        1.5,
    ),
]
TOT_CLOSING = [
    (
        "Зворотний зв'язок, пре- і пост-тест, оцінювання тренінгу",
        "Feedback, the pre- and post-test, evaluating a training",
        1.0,
    ),
    (
        "Планування каскаду: графік тренінгів у районі, набір учасників, звітність",
        "Planning the cascade: the district training schedule, recruiting participants, reporting",
        1.0,
    ),
]

COURSES = [
    {
        "code": "PTL-STATUS",
        "title": "Порядок встановлення статусу особи, яка постраждала від торгівлі людьми",
        "title_en": "Procedure for establishing the status of a victim of trafficking",
        "days": 1,
        "audience": "Фахівці структурних підрозділів у справах сім'ї, молоді та спорту районних "
        "державних адміністрацій та громад",
        "audience_en": "Specialists of the district and hromada departments of family, youth and sports",
        "description": "Одноденний тренінг для державних службовців, які працюють з особами, що "
        "звернулися за встановленням статусу особи, яка постраждала від торгівлі людьми: "
        "нормативна база, ознаки торгівлі людьми, співбесіда, збір документів, строки й рішення, "
        "взаємодія суб'єктів і перенаправлення.",
        "description_en": "A one-day training for civil servants who work with people applying for "
        "the status of a victim of trafficking: the legal framework, signs of trafficking, the "
        "interview, collecting documents, time limits and the decision, cooperation of the "
        "responsible bodies and referral.",
        "certificate_text": "успішно пройшов(-ла) одноденний тренінг «Порядок встановлення статусу "
        "особи, яка постраждала від торгівлі людьми» обсягом 6,5 години",
        "certificate_text_en": "has successfully completed the one-day training “Procedure for "
        "establishing the status of a victim of trafficking” (6.5 hours)",
        "modules": [
            (
                "Нормативна база: Закон України «Про протидію торгівлі людьми», постанова КМУ № 417",
                "Legal framework: the Law of Ukraine “On Combating Trafficking in Human Beings”, "
                "CMU Resolution No. 417",
                1.0,
            ),
            (
                "Ознаки торгівлі людьми та первинна ідентифікація",
                "Signs of trafficking and initial identification",
                1.5,
            ),
            (
                "Порядок встановлення статусу: заява, співбесіда, строки, рішення",
                "Establishing the status: application, interview, time limits, decision",
                1.5,
            ),
            (
                "Взаємодія суб'єктів (постанова КМУ № 783 від 12.08.2012) та перенаправлення",
                "Cooperation of the responsible bodies (CMU Resolution No. 783 of 12.08.2012) and referral",
                1.0,
            ),
            (
                "Практикум: кейси та заповнення документів",
                "Practice: cases and completing the documents",
                1.5,
            ),
        ],
    },
    {
        "code": "PTL-NEEDS",
        "title": "Оцінка потреб та план реабілітації особи, яка постраждала від торгівлі людьми",
        "title_en": "Needs assessment and the rehabilitation plan for a victim of trafficking",
        "days": 1,
        "audience": "Фахівці обласного та районних центрів соціальних служб для сім'ї, дітей та молоді",
        "audience_en": "Specialists of the regional and district centres of social services for "
        "families, children and youth",
        "description": "Як оцінити потреби особи, яка постраждала від торгівлі людьми, скласти "
        "індивідуальний план реабілітації та забезпечити соціальний супровід і перенаправлення "
        "до послуг у громаді.",
        "description_en": "How to assess the needs of a victim of trafficking, draw up an individual "
        "rehabilitation plan, and provide social support and referral to services in the community.",
        "certificate_text": "успішно пройшов(-ла) одноденний тренінг «Оцінка потреб та план "
        "реабілітації особи, яка постраждала від торгівлі людьми» обсягом 6,5 години",
        "certificate_text_en": "has successfully completed the one-day training “Needs assessment "
        "and the rehabilitation plan for a victim of trafficking” (6.5 hours)",
        "modules": [
            (
                "Права та гарантії особи, яка постраждала від торгівлі людьми; одноразова матеріальна допомога",
                "Rights and guarantees of a victim of trafficking; one-off financial assistance",
                1.0,
            ),
            (
                "Оцінка потреб: методика, інструменти, бесіда з урахуванням травми",
                "Needs assessment: method, tools, a trauma-informed conversation",
                1.5,
            ),
            (
                "Індивідуальний план реабілітації: цілі, послуги, відповідальні, строки",
                "The individual rehabilitation plan: goals, services, who is responsible, time limits",
                1.5,
            ),
            (
                "Соціальний супровід і перенаправлення: центри соціальних служб, центр зайнятості, "
                "заклади охорони здоров'я",
                "Social support and referral: social services centres, the employment centre, health care",
                1.0,
            ),
            (
                "Практикум: оцінка потреб і план реабілітації за кейсом",
                "Practice: a needs assessment and a rehabilitation plan from a case",
                1.5,
            ),
        ],
    },
    {
        "code": "PTL-MDG",
        "title": "Міждисциплінарний підхід до виявлення, ідентифікації та надання комплексної "
        "допомоги особам, які постраждали від торгівлі людьми",
        "title_en": "Multidisciplinary approach to the detection, identification and comprehensive "
        "assistance of victims of trafficking",
        "days": 2,
        "audience": "Члени міждисциплінарних груп районів: служби у справах дітей, центри соціальних "
        "служб, поліція, освіта, охорона здоров'я, центри зайнятості",
        "audience_en": "Members of the district multidisciplinary groups: children's services, social "
        "services centres, police, education, health care, employment centres",
        "description": "Дводенний тренінг для представників державних установ — суб'єктів "
        "національного механізму взаємодії, що входять до міждисциплінарних груп (МДГ) районів: "
        "спільне виявлення та ідентифікація постраждалих, зокрема дітей, і комплексна допомога.",
        "description_en": "A two-day training for the state institutions of the national referral "
        "mechanism that make up the district multidisciplinary groups (MDGs): detecting and "
        "identifying victims together, including children, and comprehensive assistance.",
        "certificate_text": "успішно пройшов(-ла) дводенний тренінг «Міждисциплінарний підхід до "
        "виявлення, ідентифікації та надання комплексної допомоги особам, які постраждали від "
        "торгівлі людьми» обсягом 12 годин",
        "certificate_text_en": "has successfully completed the two-day training “Multidisciplinary "
        "approach to the detection, identification and comprehensive assistance of victims of "
        "trafficking” (12 hours)",
        "modules": [
            (
                "Торгівля людьми сьогодні: форми, вербування, групи ризику",
                "Trafficking today: forms, recruitment, groups at risk",
                1.5,
            ),
            (
                "Міждисциплінарний підхід і національний механізм взаємодії суб'єктів (постанова КМУ № 783)",
                "The multidisciplinary approach and the national referral mechanism (CMU Resolution No. 783)",
                1.5,
            ),
            (
                "Робота МДГ району: склад, положення, засідання, обмін інформацією",
                "The district MDG at work: members, terms of reference, meetings, sharing information",
                1.5,
            ),
            (
                "Виявлення та ідентифікація: індикатори, перша розмова, безпека постраждалої особи",
                "Detection and identification: indicators, the first conversation, the victim's safety",
                1.5,
            ),
            (
                "Комплексна допомога: статус, оцінка потреб, план реабілітації, супровід",
                "Comprehensive assistance: status, needs assessment, rehabilitation plan, support",
                1.5,
            ),
            (
                "Діти, які постраждали від торгівлі людьми: виявлення, захист, служба у справах дітей",
                "Child victims of trafficking: detection, protection, the children's service",
                1.5,
            ),
            (
                "Національна гаряча лінія 527, інформаційні кампанії та профілактика в громаді",
                "The national 527 hotline, information campaigns and prevention in the community",
                1.0,
            ),
            (
                "Практикум: розбір випадку командою МДГ і план дій району",
                "Practice: an MDG team works a case; the district action plan",
                2.0,
            ),
        ],
    },
    {
        "code": "SCH-DIGNITY",
        "title": "Особиста гідність. Безпека життя. Громадянська позиція",
        "title_en": "Personal dignity. Life safety. Public position",
        "days": 3,
        "audience": "Вчителі, практичні психологи, соціальні педагоги та вихователі шкіл і шкіл-інтернатів",
        "audience_en": "Teachers, school psychologists, social pedagogues and educators of schools "
        "and boarding schools",
        "description": "Підготовка педагогів до проведення в загальноосвітніх школах уроків за "
        "програмою «Особиста гідність. Безпека життя. Громадянська позиція»: запобігання торгівлі "
        "людьми, безпечна міграція, інтерактивні методи, робота з батьками та міжвідомча мережа "
        "підтримки школи.",
        "description_en": "Prepares teachers to deliver the school programme “Personal dignity. Life "
        "safety. Public position”: preventing trafficking, safe migration, interactive methods, "
        "working with parents and the school's interagency support network.",
        "certificate_text": "успішно пройшов(-ла) триденний тренінг для педагогів «Особиста гідність. "
        "Безпека життя. Громадянська позиція» обсягом 17,5 години",
        "certificate_text_en": "has successfully completed the three-day training for teachers "
        "“Personal dignity. Life safety. Public position” (17.5 hours)",
        "modules": [
            (
                "Програма «Особиста гідність. Безпека життя. Громадянська позиція»: мета, структура, "
                "місце в навчальному плані",
                "The programme: aims, structure, place in the curriculum",
                1.5,
            ),
            (
                "Торгівля людьми та ризики неврегульованої міграції для підлітків",
                "Trafficking and the risks of irregular migration for teenagers",
                1.5,
            ),
            (
                "Уроки «Особиста гідність»: права людини, самоповага, стосунки",
                "“Personal dignity” lessons: human rights, self-respect, relationships",
                2.0,
            ),
            (
                "Уроки «Безпека життя»: безпечна міграція, безпека в інтернеті, робота за кордоном",
                "“Life safety” lessons: safe migration, online safety, working abroad",
                2.0,
            ),
            (
                "Уроки «Громадянська позиція»: волонтерство, ініціативи учнів у громаді",
                "“Public position” lessons: volunteering, pupils' initiatives in the community",
                1.5,
            ),
            (
                "Інтерактивні методи: рольові ігри, кейси, дискусії, робота в малих групах",
                "Interactive methods: role play, cases, discussion, small groups",
                2.0,
            ),
            (
                "Робота з батьками та міжвідомча мережа підтримки школи",
                "Working with parents and the school's interagency support network",
                1.5,
            ),
            (
                "Дитина в групі ризику: як помітити й куди звернутися (служба у справах дітей, лінія 527)",
                "A child at risk: noticing and where to turn (children's service, the 527 hotline)",
                1.5,
            ),
            (
                "Пробні уроки учасників і зворотний зв'язок",
                "Participants' practice lessons and feedback",
                3.0,
            ),
            ("Планування уроків у своїй школі", "Planning the lessons in your own school", 1.0),
        ],
    },
]

# (code, the course it accredits, days, hours on the course content, hours of practice delivery)
TOT_COURSES = [
    ("TOT-STATUS", "PTL-STATUS", 2, 3.0, 3.0),
    ("TOT-NEEDS", "PTL-NEEDS", 2, 3.0, 3.0),
    ("TOT-MDG", "PTL-MDG", 3, 6.0, 5.0),
    ("TOT-DIGNITY", "SCH-DIGNITY", 3, 6.0, 5.0),
]


def _tot_course(code: str, target: dict, days: int, content_hours: float, practice_hours: float) -> dict:
    """A training-of-trainers course built around the content of the course it accredits."""
    title, title_en = target["title"], target["title_en"]
    hours = sum(h for _t, _e, h in TOT_OPENING + TOT_CLOSING) + content_hours + practice_hours
    hours_uk = f"{hours:g}".replace(".", ",")  # Ukrainian decimal comma
    return {
        "code": code,
        "title": f"Тренінг для тренерів: {title}",
        "title_en": f"Training of trainers: {title_en}",
        "days": days,
        "is_tot": True,
        "min_attendance_percent": 100,
        "pass_mark_percent": 80,  # nosec B105
        "audience": "Досвідчені фахівці, які проводитимуть тренінг у своїх районах, та майстер-тренери",
        "audience_en": "Experienced specialists who will deliver the training in their districts, "
        "and master trainers",
        "description": f"Готує тренерів, які проводитимуть тренінг «{title}» у своїх районах: "
        "методи навчання дорослих, фасилітація, зміст курсу, практика проведення зі зворотним "
        "зв'язком і планування каскаду. Випускники, які виконали правило завершення, отримують "
        "сертифікат тренера та акредитацію на проведення курсу.",
        "description_en": f"Prepares trainers to deliver “{title_en}” in their districts: adult "
        "learning methods, facilitation, the course content, practice delivery with feedback and "
        "planning the cascade. Graduates who meet the completion rule receive a trainer "
        "certificate and the accreditation to deliver the course.",
        "certificate_text": f"успішно пройшов(-ла) тренінг для тренерів обсягом {hours_uk} год і має "
        f"право проводити тренінг «{title}»",
        "certificate_text_en": f"has successfully completed the training of trainers ({hours:g} hours) "
        f"and is accredited to deliver the training “{title_en}”",
        "modules": TOT_OPENING
        + [
            (
                f"Зміст курсу «{title}»: модулі, ключові повідомлення, роздаткові матеріали",
                f"Content of “{title_en}”: modules, key messages, handouts",
                content_hours,
            ),
            (
                "Практика проведення: учасники ведуть частини тренінгу",
                "Practice delivery: participants run parts of the training",
                practice_hours,
            ),
        ]
        + TOT_CLOSING,
    }


def _course_values(spec: dict) -> dict:
    values = {k: v for k, v in spec.items() if k != "modules"}
    values["modules"] = [{"title": t, "title_en": e, "hours": h} for t, e, h in spec["modules"]]
    return values


def _ensure_course(admin, spec: dict, by_code: dict[str, Course]) -> bool:
    """Create the course unless its code exists; True when created."""
    if spec["code"] in by_code:
        return False
    by_code[spec["code"]] = services.create_course(by=admin, **_course_values(spec))
    return True


def _ensure_accreditation(admin, user, course: Course, granted_on: date, note: str) -> bool:
    exists = db.session.scalar(
        select(Accreditation.id).where(Accreditation.user_id == user.id, Accreditation.course_id == course.id)
    )
    if exists is not None:
        return False
    services.grant_accreditation(
        by=admin, user_id=user.id, course_id=course.id, granted_on=granted_on, note=note
    )
    return True


def load(people: dict) -> dict:
    """The eight demo courses and the admin-granted (generation 0) accreditations; safe to rerun."""
    admin = people[ADMIN]
    by_code = {c.code: c for c in db.session.scalars(select(Course))}
    specs = {spec["code"]: spec for spec in COURSES}
    for spec in COURSES:
        _ensure_course(admin, spec, by_code)
    for code, target, days, content_hours, practice_hours in TOT_COURSES:
        spec = _tot_course(code, specs[target], days, content_hours, practice_hours)
        spec["accredits_course_ids"] = [by_code[target].id]
        _ensure_course(admin, spec, by_code)
        tot = by_code[code]
        if tot not in tot.accredits:
            # Its graduates deliver the course and, in turn, this ToT: the cascade's next generation.
            services.update_course(tot, by=admin, accredits_course_ids=[by_code[target].id, tot.id])

    for email in MASTER_TRAINERS:
        for course in by_code.values():
            _ensure_accreditation(admin, people[email], course, MASTER_GRANTED_ON, MASTER_NOTE)
    # The demo's other trainers are accredited by their trainer certificates from the closed
    # TOT-MDG training (seed/certificates.py), so that the cascade shows who trained them.

    trainer_ids = [people[email].id for email in MASTER_TRAINERS + TRAINERS]
    demo_codes = [spec["code"] for spec in COURSES] + [row[0] for row in TOT_COURSES]
    return {
        "courses": len([code for code in demo_codes if code in by_code]),
        "accreditations": db.session.scalar(
            select(func.count(Accreditation.id)).where(Accreditation.user_id.in_(trainer_ids))
        ),
    }
