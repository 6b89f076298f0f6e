"""axe-core on the pages people use: no serious or critical accessibility violations."""
import re

from tests.browser.conftest import pretty


def test_form_result_and_dashboard_pages_have_no_serious_accessibility_violations(logged_in, axe, active_version):
    page = logged_in
    found = {}

    page.goto("/")
    found["form"] = axe(page)

    page.get_by_label("Temperature").fill("45")
    page.get_by_label("Humidity").fill("150")
    page.get_by_role("button", name="Forecast rentals").click()
    found["form with errors"] = axe(page)

    page.get_by_label("Humidity").fill("50")
    page.get_by_label("Wind speed").fill("12")
    page.get_by_role("button", name="Forecast rentals").click()
    page.wait_for_url(re.compile(r"/predictions/"))
    found["result (outside the training range)"] = axe(page)

    page.goto("/admin/predictor/prediction/dashboard/")
    found["dashboard"] = axe(page)

    assert {name: v for name, v in found.items() if v} == {}, pretty(found)
    assert page.problems.errors == []
