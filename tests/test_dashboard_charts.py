"""The dashboard's SVG charts: valid XML, accessible (role, title, desc), hostile labels escaped,
bars proportional to their values, and zero, one or many data points."""

import xml.etree.ElementTree as ET

import pytest

from lms.reports.dashboard import charts

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = '<script>alert("x")</script> & "Дніпро"'


def _parse(markup) -> ET.Element:
    root = ET.fromstring(str(markup))  # noqa: S314  # nosec B314 - the SVG this test drew
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img" and root.get("width") == "100%" and root.get("viewBox")
    assert root.find(f"{SVG}title") is not None and root.find(f"{SVG}desc") is not None
    return root


def _bars(root) -> list[ET.Element]:
    return [rect for rect in root.iter(f"{SVG}rect") if rect.find(f"{SVG}title") is not None]


def _many(n: int) -> list[tuple[str, float]]:
    return [(f"Район {i}", float(i)) for i in range(1, n + 1)]


def test_vertical_bars_are_as_tall_as_their_values():
    root = _parse(charts.vertical_bars([("січ", 2), ("лют", 4), ("бер", 0)], title="T", empty_text="—"))
    heights = [float(bar.get("height")) for bar in _bars(root)]
    assert heights[1] == pytest.approx(2 * heights[0]) and heights[2] == 0
    assert "січ: 2; лют: 4; бер: 0" == root.find(f"{SVG}desc").text


def test_a_fixed_maximum_scales_percentages_and_none_draws_no_bar():
    root = _parse(
        charts.vertical_bars([("A", 50), ("B", None)], title="T", empty_text="—", maximum=100, suffix="%")
    )
    (bar,) = _bars(root)
    full = charts.vertical_bars([("A", 100)], title="T", empty_text="—", maximum=100)
    assert float(bar.get("height")) == pytest.approx(float(_bars(_parse(full))[0].get("height")) / 2)
    assert root.find(f"{SVG}desc").text == "A: 50%; B: —"


def test_horizontal_bars_are_as_long_as_their_values():
    root = _parse(charts.horizontal_bars([("Черкаська", 30), ("Львівська", 10)], title="T", empty_text="—"))
    widths = [float(bar.get("width")) for bar in _bars(root)]
    assert widths[0] == pytest.approx(3 * widths[1])


def test_stacked_bars_split_each_total_into_its_series():
    root = _parse(
        charts.stacked_bars(
            ["Покоління 0", "Покоління 1"],
            [charts.Series("поіменно", [10, 5]), charts.Series("заходи", [0, 15], charts.ORANGE)],
            title="T",
            empty_text="—",
        )
    )
    widths = [float(bar.get("width")) for bar in _bars(root)]
    assert len(widths) == 3  # a zero segment is not drawn
    assert widths[1] + widths[2] == pytest.approx(2 * widths[0])


def test_dumbbells_place_pre_and_post_on_a_percent_scale():
    root = _parse(
        charts.dumbbells([("PTL", 40, 80)], title="T", empty_text="—", pre_label="До", post_label="Після")
    )
    dots = [c for c in root.iter(f"{SVG}circle") if c.find(f"{SVG}title") is not None]
    pre, post = (float(c.get("cx")) for c in dots)
    zero = 12  # the left margin: 0 %
    assert (post - zero) == pytest.approx(2 * (pre - zero))
    assert "PTL: До 40%, Після 80%" == root.find(f"{SVG}desc").text


@pytest.mark.parametrize(
    "draw",
    [
        lambda label: charts.vertical_bars([(label, 1)], title=label, empty_text="—", sublabels=[label]),
        lambda label: charts.horizontal_bars([(label, 1)], title=label, empty_text="—"),
        lambda label: charts.dumbbells(
            [(label, 1, 2)], title=label, empty_text="—", pre_label=label, post_label=label
        ),
        lambda label: charts.stacked_bars([label], [charts.Series(label, [1])], title=label, empty_text="—"),
    ],
)
def test_hostile_labels_are_escaped_and_read_back_as_text(draw):
    markup = str(draw(HOSTILE))
    assert "<script>" not in markup
    root = _parse(markup)
    assert root.find(f"{SVG}title").text == HOSTILE
    assert any(HOSTILE in (text.text or "") for text in root.iter(f"{SVG}text"))


@pytest.mark.parametrize(
    "draw",
    [
        lambda points: charts.vertical_bars(points, title="T", empty_text="Порожньо <b>"),
        lambda points: charts.horizontal_bars(points, title="T", empty_text="Порожньо <b>"),
        lambda points: charts.dumbbells(
            [(label, value, value) for label, value in points],
            title="T",
            empty_text="Порожньо <b>",
            pre_label="a",
            post_label="b",
        ),
        lambda points: charts.stacked_bars(
            [label for label, _ in points],
            [charts.Series("s", [v for _, v in points])],
            title="T",
            empty_text="Порожньо <b>",
        ),
    ],
)
def test_zero_one_and_many_points(draw):
    nothing = str(draw([]))
    assert "<svg" not in nothing and "Порожньо &lt;b&gt;" in nothing
    assert len(_bars(_parse(draw(_many(1))))) + len(list(_parse(draw(_many(1))).iter(f"{SVG}circle"))) >= 1
    many = _parse(draw(_many(40)))
    assert len(many.find(f"{SVG}desc").text.split("; ")) == 40


def test_all_zero_bars_and_totals_are_empty_but_months_with_zero_still_draw():
    assert "<svg" not in str(charts.stacked_bars(["A"], [charts.Series("s", [0])], title="T", empty_text="—"))
    assert "<svg" not in str(charts.horizontal_bars([("A", 0), ("B", 0)], title="T", empty_text="—"))
    _parse(charts.vertical_bars([("A", 0), ("B", 0)], title="T", empty_text="—"))
