"""Admin: staff only, read-only history with filters and CSV export, model versions."""
import csv
import io
import re

import pytest

from predictor import services
from predictor.models import ModelVersion, Prediction


@pytest.fixture
def history(active_version):
    for temperature, source in [(5, "form"), (15, "api"), (25, "batch")]:
        services.predict_and_record(temperature=temperature, humidity=60, windspeed=10, source=source)
    return Prediction.objects.all()


def test_admin_requires_a_staff_login(client, history):
    response = client.get("/admin/predictor/prediction/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_history_lists_predictions_newest_first(admin_client, history):
    response = admin_client.get("/admin/predictor/prediction/")
    html = response.content.decode()
    assert response.status_code == 200
    rows = re.findall(r'<td class="field-rounded_temperature">([^<]+)</td>', html)
    assert rows == ["25.0", "15.0", "5.0"]


def test_history_filters_by_source(admin_client, history):
    html = admin_client.get("/admin/predictor/prediction/?source__exact=api").content.decode()
    assert re.findall(r'<td class="field-rounded_temperature">([^<]+)</td>', html) == ["15.0"]


def test_history_cannot_be_added_changed_or_deleted_from_admin(admin_client, history):
    prediction = history.first()
    assert admin_client.get("/admin/predictor/prediction/add/").status_code == 403
    change = admin_client.post(f"/admin/predictor/prediction/{prediction.pk}/change/", {"temperature": "1"})
    assert change.status_code in (403, 200)
    assert admin_client.post(f"/admin/predictor/prediction/{prediction.pk}/delete/", {"post": "yes"}).status_code == 403
    prediction.refresh_from_db()
    assert prediction.temperature == 25.0 and Prediction.objects.count() == 3


def export(admin_client, query="") -> list[dict]:
    response = admin_client.get(f"/admin/predictor/prediction/export.csv{query}")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response.streaming
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_export_downloads_every_row_the_filter_shows_on_all_pages(admin_client, history, monkeypatch):
    from predictor.admin import PredictionAdmin

    monkeypatch.setattr(PredictionAdmin, "list_per_page", 1)
    services.predict_and_record(temperature=30, humidity=60, windspeed=10, source="api")
    rows = export(admin_client, "?source__exact=api")
    assert [row["temperature"] for row in rows] == ["30", "15"]  # newest first, as the list shows them
    assert {row["model_version"] for row in rows} == {str(history.first().model_version)}
    assert all(row["interval_low"] and row["interval_high"] for row in rows)
    assert len(export(admin_client)) == 4


def test_the_history_list_links_to_the_export_of_its_current_filter(admin_client, history):
    html = admin_client.get("/admin/predictor/prediction/?source__exact=api").content.decode()
    assert 'href="/admin/predictor/prediction/export.csv?source__exact=api"' in html


def test_export_of_a_search_gives_the_rows_found(admin_client, history):
    wanted = history.get(source="form")
    assert [row["id"] for row in export(admin_client, f"?q={wanted.pk}")] == [str(wanted.pk)]


def test_export_with_an_unknown_filter_is_a_clear_400(admin_client, history):
    response = admin_client.get("/admin/predictor/prediction/export.csv?no_such_field=1")
    assert response.status_code == 400 and b"filter" in response.content


def test_search_by_a_full_id_finds_that_prediction_through_the_primary_key(admin_client, history):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    wanted = history.get(source="api")
    for term in (str(wanted.pk), str(wanted.pk).upper(), wanted.pk.hex, f"  {wanted.pk}  "):
        with CaptureQueriesContext(connection) as queries:
            html = admin_client.get("/admin/predictor/prediction/", {"q": term}).content.decode()
        assert re.findall(r'<td class="field-rounded_temperature">([^<]+)</td>', html) == ["15.0"], term
        assert not [q for q in queries.captured_queries if "LIKE" in q["sql"].upper()]


def test_search_by_the_first_characters_of_an_id(admin_client, history):
    wanted = history.get(source="batch")
    # Past the first 12 hex digits (a version 7 id's millisecond, shared by rows made together).
    html = admin_client.get("/admin/predictor/prediction/", {"q": str(wanted.pk)[:23]}).content.decode()
    assert re.findall(r'<td class="field-rounded_temperature">([^<]+)</td>', html) == ["25.0"]


@pytest.mark.parametrize("term", ["hello", "1234", "zz" * 16, "'; DROP TABLE x; --", "0" * 40])
def test_search_for_anything_else_finds_nothing_and_never_fails(admin_client, history, term):
    response = admin_client.get("/admin/predictor/prediction/", {"q": term})
    assert response.status_code == 200
    assert re.findall(r'<td class="field-rounded_temperature">([^<]+)</td>', response.content.decode()) == []


def test_model_versions_list_shows_metrics_and_the_active_flag(admin_client, active_version):
    html = admin_client.get("/admin/predictor/modelversion/").content.decode()
    assert f"{active_version.cv_mae:.1f}" in html
    assert 'alt="True"' in html


def test_model_version_page_never_shows_the_artifact_bytes(admin_client, active_version):
    html = admin_client.get(f"/admin/predictor/modelversion/{active_version.pk}/change/").content.decode()
    assert "bytes of XGBoost UBJSON" in html
    assert "b&#x27;{" not in html and "\\x" not in html


def test_model_version_page_shows_the_interval_s_coverage_by_quarter_and_predicted_level(admin_client,
                                                                                       active_version):
    html = admin_client.get(f"/admin/predictor/modelversion/{active_version.pk}/change/").content.decode()
    figures = active_version.metrics["interval_cv"]
    assert "80 % interval, cross-validated: coverage by calendar quarter" in html
    assert "80 % interval, cross-validated: coverage by predicted level" in html
    assert f"<td>{figures['coverage_by_quarter']['Q4'] * 100:.1f} %</td>" in html
    assert f"<td>{figures['coverage_by_predicted_quartile']['L1'] * 100:.1f} %</td>" in html
    assert f"<td>{figures['mean_width']:,.0f} rentals</td>" in html
    assert "{&#x27;" not in html and repr(figures["coverage_by_quarter"]["Q1"]) not in html


def test_metrics_tables_round_every_nested_figure_and_explain_the_unfamiliar_ones(trained):
    from predictor.admin.metrics_table import metrics_tables

    metrics = {**trained.metrics, "comparison": {"against": 3, "rows": 365, "new_mae": 554.0207, "active_mae": 573.25}}
    tables = {table.caption: table for table in metrics_tables(metrics)}
    quarters = tables["80 % interval, cross-validated: coverage by calendar quarter"]
    assert [row[0] for row in quarters.rows] == ["Q1: January to March", "Q2: April to June",
                                                 "Q3: July to September", "Q4: October to December"]
    assert all(re.fullmatch(r"\d{1,3}(\.\d)? %", row[1]) for row in quarters.rows), quarters.rows
    interval = dict(zip((row[0] for row in tables["80 % interval of this model"].rows),
                        tables["80 % interval of this model"].lines))
    assert interval["Scale"][2] == [f"{trained.interval.scale:.3f}".rstrip("0")]
    assert interval["Min difficulty"][2] == ["50 rentals"]
    assert "multiplier" in interval["Scale"][1] and "narrower" in interval["Min difficulty"][1]
    comparison = tables["Champion/challenger comparison"]
    assert comparison.rows == [["Against version", "v3"], ["Days scored", "365"],
                               ["This version's MAE (challenger)", "554.0"], ["Active version's MAE (champion)", "573.2"]]
    assert all(comparison.helps) and comparison.note
    folds = tables["Hyper-parameters chosen per fold"]
    assert folds.headings == ["Month held out", "Inputs", "Max depth", "Rounds"]
    assert folds.rows[0][1].startswith("Temperature, humidity, wind speed")
    for table in tables.values():
        for row in table.rows:
            for cell in row:
                assert not re.search(r"\d\.\d{4}|[{}\[\]]", cell), (table.caption, row)


def test_activate_action_switches_the_active_version(admin_client, active_version, make_version):
    other = make_version()
    response = admin_client.post("/admin/predictor/modelversion/",
                                 {"action": "activate_selected", "_selected_action": [other.pk]}, follow=True)
    assert "is now active" in response.content.decode()
    assert ModelVersion.objects.get(is_active=True).pk == other.pk


# --- hostile parameters: one guard turns them into Django's "?e=1" answer (predictor.admin.params)

@pytest.mark.parametrize("query", [
    "model_version__id__exact=abc", "source__exact=a%00", "q=%00", "o=1%00", "created_at__gte=2021-02-30",
])
def test_hostile_history_parameters_redirect_to_the_standard_error_flag(admin_client, history, query):
    response = admin_client.get(f"/admin/predictor/prediction/?{query}")
    assert response.status_code == 302 and response["Location"].endswith("?e=1"), response.status_code
    page = admin_client.get(response["Location"])
    assert page.status_code == 200 and "could not be understood" in page.content.decode()


@pytest.mark.parametrize("query", ["temperature__gt=NaN", "p=" + "9" * 30, "o=" + "9" * 30, "all="])
def test_odd_but_readable_parameters_show_the_list(admin_client, history, query):
    assert admin_client.get(f"/admin/predictor/prediction/?{query}").status_code == 200


def test_a_version_id_beyond_any_integer_is_an_empty_list(admin_client, history):
    # On SQLite too, which could not even bind the number.
    response = admin_client.get("/admin/predictor/prediction/?model_version__id__exact=" + "9" * 30)
    assert response.status_code == 200 and "0 predictions" in response.content.decode()


def test_hostile_parameters_on_top_of_the_error_flag_get_a_clear_page_not_a_500(admin_client, history):
    response = admin_client.get("/admin/predictor/prediction/?e=1&model_version__id__exact=abc")
    assert response.status_code == 200
    assert "could not be understood" in response.content.decode()


def test_observation_date_hierarchy_at_the_end_of_the_calendar_is_refused_not_a_500(admin_client):
    response = admin_client.get("/admin/predictor/observation/?date__year=9999&date__month=12")
    assert response.status_code == 302 and response["Location"].endswith("?e=1")


def test_auth_user_list_is_guarded_too(admin_client):
    response = admin_client.get("/admin/auth/user/?q=a%00b")
    assert response.status_code == 302 and response["Location"].endswith("?e=1")


@pytest.mark.parametrize("page, status", [("change", 200), ("delete", 403), ("history", 200)])
def test_an_empty_to_field_parameter_is_read_as_none_given_not_a_500(admin_client, active_version, page, status):
    # As without the parameter: versions are never deleted from the admin (403).
    response = admin_client.get(f"/admin/predictor/modelversion/{active_version.pk}/{page}/?_to_field=")
    assert response.status_code == status


@pytest.mark.parametrize("selected", ["abc", "9" * 30])  # the second: beyond any integer (SQLite cannot bind it)
def test_activate_action_with_ids_that_are_not_ids_changes_nothing(admin_client, active_version, make_version,
                                                                    selected):
    make_version()
    response = admin_client.post("/admin/predictor/modelversion/",
                                 {"action": "activate_selected", "_selected_action": [selected]}, follow=True)
    assert response.status_code == 200 and "could not be read" in response.content.decode()
    assert ModelVersion.objects.get(is_active=True).pk == active_version.pk


@pytest.mark.parametrize("query", ["days=%C2%B2", "start=9999-12-31&end=9999-12-31", "start=0001-01-01&end=0001-01-02",
                                   "start=2021-02-30&end=2021-03-01", "days=" + "9" * 50])
def test_dashboard_answers_odd_periods_with_the_page_and_a_message(admin_client, history, query):
    response = admin_client.get(f"/admin/predictor/prediction/dashboard/?{query}")
    assert response.status_code == 200


def test_dashboard_refuses_days_beyond_the_calendar_it_covers(admin_client, history):
    html = admin_client.get("/admin/predictor/prediction/dashboard/?start=9999-12-31&end=9999-12-31").content.decode()
    assert "Choose a day from 1 Jan 2000 to 31 Dec 2099." in html


# --- how the pages read (issue 13)

def test_admin_is_titled_after_the_product(admin_client):
    html = admin_client.get("/admin/").content.decode()
    assert "Bike rental forecast administration" in html and "Django administration" not in html


def test_history_list_shows_the_interval_separators_and_a_worded_range_marker(admin_client, active_version):
    prediction = services.predict_and_record(temperature=60 - 100, humidity=60, windspeed=10, source="form")
    html = admin_client.get("/admin/predictor/prediction/").content.decode()
    low, high = prediction.rounded_interval
    assert f'<td class="field-interval_low_display">{low:,}</td>' in html
    assert f'<td class="field-interval_high_display">{high:,}</td>' in html
    assert "range-flag--outside" in html and 'alt="True"' not in html and 'alt="False"' not in html
    assert "Wind speed" in html and "Inputs vs training range" in html
    assert "By inputs vs training range" in html


def test_counts_have_thousands_separators(admin_client, active_version):
    services.predict_and_record(temperature=25, humidity=50, windspeed=10, source="form")
    html = admin_client.get("/admin/predictor/prediction/").content.decode()
    count = Prediction.objects.get().rounded_count
    assert count >= 1000 and f'<td class="field-rounded_count">{count:,}</td>' in html


def test_prediction_page_reads_as_numbers_and_links_to_the_public_result(admin_client, history):
    prediction = history.first()
    html = admin_client.get(f"/admin/predictor/prediction/{prediction.pk}/change/").content.decode()
    assert f'href="/predictions/{prediction.pk}/"' in html
    assert repr(prediction.predicted_count) not in html and f"{prediction.rounded_count:,}" in html
    assert repr(prediction.interval_low) not in html
    assert f"{prediction.temperature:.1f} °C" in html and f"{prediction.windspeed:.1f} km/h" in html
    assert f'href="/admin/predictor/modelversion/{prediction.model_version_id}/change/"' in html


def test_model_version_page_shows_metrics_as_tables_not_json(admin_client, active_version):
    html = admin_client.get(f"/admin/predictor/modelversion/{active_version.pk}/change/").content.decode()
    assert "metrics-table" in html and '{"cv"' not in html and "&quot;cv&quot;" not in html
    assert f"{active_version.metrics['cv']['mae']:,.1f}" in html
    assert repr(active_version.interval_offset) not in html
    assert "Baseline: linear regression" in html and "R²" in html
    assert "By status" in admin_client.get("/admin/predictor/modelversion/").content.decode()


def test_metrics_tables_show_new_keys_without_a_code_change():
    from predictor.admin.metrics_table import metrics_tables

    tables = metrics_tables({"cv": {"mae": 600.25, "rmse": 800.5, "r2": 0.81234},
                             "coverage_by_weekday": [{"weekday": "Monday", "coverage": 0.75}],
                             "drift": {"days": 1200, "by_input": {"humidity_share": 0.123456}}})
    assert tables[0].rows == [["Model, cross-validated (leave one month out)", "600.2", "800.5", "0.812"]]
    assert tables[1].caption == "Coverage by weekday" and tables[1].rows == [["Monday", "75.0 %"]]
    assert tables[2].caption == "Drift" and tables[2].rows == [["Days", "1,200"]]
    assert tables[3].caption == "Drift: by input" and tables[3].rows == [["Humidity share", "12.3 %"]]


def test_activate_button_asks_then_uses_the_versions_service(admin_client, active_version, make_version):
    other = make_version()
    page = admin_client.get(f"/admin/predictor/modelversion/{other.pk}/change/").content.decode()
    assert f"/admin/predictor/modelversion/{other.pk}/activate/" in page
    confirm = admin_client.get(f"/admin/predictor/modelversion/{other.pk}/activate/")
    assert confirm.status_code == 200 and f"Make v{other.pk} the active model version?" in confirm.content.decode()
    assert ModelVersion.objects.get(is_active=True).pk == active_version.pk  # asking changes nothing
    admin_client.post(f"/admin/predictor/modelversion/{other.pk}/activate/")
    assert ModelVersion.objects.get(is_active=True).pk == other.pk


def test_rollback_button_reactivates_the_previous_version(admin_client, active_version, make_version):
    from predictor import versions

    versions.activate_model_version(version_id=active_version.pk)  # it has been activated once
    other = make_version()
    versions.activate_model_version(version_id=other.pk)
    page = admin_client.get(f"/admin/predictor/modelversion/{other.pk}/change/").content.decode()
    assert "/admin/predictor/modelversion/rollback/" in page
    assert f"Roll back to v{active_version.pk}" in admin_client.get("/admin/predictor/modelversion/rollback/").content.decode()
    admin_client.post("/admin/predictor/modelversion/rollback/")
    assert ModelVersion.objects.get(is_active=True).pk == active_version.pk


def test_rollback_with_nothing_to_roll_back_to_says_so(admin_client, active_version):
    response = admin_client.post("/admin/predictor/modelversion/rollback/")
    assert response.status_code == 400 and "no previously active" in response.content.decode()
    assert ModelVersion.objects.get(is_active=True).pk == active_version.pk
