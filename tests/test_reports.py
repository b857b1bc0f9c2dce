"""The results report against a programme computed by hand (tests/report_fixtures.py): every
figure exact on the function, the page and the API; a person trained twice counted once; the
withdrawn, the revoked, the superseded, another region and another period left out; the lists
behind the figures; a coordinator never sees another region."""

import re
from datetime import timedelta

import pytest

from lms.reports.figures import results_report
from lms.reports.narrative import narrative
from lms.reports.tables import report_tables
from tests import factories
from tests.conftest import api_headers, sign_in
from tests.report_fixtures import START, TODAY, build_programme


@pytest.fixture
def programme(db):
    return build_programme()


def test_every_figure_is_the_hand_computed_one(programme):
    report = results_report(programme.filters())
    course, tot = report.by_course
    # C: A and B (p1 twice, pw withdrawn, pf failed, p3 revoked); T: t1 and t2.
    assert (course.course_id, course.cohorts, course.training_days, course.districts) == (
        programme.course.id,
        2,
        4,
        2,
    )
    assert (course.enrolled, course.trained) == (5, 3)  # p1 p2 p3 pf p4; p1 p2 p4
    assert (tot.course_id, tot.cohorts, tot.training_days, tot.enrolled, tot.trained) == (
        programme.tot.id,
        1,
        2,
        2,
        2,
    )
    assert (report.cohorts, report.training_days, report.participants) == (3, 6, 7)
    assert report.people_trained == 5  # p1 (twice), p2 (reissued), p4, t1, t2
    assert report.trainers_trained == 2
    assert report.certificates_issued == 6  # A: p1, p2's new one; B: p1, p4; TT: t1, t2
    assert report.by_institution_type == [("social_services_centre", 3), ("school", 1), (None, 1)]
    assert report.by_position == [("Психолог", 2), ("Вчитель", 1), ("Соціальний працівник", 1), (None, 1)]
    (home,) = report.regions
    assert home.region_id == programme.home.id
    assert [(d.name, d.cohorts, d.trained) for d in home.districts] == [
        ("Другий район", 1, 2),
        ("Перший район", 2, 4),
        ("Третій район", 0, 0),
    ]
    assert report.districts_covered == 2 and [d.district_id for d in home.uncovered] == [programme.d3.id]
    # Pre 40 60 50 50 70 20 100; post 90 80 90 50 90 90 100 100; gains .833 .5 .8 0 .667 1 (t2's pre is 100).
    assert (report.mean_pre, report.mean_post) == (55.71, 86.25)
    assert (report.normalized_gain, report.gain_participants) == (0.633, 6)
    assert [
        (g.generation, g.people, g.cohorts, g.events, g.headcount, g.materials) for g in report.by_generation
    ] == [
        (0, 5, 3, 0, 0, 0),
        (1, 0, 0, 1, 28, 40),
    ]


def test_an_admin_without_a_region_sees_the_whole_programme(programme):
    report = results_report(programme.filters(region_ids=None))
    assert (report.cohorts, report.participants, report.people_trained, report.certificates_issued) == (
        4,
        8,
        6,
        7,
    )
    assert [region.region_id for region in report.regions] == [programme.other.id, programme.home.id]
    assert report.districts_covered == 3
    assert report.step_down_headcount == 28 + 10


def test_the_period_and_the_courses_narrow_every_figure(programme):
    whole_history = results_report(programme.filters(start=None, end=None))
    assert (whole_history.cohorts, whole_history.people_trained, whole_history.step_down_headcount) == (
        4,
        6,
        33,
    )
    only_tot = results_report(programme.filters(course_ids=(programme.tot.id,)))
    assert (only_tot.cohorts, only_tot.people_trained, only_tot.trainers_trained) == (1, 2, 2)
    assert only_tot.step_down_events == 0  # the events name no course
    before = results_report(
        programme.filters(start=START - timedelta(days=100), end=START - timedelta(days=1))
    )
    assert (before.cohorts, before.people_trained, before.step_down_headcount) == (1, 1, 5)


def test_an_empty_period_says_no_trainings_were_held(programme):
    report = results_report(
        programme.filters(start=TODAY + timedelta(days=1), end=TODAY + timedelta(days=30))
    )
    assert report.is_empty and report.people_trained == 0 and report.mean_pre is None
    words = narrative(report)
    assert words["en"] == "No trainings were held in the period."
    assert words["uk"].endswith("тренінги не проводилися.")


def test_the_summary_api_gives_the_hand_computed_figures(client, programme):
    answer = client.get(
        "/api/v1/reports/summary", query_string=programme.args(), headers=api_headers(programme.admin)
    )
    assert answer.status_code == 200, answer.json
    body = answer.json
    assert body["cohorts"] == 3 and body["people_trained"] == 5 and body["trainers_trained"] == 2
    assert body["certificates_issued"] == 6 and body["districts_covered"] == 2
    assert body["participants"] == 7 and body["training_days"] == 6
    assert [
        (r["course_id"], r["cohorts"], r["enrolled"], r["trained"]) for r in body["cohorts_by_course"]
    ] == [
        (programme.course.id, 2, 5, 3),
        (programme.tot.id, 1, 2, 2),
    ]
    assert body["people_by_institution_type"] == [
        {"institution_type": "social_services_centre", "people": 3},
        {"institution_type": "school", "people": 1},
        {"institution_type": None, "people": 1},
    ]
    assert (body["mean_pre"], body["mean_post"], body["normalized_gain"]) == (55.71, 86.25, 0.633)
    assert body["districts"][0]["uncovered_district_ids"] == [programme.d3.id]
    assert body["step_down_headcount"] == 28 and body["materials_distributed"] == 40
    assert body["filters"] == {
        "from": START.isoformat(),
        "to": TODAY.isoformat(),
        "region_ids": [programme.home.id],
        "course_ids": None,
    }
    assert set(body["narrative"]) == {"uk", "en"}
    assert body["narrative"]["uk"].startswith("У період з ")
    assert "5 specialists were trained" in body["narrative"]["en"]
    assert "Навчено 5 фахівців" in body["narrative"]["uk"]


def test_the_api_takes_ids_repeated_or_separated_by_commas(client, programme):
    headers = api_headers(programme.admin)
    both = f"{programme.home.id},{programme.other.id}"
    answer = client.get(
        "/api/v1/reports/summary", query_string=programme.args() | {"region_id": both}, headers=headers
    )
    assert answer.json["people_trained"] == 6
    repeated = f"/api/v1/reports/summary?region_id={programme.home.id}&region_id={programme.other.id}"
    assert client.get(repeated, headers=headers).json["people_trained"] == 7  # and po of the old training
    assert client.get(repeated + f"&from={START}", headers=headers).json["people_trained"] == 6


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"from": "2026-02-30"}, "from"),
        ({"course_id": "x"}, "course_id"),
        ({"from": "2026-05-02", "to": "2026-05-01"}, "to"),
    ],
)
def test_bad_filters_are_a_422_naming_the_field(client, programme, args, field):
    answer = client.get("/api/v1/reports/summary", query_string=args, headers=api_headers(programme.admin))
    assert answer.status_code == 422 and field in answer.json["error"]["fields"]
    sign_in(client, programme.admin)
    page = client.get("/reports/", query_string=args)
    assert page.status_code == 422 and 'data-testid="filter-error"' in page.text


def _figure(page: str, key: str) -> str:
    match = re.search(rf'data-figure="{key}">.*?<div class="value">([^<]*)</div>', page, re.S)
    return match.group(1).strip()


def test_the_page_shows_each_figure_its_definition_a_drill_down_and_both_narratives(client, programme):
    sign_in(client, programme.admin)
    page = client.get("/reports/", query_string=programme.args())
    assert page.status_code == 200
    html = page.text
    expected = {"cohorts": "3", "training_days": "6", "participants": "7", "trained": "5", "trainers": "2"}
    expected |= {
        "certificates": "6",
        "districts": "2",
        "mean_pre": "55,71",
        "mean_post": "86,25",
        "gain": "0,633",
    }
    assert {key: _figure(html, key) for key in expected} == expected
    assert "/reports/people?" in html and "figure=trainers" in html and "figure=certificates" in html
    assert "institution_type=school" in html and f"district_id={programme.d1.id}" in html
    assert "/reports/cohorts?" in html and f"course_id={programme.tot.id}" in html
    assert 'id="narrative-uk"' in html and 'id="narrative-en"' in html
    words = narrative(results_report(programme.filters()))
    assert words["uk"] in html and words["en"] in html
    assert "Третій район" in html  # the district without a training
    assert "css/reports.css" in html


@pytest.mark.parametrize(
    ("extra", "names"),
    [
        ({"figure": "trained"}, ["Антоненко", "Ґудзь", "Ткаченко", "Шевчук", "Яковенко"]),
        ({"figure": "trainers"}, ["Ґудзь", "Ткаченко"]),
        (
            {"figure": "participants"},
            ["Антоненко", "Гончар", "Ґудзь", "Дорошенко", "Ткаченко", "Шевчук", "Яковенко"],
        ),
        ({"figure": "trained", "institution_type": "school"}, ["Ткаченко"]),
        ({"figure": "trained", "institution_type": "none"}, ["Шевчук"]),
        ({"figure": "trained", "position": "Психолог"}, ["Антоненко", "Яковенко"]),
        ({"figure": "trained", "position": ""}, ["Шевчук"]),
        ({"figure": "trained", "district_id": "D2"}, ["Шевчук", "Яковенко"]),
        ({"figure": "trained", "q": "ґудзь"}, ["Ґудзь"]),
    ],
)
def test_the_people_behind_a_figure_surname_first_in_ukrainian_order(client, programme, extra, names):
    sign_in(client, programme.admin)
    if extra.get("district_id") == "D2":
        extra = extra | {"district_id": str(programme.d2.id)}
    page = client.get("/reports/people", query_string=programme.args() | extra)
    assert page.status_code == 200
    shown = re.findall(r'data-testid="person">([^<]+)<', page.text)
    assert [name.split()[0] for name in shown] == names


def test_the_certificates_list_counts_certificates_and_shows_their_serials(client, programme):
    sign_in(client, programme.admin)
    page = client.get("/reports/people", query_string=programme.args() | {"figure": "certificates"})
    assert "6 сертифікатів" in page.text or "6 certificates" in page.text
    assert page.text.count("CAS-") == 6


def test_the_trainings_behind_the_report(client, programme):
    sign_in(client, programme.admin)
    page = client.get("/reports/cohorts", query_string=programme.args())
    assert page.status_code == 200
    ids = [int(i) for i in re.findall(r'href="/cohorts/(\d+)"', page.text)]
    assert ids == [programme.cohorts[k].id for k in ("TT", "B", "A")]
    only = client.get(
        "/reports/cohorts", query_string=programme.args() | {"course_id": str(programme.tot.id)}
    )
    assert [int(i) for i in re.findall(r'href="/cohorts/(\d+)"', only.text)] == [programme.cohorts["TT"].id]


def test_the_cascade_rows_drill_down_to_the_people_and_trainings_of_each_generation(client, programme):
    sign_in(client, programme.admin)
    html = client.get("/reports/", query_string=programme.args()).text
    assert "generation=0" in html and "generation=1" not in html  # nobody trained by generation 1
    people = client.get(
        "/reports/people", query_string=programme.args() | {"figure": "trained", "generation": "0"}
    )
    shown = re.findall(r'data-testid="person">([^<]+)<', people.text)
    assert len(shown) == 5 and 'data-testid="generation"' in people.text  # the report's row: 5
    nobody = client.get(
        "/reports/people", query_string=programme.args() | {"figure": "trained", "generation": "1"}
    )
    assert re.findall(r'data-testid="person">([^<]+)<', nobody.text) == []
    cohorts = client.get("/reports/cohorts", query_string=programme.args() | {"generation": "0"})
    ids = {int(i) for i in re.findall(r'href="/cohorts/(\d+)"', cohorts.text)}
    assert ids == {programme.cohorts[k].id for k in ("TT", "B", "A")}  # the report's row: 3
    none = client.get("/reports/cohorts", query_string=programme.args() | {"generation": "1"}).text
    assert re.findall(r'href="/cohorts/(\d+)"', none) == []
    for bad in ("-1", "x", "100", "²", "１"):
        assert client.get("/reports/cohorts", query_string={"generation": bad}).status_code == 422


@pytest.mark.parametrize(
    ("path", "extra"), [("/reports/people", {"figure": "trained"}), ("/reports/cohorts", {})]
)
def test_a_drill_down_names_the_regions_and_courses_it_was_narrowed_to(client, programme, path, extra):
    sign_in(client, programme.admin)
    wanted = programme.args() | extra | {"course_id": str(programme.course.id)}
    narrowed = client.get(path, query_string=wanted).text
    assert re.search(r'data-testid="scope-regions">Область: Рідна область<', narrowed)
    assert re.search(r'data-testid="scope-courses">Курс: PTL-C Процедура встановлення статусу<', narrowed)
    everything = client.get(path, query_string={"from": programme.args()["from"]} | extra).text
    assert 'data-testid="scope-regions"' not in everything and 'data-testid="scope-courses"' not in everything


@pytest.mark.parametrize("path", ["/reports/", "/reports/people", "/reports/cohorts"])
def test_a_bad_drill_down_argument_is_refused(client, programme, path):
    sign_in(client, programme.admin)
    assert client.get("/reports/people", query_string={"figure": "everyone"}).status_code == 422
    assert client.get("/reports/people", query_string={"institution_type": "bank"}).status_code == 422
    assert client.get("/reports/people", query_string={"district_id": "x"}).status_code == 422
    assert client.get(path, query_string={"region_id": "0"}).status_code == 422


def test_a_coordinator_never_sees_another_region(client, programme):
    coordinator = factories.UserFactory(roles=["coordinator"], regions=[programme.home])
    own = results_report(programme.filters())
    headers = api_headers(coordinator)
    period = {"from": START.isoformat(), "to": TODAY.isoformat()}
    body = client.get("/api/v1/reports/summary", query_string=period, headers=headers).json
    assert body["people_trained"] == own.people_trained == 5  # her region only, without naming it
    assert body["filters"]["region_ids"] == [programme.home.id]
    assert [region["region_id"] for region in body["districts"]] == [programme.home.id]
    for named in (str(programme.other.id), f"{programme.home.id},{programme.other.id}"):
        refused = client.get(
            "/api/v1/reports/summary", query_string=period | {"region_id": named}, headers=headers
        )
        assert refused.status_code == 403
    sign_in(client, coordinator)
    page = client.get("/reports/", query_string=period)
    assert page.status_code == 200 and _figure(page.text, "trained") == "5"
    assert "Далекий район" not in page.text and "Інша область" not in page.text  # nor in the region choice
    for path in ("/reports/", "/reports/people", "/reports/cohorts"):
        assert client.get(path, query_string={"region_id": str(programme.other.id)}).status_code == 403
    people = client.get("/reports/people", query_string=period | {"figure": "trained"})
    assert "Коваль" not in people.text and "Яковенко" in people.text
    cohorts = client.get("/reports/cohorts", query_string=period)
    assert f'href="/cohorts/{programme.cohorts["X"].id}"' not in cohorts.text


def test_a_coordinator_of_both_regions_sees_both(client, programme):
    coordinator = factories.UserFactory(roles=["coordinator"], regions=[programme.home, programme.other])
    period = {"from": START.isoformat(), "to": TODAY.isoformat()}
    body = client.get("/api/v1/reports/summary", query_string=period, headers=api_headers(coordinator)).json
    assert body["people_trained"] == 6
    named = period | {"region_id": str(programme.other.id)}
    assert (
        client.get("/api/v1/reports/summary", query_string=named, headers=api_headers(coordinator)).json[
            "people_trained"
        ]
        == 1
    )


@pytest.mark.parametrize("roles", [["trainer"], ["participant"], ["trainer", "participant"]])
def test_trainers_and_participants_see_no_report(client, programme, roles):
    person = factories.UserFactory(roles=roles)
    assert client.get("/api/v1/reports/summary", headers=api_headers(person)).status_code == 403
    sign_in(client, person)
    for path in ("/reports/", "/reports/people", "/reports/cohorts"):
        assert client.get(path).status_code == 403
    assert "/reports/" not in client.get("/").text


def test_the_reports_menu_item_is_shown_to_admins_and_coordinators(client, programme):
    coordinator = factories.UserFactory(roles=["coordinator"], regions=[programme.home])
    for person in (programme.admin, coordinator):
        sign_in(client, person)
        assert 'href="/reports/"' in client.get("/").text


@pytest.mark.parametrize("path", ["/reports/", "/reports/dashboard", "/reports/coverage", "/reports/exports"])
def test_every_report_page_lights_the_reports_menu_item(client, programme, path):
    sign_in(client, programme.admin)
    html = client.get(path).text
    assert '<a class="nav-link active" href="/reports/" aria-current="page">' in html
    assert html.count('aria-current="page"') == 2  # the menu's entry and the report tabs' own


def test_the_report_tables_are_registered_for_the_exports(programme):
    tables = {table.key: table for table in report_tables(programme.filters())}
    assert {"results_summary", "results_trainings", "results_districts", "results_cascade"} <= set(tables)
    trainings = [list(row) for row in tables["results_trainings"].rows]
    assert trainings[0][0] == "PTL-C" and trainings[0][3:] == [2, 4, 2, 5, 3]
    assert trainings[-1][3:] == [3, 6, 2, 7, 5]  # in all, each person once
    summary = dict(tables["results_summary"].rows)
    assert 5 in summary.values() and len(tables["results_summary"].notes) == 2
    districts = [list(row) for row in tables["results_districts"].rows]
    assert districts[-1][1:] == ["Третій район", 0, 0]
    assert all(isinstance(v, (str, int, float, type(None))) for row in districts for v in row)
