"""axe-core on the pages people use: no serious or critical accessibility violations."""
from tests.browser.conftest import pretty, submit_form, submit_to_result


def test_form_result_and_dashboard_pages_have_no_serious_accessibility_violations(logged_in, axe, active_version):
    page = logged_in
    found = {}

    page.goto("/")
    found["form"] = axe(page)

    submit_form(page, temperature="45", humidity="150")
    found["form with errors"] = axe(page)

    submit_to_result(page, humidity="50", windspeed="12")
    found["result (outside the training range)"] = axe(page)

    page.goto("/admin/predictor/prediction/dashboard/")
    found["dashboard"] = axe(page)

    assert {name: v for name, v in found.items() if v} == {}, pretty(found)
    assert page.problems.errors == []
