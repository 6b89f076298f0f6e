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
    rows = re.findall(r'<td class="field-temperature">([^<]+)</td>', html)
    assert rows == ["25.0", "15.0", "5.0"]


def test_history_filters_by_source(admin_client, history):
    html = admin_client.get("/admin/predictor/prediction/?source__exact=api").content.decode()
    assert re.findall(r'<td class="field-temperature">([^<]+)</td>', html) == ["15.0"]


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
        assert re.findall(r'<td class="field-temperature">([^<]+)</td>', html) == ["15.0"], term
        assert not [q for q in queries.captured_queries if "LIKE" in q["sql"].upper()]


def test_search_by_the_first_characters_of_an_id(admin_client, history):
    wanted = history.get(source="batch")
    # Past the first 12 hex digits (a version 7 id's millisecond, shared by rows made together).
    html = admin_client.get("/admin/predictor/prediction/", {"q": str(wanted.pk)[:23]}).content.decode()
    assert re.findall(r'<td class="field-temperature">([^<]+)</td>', html) == ["25.0"]


@pytest.mark.parametrize("term", ["hello", "1234", "zz" * 16, "'; DROP TABLE x; --", "0" * 40])
def test_search_for_anything_else_finds_nothing_and_never_fails(admin_client, history, term):
    response = admin_client.get("/admin/predictor/prediction/", {"q": term})
    assert response.status_code == 200
    assert re.findall(r'<td class="field-temperature">([^<]+)</td>', response.content.decode()) == []


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
    assert f"{figures['coverage']:.1%} overall; by quarter Q1 {figures['coverage_by_quarter']['Q1']:.1%}" in html
    assert f"lowest-predicted quarter of days {figures['coverage_by_predicted_quartile']['L1']:.1%}" in html
    assert f"mean width {figures['mean_width']:,.0f} rentals" in html


def test_activate_action_switches_the_active_version(admin_client, active_version, make_version):
    other = make_version()
    response = admin_client.post("/admin/predictor/modelversion/",
                                 {"action": "activate_selected", "_selected_action": [other.pk]}, follow=True)
    assert "is now active" in response.content.decode()
    assert ModelVersion.objects.get(is_active=True).pk == other.pk
