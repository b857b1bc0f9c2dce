"""The cascade tree as CSV and SVG (same permissions as the pages, audited, formulas neutralised,
names escaped, a huge tree bounded), the activation-over-time chart, and a trainer's cascade on
her home page."""

import csv
import io
import xml.etree.ElementTree as ET  # noqa: S405  # nosec B405 - parses our own output in a test
from datetime import date, timedelta

from sqlalchemy import func, select

from lms.cascade import charts, export, metrics
from lms.cascade import services as cascade
from lms.cascade.models import TrainerLineage
from lms.core.models import AuditEvent
from lms.extensions import db as _db
from tests import factories
from tests.conftest import sign_in
from tests.test_cascade import _certify, _master, _tot

TODAY = date.today()
SVG = "{http://www.w3.org/2000/svg}"


def _cascade():
    """A master trainer (no region of her own), her trainee and her trainee's trainee, both
    certified in ``region``."""
    tot = _tot()
    region = factories.RegionFactory()
    district = factories.DistrictFactory(region=region)
    master = _master(tot)
    _cohort, (child,) = _certify(tot, master, 1, district=district)
    _cohort, (grandchild,) = _certify(tot, child, 1, district=district)
    return master, child, grandchild, region


def _rows(response) -> list[list[str]]:
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def _exports() -> int:
    return _db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "cascade.export"))


def test_a_trainer_exports_her_subtree_as_csv_with_formulas_neutralised(client, db, strict_loading):
    master, child, grandchild, _region = _cascade()
    grandchild.full_name = '=HYPERLINK("http://evil.example")'
    _db.session.get(TrainerLineage, grandchild.id).accredited_on = TODAY - timedelta(days=200)
    _db.session.flush()
    sign_in(client, child)
    answer = client.get(f"/cascade/trainers/{child.id}/tree.csv")
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in answer.headers["Content-Disposition"]
    header, first, second = _rows(answer)
    assert len(header) == 8
    assert first[0] == child.sort_name and first[1] == "1" and first[2] == master.sort_name
    assert first[4] == "1" and first[5] == "1"  # one ToT delivered, one person trained
    assert second[0].startswith("'=") and second[0][1:] == grandchild.sort_name
    assert second[1] == "2" and second[2] == child.sort_name
    assert second[7] == "так" and first[7] == "ні"  # dormant: accredited 200 days ago, nothing since
    assert _exports() == 1


def test_every_formula_start_is_neutralised_and_restored_on_import():
    from lms.core.cells import restored, safe_cell

    for start in ("=", "+", "-", "@", "\t", "\r", " ="):
        assert safe_cell(f"{start}1+1") == f"'{start}1+1"
        assert restored(safe_cell(f"{start}1+1")) == f"{start}1+1"
    assert safe_cell("Коваль Олена") == "Коваль Олена" and safe_cell(3) == 3
    assert restored("'Коваль") == "'Коваль"  # an apostrophe of her own stays


def test_the_svg_parses_and_escapes_a_hostile_name(client, db, strict_loading):
    master, child, grandchild, _region = _cascade()
    hostile = '<script>alert("x")</script> & Co'
    grandchild.full_name = hostile
    _db.session.flush()
    sign_in(client, master)
    answer = client.get(f"/cascade/trainers/{master.id}/tree.svg")
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("image/svg+xml")
    root = ET.fromstring(answer.get_data())  # noqa: S314  # nosec B314 - our own output
    assert root.tag == f"{SVG}svg"
    assert not [element for element in root.iter() if element.tag.endswith("script")]
    texts = [element.text or "" for element in root.iter(f"{SVG}text")]
    assert any(grandchild.sort_name[:48] in text for text in texts)
    assert len(list(root.iter(f"{SVG}rect"))) == 1 + 3  # the background and three trainers
    assert b"<script>" not in answer.get_data()


def test_a_trainer_cannot_export_her_trainers_or_anothers_tree(client, db):
    master, child, _grandchild, _region = _cascade()
    outsider = _master(_tot())
    sign_in(client, child)
    assert client.get(f"/cascade/trainers/{master.id}/tree.csv").status_code == 404
    assert client.get(f"/cascade/trainers/{outsider.id}/tree.svg").status_code == 404
    assert client.get("/cascade/tree.csv").status_code == 403  # no region of her own to export
    sign_in(client, factories.UserFactory(roles=["participant"]))
    assert client.get(f"/cascade/trainers/{child.id}/tree.csv").status_code == 403
    assert _exports() == 0


def test_a_coordinator_exports_her_region_and_never_another(client, db):
    _master_, child, grandchild, region = _cascade()
    elsewhere = factories.RegionFactory()
    _other_master, other_child, _x, other_region = _cascade()
    coordinator = factories.UserFactory(roles=["coordinator"], regions=[region])
    sign_in(client, coordinator)
    names = [row[0] for row in _rows(client.get(f"/cascade/tree.csv?region_id={region.id}"))[1:]]
    assert names == [child.sort_name, grandchild.sort_name]
    assert other_child.sort_name not in names
    assert [row[0] for row in _rows(client.get("/cascade/tree.csv"))[1:]] == names  # her one region
    assert client.get(f"/cascade/tree.csv?region_id={other_region.id}").status_code == 403
    assert client.get(f"/cascade/tree.svg?region_id={elsewhere.id}").status_code == 403
    assert client.get(f"/cascade/trainers/{other_child.id}/tree.csv").status_code == 404
    assert client.get(f"/cascade/trainers/{child.id}/tree.svg").status_code == 200
    assert _exports() == 3


def test_an_admin_exports_the_whole_programme(client, db):
    master, child, grandchild, _region = _cascade()
    other_master, *_rest = _cascade()
    sign_in(client, factories.UserFactory(roles=["admin"]))
    names = [row[0] for row in _rows(client.get("/cascade/tree.csv"))[1:]]
    assert {master.sort_name, child.sort_name, grandchild.sort_name, other_master.sort_name} <= set(names)
    assert names.index(master.sort_name) < names.index(child.sort_name) < names.index(grandchild.sort_name)
    assert client.get("/cascade/tree.csv?region_id=999999").status_code == 404


def test_a_huge_tree_is_cut_at_the_deepest_level_that_fits_and_says_so():
    nodes = [export.Node(1, "Корінь", 0, None)]
    for i in range(30):
        nodes.append(export.Node(100 + i, f"Тренерка {i}", 1, 1, depth=1))
        nodes += [export.Node(10000 + i * 20 + j, f"Учениця {i}.{j}", 2, 100 + i, depth=2) for j in range(20)]
    shown, cut = export.bounded(nodes)
    assert cut and len(shown) == export.MAX_SVG_NODES
    assert sum(1 for node in shown if node.depth <= 1) == 31  # every level that fits, whole
    ids = {node.user_id for node in shown}
    assert all(node.parent_id in ids for node in shown if node.depth)  # no orphan in the picture
    small, cut = export.bounded(nodes[:10])
    assert not cut and len(small) == 10
    crowd = [export.Node(i, f"Тренерка {i}", 0, None) for i in range(export.MAX_SVG_NODES + 5)]
    assert len(export.bounded(crowd)[0]) == export.MAX_SVG_NODES


def test_the_bounded_svg_says_how_much_it_shows(app):
    nodes = [export.Node(1, "Корінь", 0, None)] + [
        export.Node(100 + i, f"Тренерка {i}", 1, 1, depth=1) for i in range(export.MAX_SVG_NODES + 20)
    ]
    with app.test_request_context():
        svg = str(export.svg(nodes, title="Каскад"))
    root = ET.fromstring(svg)  # noqa: S314  # nosec B314 - our own output
    assert len(list(root.iter(f"{SVG}rect"))) == 1 + export.MAX_SVG_NODES
    assert f"{export.MAX_SVG_NODES}" in svg and f"{len(nodes)}" in svg


def test_activation_over_time_counts_each_quarters_trainers(client, db):
    master, child, grandchild, region = _cascade()
    cascade.log_event(
        by=child,
        date=TODAY,
        district_id=factories.DistrictFactory(region=region).id,
        audience="pupils",
        headcount=9,
    )
    series = charts.activation_by_quarter(metrics.Scope(), TODAY)
    assert sum(q.accredited for q in series) == 3
    this_quarter = series[-1]
    assert (this_quarter.year, this_quarter.quarter) == (TODAY.year, (TODAY.month - 1) // 3 + 1)
    assert this_quarter.activated == 1  # the trainee held an event within her N days
    assert this_quarter.open
    svg = str(charts.activation_svg(series, title="Активація", days=90))
    ET.fromstring(svg)  # noqa: S314  # nosec B314 - our own output
    sign_in(client, factories.UserFactory(roles=["coordinator"], regions=[region]))
    html = client.get("/cascade/").get_data(as_text=True)
    assert 'data-testid="activation-chart"' in html and "<svg" in html
    assert 'data-testid="activation-legend"' in html and "активувалися протягом 90 днів" in html
    assert f"/cascade/tree.csv?region_id={region.id}" in html


def test_a_trainers_home_shows_her_cascade_in_brief(client, db, strict_loading):
    master, child, grandchild, _region = _cascade()
    _db.session.get(TrainerLineage, grandchild.id).accredited_on = TODAY - timedelta(days=200)
    grandchild.set_roles(["trainer"])
    child.set_roles(["trainer"])
    _db.session.flush()
    sign_in(client, grandchild)
    html = client.get("/").get_data(as_text=True)
    assert 'data-testid="home-cascade"' in html and 'data-testid="home-dormant"' in html
    assert "/cascade/events" in html
    sign_in(client, child)
    html = client.get("/").get_data(as_text=True)
    assert 'data-testid="home-cascade"' in html and 'data-testid="home-dormant"' not in html
    sign_in(client, factories.UserFactory(roles=["participant"]))
    assert 'data-testid="home-cascade"' not in client.get("/").get_data(as_text=True)
