"""Staff in the admin: log in, find predictions with a filter, export them, read the dashboard."""
import csv
import io
import re

import pytest

from predictor import services


@pytest.fixture
def history(active_version):
    for temperature, source in [(5, "form"), (15, "api"), (25, "api"), (35, "batch")]:
        services.predict_and_record(temperature=temperature, humidity=60, windspeed=10, source=source)


def test_staff_filters_the_history_and_exports_it_as_csv(logged_in, history):
    page = logged_in
    page.get_by_role("link", name="Predictions", exact=True).click()
    page.wait_for_url("**/admin/predictor/prediction/")
    assert page.locator("#result_list tbody tr").count() == 4

    page.locator("#searchbar").fill("not-an-id")  # the search box takes ids only: finds nothing
    with page.expect_navigation():
        page.locator("#searchbar").press("Enter")
    assert "q=not-an-id" in page.url and page.locator("#result_list tbody tr").count() == 0
    page.goto("/admin/predictor/prediction/")

    page.locator("#changelist-filter").get_by_role("link", name="API", exact=True).click()
    page.wait_for_url(re.compile(r"source__exact=api"))
    temperatures = page.locator("#result_list td.field-rounded_temperature").all_inner_texts()
    assert temperatures == ["25.0", "15.0"]

    with page.expect_download() as download:  # every row of the current filter, not a selection
        page.get_by_role("link", name="Export CSV").click()
    path = download.value.path()
    rows = list(csv.DictReader(io.StringIO(open(path, encoding="utf-8").read())))
    assert download.value.suggested_filename == "predictions.csv"
    assert sorted(float(row["temperature"]) for row in rows) == [15.0, 25.0]
    assert {row["source"] for row in rows} == {"api"}
    assert page.problems.errors == []


def test_staff_opens_the_dashboard_from_the_history_and_picks_a_period(logged_in, history):
    page = logged_in
    page.goto("/admin/predictor/prediction/")
    page.get_by_role("link", name="Dashboard").click()
    page.wait_for_url("**/dashboard/")
    assert page.locator(".dashboard-total strong").inner_text() == "4"
    for name in ["Predictions per day, by source", "Predictions per model version",
                 "Temperature of the inputs against the training range"]:
        assert page.get_by_role("img", name=name).is_visible()

    page.get_by_role("link", name="7 days").click()
    page.wait_for_url(re.compile(r"days=7"))
    assert page.get_by_role("img", name="Predictions per day, by source").is_visible()
    assert "1 of the 4 predictions (25 %) had a temperature outside" in page.content()
    assert page.problems.errors == []
