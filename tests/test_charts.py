"""SVG charts from numbers: accessible, CSP-clean markup with the data where it belongs."""
import re
import xml.etree.ElementTree as ET

from predictor import charts

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ET.Element:
    # The charts are inlined into HTML without a namespace; add it to parse them as XML.
    return ET.fromstring(markup.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1))


def line(**overrides):
    args = dict(xs=[0.0, 10.0, 20.0, 30.0], ys=[1000.0, 3000.0, 5000.0, 4000.0], x_label="Temperature (°C)",
                y_label="predicted rentals", title="Predicted rentals against temperature",
                description="Rentals rise with temperature.", band=(5.0, 25.0), marker=(20.0, 5000.0))
    return charts.line_chart(**{**args, **overrides})


def test_chart_is_an_image_named_by_its_title_and_described_by_its_desc():
    svg = parse(line())
    assert svg.get("role") == "img"
    title_id, desc_id = svg.get("aria-labelledby").split()
    assert svg.find(f"{SVG}title").get("id") == title_id
    assert svg.find(f"{SVG}title").text == "Predicted rentals against temperature"
    assert svg.find(f"{SVG}desc").get("id") == desc_id


def test_two_charts_on_one_page_have_distinct_ids():
    assert parse(line()).get("aria-labelledby") != parse(line()).get("aria-labelledby")


def test_charts_carry_no_inline_style_or_script():
    for markup in [line(), charts.bar_chart(items=[("a", 1.0), ("b", -2.0)], title="t", description="d"),
                   charts.stacked_columns(labels=["1 Nov", "2 Nov"], series=[("Web form", "form", [1, 2])],
                                          title="t", description="d", y_label="predictions"),
                   charts.histogram(edges=[0, 1, 2], counts=[3, 4], title="t", description="d", x_label="x")]:
        assert "style=" not in markup and "<script" not in markup and not re.search(r"\son\w+=", markup)


def test_line_chart_shades_the_band_and_marks_the_point_on_the_line():
    svg = parse(line())
    band = svg.find(f"{SVG}rect[@class='chart-band']")
    scale = charts.Scale(0.0, 30.0, charts.LINE_MARGIN_LEFT, charts.WIDTH - charts.MARGIN_RIGHT)
    assert float(band.get("x")) == scale(5.0)
    assert float(band.get("width")) == round(scale(25.0) - scale(5.0), 2)
    point = svg.find(f"{SVG}circle[@class='chart-point']")
    polyline = svg.find(f"{SVG}polyline").get("points").split()
    assert f"{point.get('cx')},{point.get('cy')}" == polyline[2]


def test_text_in_charts_is_escaped():
    markup = line(title="<b>&", description="a < b")
    assert "<b>" not in markup and "&lt;b&gt;&amp;" in markup


def test_diverging_bars_grow_left_for_negative_values():
    svg = parse(charts.bar_chart(items=[("Temperature", 800.0), ("Humidity", -300.0)], title="t", description="d", value_label=charts.signed))
    up, down = svg.findall(f"{SVG}rect")
    assert "chart-bar--down" in down.get("class") and "chart-bar--down" not in up.get("class")
    assert float(down.get("x")) + float(down.get("width")) <= float(up.get("x")) + 0.01
    assert [t.text for t in svg.findall(f"{SVG}text") if "chart-value" in t.get("class")] == ["+800", "−300"]


def test_stacked_columns_stack_series_per_label():
    svg = parse(charts.stacked_columns(labels=["1 Nov", "2 Nov"], series=[("Web form", "form", [2, 0]),
                                                                          ("API", "api", [2, 1])],
                                       title="t", description="d", y_label="predictions"))
    rects = svg.findall(f"{SVG}rect")
    assert [r.get("class").split()[-1] for r in rects] == ["chart-series--form", "chart-series--api", "chart-series--api"]
    first_form, first_api = rects[0], rects[1]
    assert float(first_api.get("y")) + float(first_api.get("height")) == float(first_form.get("y"))


def test_nice_ticks_are_round_and_cover_the_range():
    assert charts.nice_ticks(0, 6043) == [0, 2000, 4000, 6000, 8000]
    assert charts.nice_ticks(-9, 35, 7) == [-10, 0, 10, 20, 30, 40]


def test_count_axes_step_by_whole_numbers_so_no_label_repeats():
    assert charts.nice_ticks(0, 1, whole=True) == [0, 1]
    assert charts.nice_ticks(0, 3, whole=True) == [0, 1, 2, 3]
    histogram = parse(charts.histogram(edges=[0.0, 10.0, 20.0], counts=[1, 0], title="t", description="d", x_label="x"))
    columns = parse(charts.stacked_columns(labels=["1 Nov"], series=[("API", "api", [1])], title="t", description="d",
                                           y_label="predictions"))
    assert _y_ticks(histogram) == _y_ticks(columns) == ["0", "1"]


def test_numbers_read_like_people_write_them():
    assert charts.number(-5.21, 1) == "−5.2"
    assert charts.number(4551.4) == "4,551"
    assert charts.amount(20.0) == "20" and charts.amount(12.5) == "12.5"
    assert charts.signed(300) == "+300" and charts.signed(-300) == "−300" and charts.signed(0) == "0"


def _y_ticks(svg) -> list[str]:
    return [t.text for t in svg.findall(f"{SVG}text") if t.get("class") == "chart-tick" and t.get("text-anchor") == "end"]


def test_line_charts_given_the_same_y_top_share_one_y_axis():
    low = parse(line(ys=[100.0, 300.0, 500.0, 400.0], y_top=5000.0))
    high = parse(line(y_top=5000.0))
    assert _y_ticks(low) == _y_ticks(high) == ["0", "2,000", "4,000", "6,000"]


def test_line_chart_labels_only_the_band_and_above_the_plot_where_no_curve_goes():
    svg = parse(line())
    labels = [t for t in svg.findall(f"{SVG}text") if t.get("class") not in ("chart-tick", "chart-axis-label")]
    assert [t.text for t in labels] == ["trained on"]
    assert float(labels[0].get("y")) < charts.LINE_MARGIN_TOP  # the plot starts at LINE_MARGIN_TOP
