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


def test_export_action_downloads_the_selected_rows_as_csv(admin_client, history):
    selected = [str(p.pk) for p in history.filter(source__in=["form", "api"])]
    response = admin_client.post("/admin/predictor/prediction/",
                                 {"action": "export_csv", "_selected_action": selected})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert sorted(row["source"] for row in rows) == ["api", "form"]
    assert {row["id"] for row in rows} == set(selected)


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
