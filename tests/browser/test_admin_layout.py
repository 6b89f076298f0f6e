"""The admin as staff see it in Chromium: nothing overflows sideways at 1280x900 or 390x844, no
table hides columns behind an inner scroll at 1280 px, the dashboard's charts label alike, the
activate button asks before it acts, and axe finds nothing serious on any admin page."""
import os
import re

import pytest

from predictor import services, versions
from predictor.models import ModelVersion, Prediction
from tests.browser.conftest import pretty

SCREENSHOTS = os.environ.get("ADMIN_SCREENSHOTS")  # a folder to keep screenshots in, when set
WIDE, PHONE = {"width": 1280, "height": 900}, {"width": 390, "height": 844}

# Elements wider than the page, and scroll boxes whose content is wider than the box.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const page = document.documentElement.scrollWidth > width + 1 ? [document.documentElement.scrollWidth] : [];
  const inner = [];
  for (const el of document.querySelectorAll('body *')) {
    const style = getComputedStyle(el);
    if (['auto', 'scroll'].includes(style.overflowX) && el.scrollWidth > el.clientWidth + 1)
      inner.push((el.id || el.className || el.tagName) + ' ' + el.scrollWidth + '>' + el.clientWidth);
  }
  return {page, inner};
}"""


@pytest.fixture
def admin_history(active_version, make_version):
    older = make_version(notes="the one before")
    versions.activate_model_version(version_id=older.pk)
    versions.activate_model_version(version_id=active_version.pk)
    for temperature, source in [(-35, "form"), (15, "api"), (25, "api"), (35, "batch"), (20, "form")]:
        services.predict_and_record(temperature=temperature, humidity=60, windspeed=10, source=source)
    return active_version, older


def admin_pages(active_version, older):
    prediction = Prediction.objects.order_by("created_at").first()
    return {
        "history list": "/admin/predictor/prediction/",
        "dashboard, 365 days": "/admin/predictor/prediction/dashboard/?days=365",
        "model version list": "/admin/predictor/modelversion/",
        "active model version": f"/admin/predictor/modelversion/{active_version.pk}/change/",
        "other model version": f"/admin/predictor/modelversion/{older.pk}/change/",
        "prediction": f"/admin/predictor/prediction/{prediction.pk}/change/",
        "activate confirmation": f"/admin/predictor/modelversion/{older.pk}/activate/",
        "admin home": "/admin/",
    }


def shoot(page, name):
    if SCREENSHOTS:
        os.makedirs(SCREENSHOTS, exist_ok=True)
        page.screenshot(path=os.path.join(SCREENSHOTS, re.sub(r"\W+", "-", name) + ".png"), full_page=True)


@pytest.mark.parametrize("viewport", [WIDE, PHONE], ids=["1280x900", "390x844"])
def test_no_admin_page_overflows_sideways(logged_in, admin_history, viewport):
    page = logged_in
    page.set_viewport_size(viewport)
    found = {}
    for name, url in admin_pages(*admin_history).items():
        page.goto(url)
        overflow = page.evaluate(OVERFLOW)
        shoot(page, f"{name} {viewport['width']}")
        if overflow["page"] or (viewport is WIDE and overflow["inner"]):  # at 390 px a table may scroll inside
            found[name] = overflow
    assert found == {}
    assert page.problems.errors == []


def test_every_history_column_is_visible_at_1280(logged_in, admin_history):
    page = logged_in
    page.goto("/admin/predictor/prediction/")
    headers = page.locator("#result_list thead th").all_inner_texts()
    for title in ["Temperature", "Humidity", "Wind speed", "Predicted rentals", "80 % low", "80 % high",
                  "Inputs vs training range", "Model version", "Source"]:
        assert any(title.lower() in header.lower() for header in headers), (title, headers)
    table, filters = page.locator("#result_list").bounding_box(), page.locator("#changelist-filter").bounding_box()
    assert table["x"] + table["width"] <= filters["x"]  # beside the filters, not under them
    # The marker is a word, not Django's green/red icon, and only on the risky row.
    assert page.locator("#result_list img[src*='icon-yes'], #result_list img[src*='icon-no']").count() == 0
    outside = Prediction.objects.filter(outside_training_range=True).count()
    assert 1 <= outside < Prediction.objects.count()
    assert page.locator("#result_list .range-flag--outside").all_inner_texts() == ["outside"] * outside
    assert re.fullmatch(r"\d{1,3}(,\d{3})*", page.locator("td.field-rounded_count").first.inner_text())


def test_dashboard_charts_label_their_ticks_at_the_same_size(logged_in, admin_history):
    page = logged_in
    page.goto("/admin/predictor/prediction/dashboard/?days=365")
    sizes = page.evaluate("""() => [...document.querySelectorAll('svg.chart')].map(svg => {
        const tick = svg.querySelector('.chart-tick');
        return tick ? tick.getBoundingClientRect().height : null; }).filter(Boolean)""")
    assert len(sizes) >= 4
    assert max(sizes) / min(sizes) < 1.25, sizes
    table = page.locator(".versions-table").bounding_box()
    container = page.locator("#content-main").bounding_box()
    assert table["x"] + table["width"] <= container["x"] + container["width"] + 1


def test_staff_activates_a_version_from_its_page_after_confirming(logged_in, admin_history):
    page = logged_in
    active, older = admin_history
    page.goto(f"/admin/predictor/modelversion/{older.pk}/change/")
    assert page.locator(".metrics-table").first.is_visible()
    page.get_by_role("link", name="Activate this version").click()
    assert ModelVersion.objects.get(is_active=True).pk == active.pk  # asking changed nothing
    shoot(page, "activate confirmation")
    page.get_by_role("button", name=f"Yes, activate v{older.pk}").click()
    page.wait_for_url(f"**/modelversion/{older.pk}/change/")
    assert f"Model version v{older.pk} is now active" in page.content()
    assert ModelVersion.objects.get(is_active=True).pk == older.pk
    page.get_by_role("link", name="Roll back to the previous version").click()
    page.get_by_role("button", name=f"Yes, roll back to v{active.pk}").click()
    page.wait_for_url(f"**/modelversion/{active.pk}/change/")
    assert ModelVersion.objects.get(is_active=True).pk == active.pk
    assert page.problems.errors == []


def test_prediction_page_links_to_its_public_result(logged_in, admin_history):
    page = logged_in
    prediction = Prediction.objects.order_by("created_at").first()
    page.goto(f"/admin/predictor/prediction/{prediction.pk}/change/")
    page.get_by_role("link", name="The result page, with its charts").click()
    page.wait_for_url(f"**/predictions/{prediction.pk}/")
    assert page.get_by_role("heading").first.is_visible()


def test_admin_pages_have_no_serious_accessibility_violations(logged_in, admin_history, axe):
    page = logged_in
    found = {}
    for name, url in admin_pages(*admin_history).items():
        page.goto(url)
        found[name] = axe(page)
    assert {name: v for name, v in found.items() if v} == {}, pretty(found)
