"""Cascade reminders: a dormant trainer is nudged once a week however often the run repeats,
coordinators get their own regions' list and monthly digest (never another region's), dormancy at
its boundaries, the person's language with Ukrainian plural forms, the switches, the admins' page."""

import email
import email.policy
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from lms.accounts.models import User
from lms.cascade import metrics, tasks
from lms.cascade import services as cascade
from lms.cascade.models import Nudge, TrainerLineage
from lms.cascade.nudges import services as nudges
from lms.core.models import AuditEvent
from lms.core.outbox import publish_ready
from lms.courses.services import grant_accreditation
from lms.extensions import db as _db
from tests import factories
from tests.conftest import sign_in

TODAY = date.today()
N = 90


def _trainer(region, *, accredited_days_ago: int = 300, locale: str = "uk", name: str | None = None):
    """A master trainer of ``region`` (her institution's), accredited that many days ago."""
    extra = {"full_name": name} if name else {}
    person = factories.UserFactory(
        roles=["trainer"],
        locale=locale,
        institution=factories.InstitutionFactory(district=factories.DistrictFactory(region=region)),
        **extra,
    )
    course = factories.CourseFactory(is_tot=True)
    grant_accreditation(
        by=factories.UserFactory(roles=["admin"]),
        user_id=person.id,
        course_id=course.id,
        granted_on=TODAY - timedelta(days=accredited_days_ago),
    )
    return person


def _deliver_event(trainer, days_ago: int) -> None:
    cascade.log_event(
        by=trainer,
        date=TODAY - timedelta(days=days_ago),
        district_id=factories.DistrictFactory().id,
        audience="pupils",
        headcount=20,
    )


def _run(today: date = TODAY) -> dict:
    queued = nudges.send_due(today)
    _db.session.commit()
    publish_ready()
    return queued


def _nudges(user, kind: str) -> list[Nudge]:
    return list(_db.session.scalars(select(Nudge).where(Nudge.user_id == user.id, Nudge.kind == kind)))


def _mail(mail_dir, nudge: Nudge) -> email.message.EmailMessage:
    path = mail_dir / f"nudge-{nudge.id}.eml"
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)


def test_a_dormant_trainer_is_nudged_once_however_often_the_run_repeats(db, mail_dir):
    region = factories.RegionFactory()
    trainer = _trainer(region)
    tasks.send_nudges()
    tasks.send_nudges()  # a duplicated beat, a re-run
    _run()
    (nudge,) = _nudges(trainer, "trainer_dormant")
    assert nudge.status == "sent" and nudge.sent_at is not None
    assert nudge.period_start == TODAY - timedelta(days=TODAY.weekday())
    assert len(list(mail_dir.glob(f"nudge-{nudge.id}*.eml"))) == 1
    body = _mail(mail_dir, nudge).get_content()
    assert "/cascade/events" in body and "/cohorts/new" in body


def test_the_next_week_brings_one_more_reminder_and_no_more(db):
    trainer = _trainer(factories.RegionFactory())
    _run()
    _run(TODAY + timedelta(days=7))
    _run(TODAY + timedelta(days=7))
    periods = sorted(n.period_start for n in _nudges(trainer, "trainer_dormant"))
    assert len(periods) == 2 and periods[1] - periods[0] == timedelta(days=7)


def test_two_workers_claiming_the_same_reminder_insert_it_once(db):
    trainer = _trainer(factories.RegionFactory())
    week = nudges.week_start(TODAY)
    assert nudges._claim(trainer.id, "trainer_dormant", week, {}) is not None
    assert nudges._claim(trainer.id, "trainer_dormant", week, {}) is None
    with pytest.raises(IntegrityError), _db.session.begin_nested():
        _db.session.add(Nudge(user_id=trainer.id, kind="trainer_dormant", period_start=week, details={}))
        _db.session.flush()
    assert len(_nudges(trainer, "trainer_dormant")) == 1


def test_a_redelivered_task_sends_nothing_more(db, mail_dir):
    trainer = _trainer(factories.RegionFactory())
    _run()
    (nudge,) = _nudges(trainer, "trainer_dormant")
    sent_at = nudge.sent_at
    tasks.deliver_nudge(nudge.id)
    _db.session.refresh(nudge)
    assert nudge.sent_at == sent_at
    assert len(list(mail_dir.glob(f"nudge-{nudge.id}*.eml"))) == 1


@pytest.mark.parametrize(("accredited_days_ago", "nudged"), [(N, True), (N - 1, False)])
def test_a_trainer_is_nudged_from_n_days_after_her_accreditation(db, accredited_days_ago, nudged):
    trainer = _trainer(factories.RegionFactory(), accredited_days_ago=accredited_days_ago)
    _run()
    assert bool(_nudges(trainer, "trainer_dormant")) is nudged


@pytest.mark.parametrize(("last_delivery_days_ago", "nudged"), [(N, False), (N + 1, True)])
def test_a_delivery_exactly_n_days_ago_still_counts(db, last_delivery_days_ago, nudged):
    trainer = _trainer(factories.RegionFactory())
    _deliver_event(trainer, last_delivery_days_ago)
    _run()
    assert bool(_nudges(trainer, "trainer_dormant")) is nudged


def test_an_active_trainer_and_a_deactivated_account_get_nothing(db):
    region = factories.RegionFactory()
    active = _trainer(region)
    _deliver_event(active, 3)
    gone = _trainer(region)
    gone.active = False
    _run()
    assert _nudges(active, "trainer_dormant") == [] and _nudges(gone, "trainer_dormant") == []


@pytest.mark.parametrize(
    ("locale", "days_ago", "subject", "phrase"),
    [
        ("uk", 91, "Ваш каскад", "91 день тому"),
        ("uk", 92, "Ваш каскад", "92 дні тому"),
        ("uk", 95, "Ваш каскад", "95 днів тому"),
        ("uk", 111, "Ваш каскад", "111 днів тому"),
        ("en", 91, "Your cascade", "91 days ago"),
    ],
)
def test_the_reminder_is_in_her_language_with_the_right_plural(
    db, mail_dir, locale, days_ago, subject, phrase
):
    trainer = _trainer(factories.RegionFactory(), accredited_days_ago=400, locale=locale)
    _deliver_event(trainer, days_ago)
    _run()
    (nudge,) = _nudges(trainer, "trainer_dormant")
    message = _mail(mail_dir, nudge)
    assert message["Subject"].startswith(subject)
    assert phrase in message.get_content()


def test_a_trainer_who_never_delivered_is_told_since_when(db, mail_dir):
    trainer = _trainer(factories.RegionFactory(), accredited_days_ago=120, locale="en")
    _run()
    (nudge,) = _nudges(trainer, "trainer_dormant")
    assert "Since your accreditation on" in _mail(mail_dir, nudge).get_content()


def test_a_coordinator_gets_her_regions_dormant_trainers_and_never_another_regions(db, mail_dir):
    own, other = factories.RegionFactory(), factories.RegionFactory()
    mine = _trainer(own, name="Тимошенко Ганна")
    theirs = _trainer(other, name="Зайченко Богдан")
    coordinator = factories.UserFactory(roles=["coordinator"], regions=[own])
    _run()
    _run()
    (listed,) = _nudges(coordinator, "coordinator_dormant")
    body = _mail(mail_dir, listed).get_content()
    assert mine.sort_name in body and theirs.sort_name not in body
    assert listed.details["count"] == 1
    (digest,) = _nudges(coordinator, "coordinator_digest")
    assert digest.period_start == TODAY.replace(day=1)
    text = _mail(mail_dir, digest).get_content()
    assert own.name in text and other.name not in text


def test_the_digest_names_last_months_new_trainers_of_her_region_only(db, mail_dir):
    own, other = factories.RegionFactory(), factories.RegionFactory()
    first, _last = nudges.previous_month(TODAY)
    new = _trainer(own, accredited_days_ago=(TODAY - first).days, name="Новенька Оксана")
    elsewhere = _trainer(other, accredited_days_ago=(TODAY - first).days, name="Чужа Ірина")
    coordinator = factories.UserFactory(roles=["coordinator"], regions=[own], locale="en")
    _run()
    (digest,) = _nudges(coordinator, "coordinator_digest")
    text = _mail(mail_dir, digest).get_content()
    assert "1 new trainer last month" in text
    assert new.sort_name in text and elsewhere.sort_name not in text
    _run(TODAY + timedelta(days=1 if TODAY.day < 28 else 0))
    assert len(_nudges(coordinator, "coordinator_digest")) == 1  # once a month


def test_a_coordinator_without_dormant_trainers_gets_no_weekly_list(db):
    region = factories.RegionFactory()
    trainer = _trainer(region)
    _deliver_event(trainer, 1)
    coordinator = factories.UserFactory(roles=["coordinator"], regions=[region])
    _run()
    assert _nudges(coordinator, "coordinator_dormant") == []
    assert len(_nudges(coordinator, "coordinator_digest")) == 1


def test_the_switches_stop_each_kind(db):
    region = factories.RegionFactory()
    trainer = _trainer(region)
    coordinator = factories.UserFactory(roles=["coordinator"], regions=[region])
    admin = factories.UserFactory(roles=["admin"])
    nudges.set_switches(weekly=False, monthly=True, by=admin)
    _run()
    assert _nudges(trainer, "trainer_dormant") == [] and _nudges(coordinator, "coordinator_dormant") == []
    assert len(_nudges(coordinator, "coordinator_digest")) == 1
    nudges.set_switches(weekly=True, monthly=False, by=admin)
    _run(TODAY.replace(day=1) + timedelta(days=40))
    assert len(_nudges(coordinator, "coordinator_digest")) == 1
    assert len(_nudges(trainer, "trainer_dormant")) == 1
    assert (
        _db.session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "cascade.nudge_settings")
        )
        == 2
    )


def test_a_trainer_who_delivers_before_the_email_goes_is_not_reminded(db):
    trainer = _trainer(factories.RegionFactory())
    nudges.send_due(TODAY)
    _deliver_event(trainer, 0)
    (nudge,) = _nudges(trainer, "trainer_dormant")
    nudges.deliver(nudge.id)
    assert nudge.status == "skipped"


def test_the_admins_page_lists_reminders_and_saves_the_switches(client, db, strict_loading):
    region = factories.RegionFactory()
    trainer = _trainer(region, name="Приходько Людмила")
    _run()
    admin = factories.UserFactory(roles=["admin"])
    sign_in(client, admin)
    html = client.get("/cascade/nudges/").get_data(as_text=True)
    assert 'data-testid="nudges"' in html and trainer.email in html
    assert "Надіслано" in html or "Sent" in html
    assert trainer.email in client.get("/cascade/nudges/?kind=trainer_dormant&status=sent").get_data(
        as_text=True
    )
    assert trainer.email not in client.get("/cascade/nudges/?status=failed").get_data(as_text=True)
    answer = client.post("/cascade/nudges/", data={"monthly_digest": "y"})
    assert answer.status_code == 302
    settings = nudges.current_settings()
    assert settings.weekly_nudges is False and settings.monthly_digest is True
    assert client.post("/cascade/nudges/run").status_code == 302
    for person in (factories.UserFactory(roles=["coordinator"], regions=[region]), trainer):
        sign_in(client, person)
        assert client.get("/cascade/nudges/").status_code == 403
        assert client.post("/cascade/nudges/run").status_code == 403


def test_the_beat_runs_the_reminders_every_morning(app):
    entry = app.config["CELERY"]["beat_schedule"]["cascade-nudges"]
    assert entry["task"] == "lms.cascade.send_nudges"
    assert "lms.cascade.send_nudges" in app.extensions["celery"].tasks


def test_dormancy_matches_the_dashboards(db):
    trainer = _trainer(factories.RegionFactory())
    dormant, _by_region = nudges.dormant_by_region(TODAY)
    assert dormant == metrics.activation(metrics.Scope(), TODAY)["dormant_ids"]
    assert trainer.id in dormant
    assert _db.session.get(TrainerLineage, trainer.id).region_id is not None


def test_the_demo_shows_reminders_sent_and_the_exports_work(client, db):
    from seed.demo import load_demo

    load_demo()
    tkachenko = _db.session.scalar(select(User).where(User.email == "v.tkachenko@cascade.demo"))
    coordinator = _db.session.scalar(select(User).where(User.email == "koordynator.cherkasy@cascade.demo"))
    (reminder,) = _nudges(tkachenko, "trainer_dormant")
    assert reminder.status == "sent"
    assert [n.status for n in _nudges(coordinator, "coordinator_dormant")] == ["sent"]
    assert [n.status for n in _nudges(coordinator, "coordinator_digest")] == ["sent"]
    before = _db.session.scalar(select(func.count(Nudge.id)))
    load_demo()
    assert _db.session.scalar(select(func.count(Nudge.id))) == before
    sign_in(client, coordinator)
    answer = client.get("/cascade/tree.csv")
    assert answer.status_code == 200
    row = next(line for line in answer.get_data(as_text=True).splitlines() if tkachenko.sort_name in line)
    assert row.endswith(";так")
    assert client.get("/cascade/tree.svg").status_code == 200
    bondarenko = _db.session.scalar(select(User).where(User.email == "n.bondarenko@cascade.demo"))
    sign_in(client, bondarenko)
    assert client.get(f"/cascade/trainers/{bondarenko.id}/tree.svg").status_code == 200
    assert 'data-testid="home-cascade"' in client.get("/").get_data(as_text=True)


def test_a_coordinator_of_a_region_without_trainers_gets_no_digest(db):
    _trainer(factories.RegionFactory())
    coordinator = factories.UserFactory(roles=["coordinator"], regions=[factories.RegionFactory()])
    _run()
    assert _nudges(coordinator, "coordinator_digest") == []


def test_reminders_stop_after_the_limit_and_start_again_once_she_delivers(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "CASCADE_REMINDERS_MAX", 3)
    region = factories.RegionFactory()
    trainer = _trainer(region, accredited_days_ago=600)
    coordinator = factories.UserFactory(roles=["coordinator"], regions=[region])
    start = TODAY - timedelta(days=200)
    for week in range(5):
        _run(start + timedelta(days=7 * week))
    assert len(_nudges(trainer, "trainer_dormant")) == 3  # one below the limit, the limit, no more
    # Her coordinator's weekly list still names her every week.
    assert len(_nudges(coordinator, "coordinator_dormant")) == 5
    # She holds an event, then goes quiet again for more than N days: a new spell, new reminders.
    _deliver_event(trainer, days_ago=150)
    _run(TODAY)
    _run(TODAY + timedelta(days=7))
    assert len(_nudges(trainer, "trainer_dormant")) == 5


def test_the_reminder_says_how_many_times_it_comes(db, mail_dir):
    trainer = _trainer(factories.RegionFactory(), locale="en")
    _run()
    (nudge,) = _nudges(trainer, "trainer_dormant")
    assert "4 times at most" in _mail(mail_dir, nudge).get_content()


def test_the_api_lists_the_reminders_the_admins_page_shows(client, db):
    from tests.conftest import api_headers

    region = factories.RegionFactory()
    trainers = [_trainer(region, name=f"Тренерка Номер{i}") for i in range(3)]
    factories.UserFactory(roles=["coordinator"], regions=[region])
    _run()
    admin = factories.UserFactory(roles=["admin"])
    answer = client.get("/api/v1/cascade/nudges?kind=trainer_dormant", headers=api_headers(admin))
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["total"] == 3 and {item["user_id"] for item in body["items"]} == {t.id for t in trainers}
    assert {item["status"] for item in body["items"]} == {"sent"}
    lists = client.get(
        "/api/v1/cascade/nudges?kind=coordinator_dormant", headers=api_headers(admin)
    ).get_json()
    assert [item["trainers"] for item in lists["items"]] == [3]
    assert client.get("/api/v1/cascade/nudges?status=nonsense", headers=api_headers(admin)).status_code == 422
    for role in ("coordinator", "trainer", "participant"):
        person = factories.UserFactory(roles=[role], regions=[region] if role == "coordinator" else [])
        assert client.get("/api/v1/cascade/nudges", headers=api_headers(person)).status_code == 403
