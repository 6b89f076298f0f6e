"""The public pages as a first-time user sees them, on a laptop and on a phone.

Nothing scrolls sideways; the form explains itself (units, examples, typical days) and reads a
decimal comma; the result page's charts are legible on a phone, share one y axis and keep
their labels off the curve; the API docs say what to send and what comes back.
"""
import re

import pytest

from predictor.models import Prediction
from tests.browser.conftest import FORM_LABELS, forecast, pretty, submit_form, submit_to_result

SCREENS = [(1280, 900), (390, 844)]


@pytest.fixture(params=SCREENS, ids=lambda size: f"{size[0]}x{size[1]}")
def screen(request, browser, live_server):
    width, height = request.param
    phone = width < 500
    context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": height},
                                  is_mobile=phone, has_touch=phone)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.width = width
    yield page
    context.close()


def scroll_width(page) -> int:
    return page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")


# Every "number unit" in the page's text whose number and unit sit on different lines.
BROKEN_QUANTITIES = """() => {
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const quantity = /[−-]?\\d[\\d,.]*\\s(°C|%|km\\/h)/g;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.parentElement.closest("svg, script, style, textarea, pre")) continue;
    for (const match of node.data.matchAll(quantity)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
      if (tops.size > 1) found.push(match[0]);
    }
  }
  return found;
}"""


def test_public_pages_never_scroll_sideways_and_never_split_a_quantity(screen, active_version):
    page, seen = screen, {}
    page.goto("/")
    seen["form"] = (scroll_width(page), page.evaluate(BROKEN_QUANTITIES))
    submit_form(page, temperature="45", humidity="150", windspeed="")
    assert page.get_by_role("alert").is_visible()
    seen["form with errors"] = (scroll_width(page), page.evaluate(BROKEN_QUANTITIES))
    submit_to_result(page, temperature="38", humidity="60", windspeed="40")
    assert "Your temperature and wind speed lie outside that range" in page.locator(".notice").inner_text()
    seen["result"] = (scroll_width(page), page.evaluate(BROKEN_QUANTITIES))
    page.goto("/api/v1/docs")
    page.locator("form.api-try").nth(1).get_by_role("button", name="Send request").click()
    page.locator("pre.api-response").nth(1).filter(has_text="201 Created").wait_for()
    seen["API docs, with an answer"] = (scroll_width(page), page.evaluate(BROKEN_QUANTITIES))
    assert page.goto("/no-such-page").status == 404
    seen["404"] = (scroll_width(page), page.evaluate(BROKEN_QUANTITIES))

    assert {name: found for name, found in seen.items() if found != (page.width, [])} == {}


def test_form_shows_units_examples_and_typical_days(page, active_version):
    page.goto("/")
    for label, unit, example in [("Temperature", "°C", "e.g. 16.9"), ("Humidity", "%", "e.g. 70.1"),
                                 ("Wind speed", "km/h", "e.g. 13.5")]:
        field = page.get_by_label(label)
        assert field.get_attribute("placeholder") == example
        assert field.get_attribute("inputmode") == "decimal"
        unit_box = field.locator("xpath=following-sibling::span[@class='unit']")
        assert unit_box.inner_text() == unit
        # Beside the input, on its line.
        box, beside = field.bounding_box(), unit_box.bounding_box()
        assert beside["x"] >= box["x"] + box["width"] and abs(
            (beside["y"] + beside["height"] / 2) - (box["y"] + box["height"] / 2)) < 4

    page.get_by_role("link", name=re.compile("A summer day")).click()
    assert [page.get_by_label(label).input_value() for label in FORM_LABELS.values()] == ["25.7", "60.2", "11.5"]
    submit_to_result(page)  # as the link filled it in
    assert (Prediction.objects.get().temperature, Prediction.objects.get().windspeed) == (25.7, 11.5)


def test_a_decimal_comma_typed_on_the_keyboard_is_a_decimal_point(page, active_version):
    page.goto("/")
    submit_to_result(page, typed=True, temperature="12,5", humidity="60", windspeed="8,25")
    stored = Prediction.objects.get()
    assert (stored.temperature, stored.windspeed) == (12.5, 8.25)
    assert "12.5\u00a0°C" in page.locator(".inputs").inner_text()


def test_a_number_that_is_not_one_decimal_gets_a_clear_error_not_a_guess(page, active_version):
    page.goto("/")
    submit_form(page, temperature="1,2,5", humidity="60", windspeed="8")
    assert page.locator("#id_temperature_error").inner_text() == "Enter the temperature as a number in °C."
    assert Prediction.objects.count() == 0


CHART_TEXT = """() => [...document.querySelectorAll("main svg.chart text")].map(text => {
  const scale = text.ownerSVGElement.getScreenCTM().a;
  return {text: text.textContent, px: parseFloat(getComputedStyle(text).fontSize) * scale};
})"""

# Labels of a what-if chart that the curve passes through: the label's box against each segment
# of the line (both in the chart's own units).
LABELS_ON_THE_CURVE = """(svg) => {
  const points = svg.querySelector("polyline").getAttribute("points").trim().split(/\\s+/)
    .map(p => p.split(",").map(Number));
  const hits = (b, [x1, y1], [x2, y2]) => {
    for (let i = 0; i <= 20; i++) {
      const x = x1 + (x2 - x1) * i / 20, y = y1 + (y2 - y1) * i / 20;
      if (x >= b.x && x <= b.x + b.width && y >= b.y && y <= b.y + b.height) return true;
    }
    return false;
  };
  return [...svg.querySelectorAll("text")].filter(text => {
    const box = text.getBBox();
    return points.some((p, i) => i > 0 && hits(box, points[i - 1], p));
  }).map(text => text.textContent);
}"""


def test_result_charts_are_legible_on_a_phone_share_one_axis_and_keep_labels_off_the_curve(phone_page,
                                                                                           active_version):
    page = phone_page
    page.set_viewport_size({"width": 390, "height": 844})
    forecast(page, temperature="38", humidity="60", windspeed="12")

    too_small = [label for label in page.evaluate(CHART_TEXT) if label["px"] < 12]
    assert too_small == [], too_small
    y_axes = [page.locator(f"#what-if-{name} svg text.chart-tick[text-anchor=end]").all_inner_texts()
              for name in ("temperature", "humidity", "windspeed")]
    assert y_axes[0] == y_axes[1] == y_axes[2] and len(y_axes[0]) >= 3
    for name in ("temperature", "humidity", "windspeed"):
        chart = page.locator(f"#what-if-{name} svg")
        assert chart.evaluate(LABELS_ON_THE_CURVE) == []
    legend = page.get_by_role("list", name="Legend of the charts").inner_text()
    assert "your day:" in legend and "trained on" in legend and "80\u00a0% interval" in legend


def test_result_page_words_the_clip_at_zero_with_true_minus_signs(page, active_version):
    forecast(page, temperature="-5", humidity="95", windspeed="40")
    assert page.locator(".result-figure strong").inner_text() == "0"
    reading = page.locator("#contributions figcaption").inner_text()
    assert "below zero" in reading and "the forecast is clipped to 0" in reading
    text = page.locator("main").inner_text()
    assert "Your wind speed lies outside that range" in text
    assert re.findall(r"(?<![\w.])-\d", text) == []  # minus signs, not hyphens
    assert "−5\u00a0°C" in page.locator(".inputs").inner_text()


def test_api_docs_boxes_invite_a_request_then_show_the_answer(page, active_version):
    page.goto("/api/v1/docs")
    boxes = page.locator("pre.api-response")
    assert boxes.all_inner_texts() == ["Send a request to see the answer."] * 5
    fields = page.get_by_role("table", name="The three inputs").inner_text()
    assert "temperature" in fields and "\u221240 to 50\u00a0°C" in fields and "0 to 150\u00a0km/h" in fields
    assert "curl -X POST" in page.locator("#op-createPrediction ~ pre.api-example").first.inner_text()

    page.locator("form.api-try").first.get_by_role("button", name="Send request").click()
    boxes.first.filter(has_text="201 Created").wait_for()
    assert '"predicted_count"' in boxes.first.inner_text() and '"interval_high"' in boxes.first.inner_text()
    assert boxes.nth(1).inner_text() == "Send a request to see the answer."
    assert page.problems.errors == []


def test_api_docs_and_404_have_no_serious_accessibility_violations(page, axe, active_version):
    found = {}
    page.goto("/api/v1/docs")
    page.locator("form.api-try").first.get_by_role("button", name="Send request").click()
    page.locator("pre.api-response").first.filter(has_text="201 Created").wait_for()
    found["API docs"] = axe(page)
    page.goto("/no-such-page")
    found["404"] = axe(page)
    page.goto("/?temperature=25.7&humidity=60.2&windspeed=11.5")
    found["form filled from a typical day"] = axe(page)
    assert {name: v for name, v in found.items() if v} == {}, pretty(found)
