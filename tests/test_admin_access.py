"""The admin is for staff only, the history is never public, and ADMIN_URL moves the admin."""
import os
import subprocess
import sys

import pytest

from predictor import services


@pytest.fixture
def prediction(active_version):
    return services.predict_and_record(temperature=20, humidity=60, windspeed=12, source="form")


def admin_urls(prediction):
    return ["/admin/", "/admin/predictor/prediction/", f"/admin/predictor/prediction/{prediction.pk}/change/",
            "/admin/predictor/modelversion/", f"/admin/predictor/modelversion/{prediction.model_version_id}/change/"]


def test_anonymous_visitors_are_sent_to_the_login_page(client, prediction):
    for url in admin_urls(prediction):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/"), url


def test_logged_in_users_who_are_not_staff_are_sent_to_the_login_page(client, prediction, django_user_model):
    client.force_login(django_user_model.objects.create_user("visitor", password="pw"))
    for url in admin_urls(prediction):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/"), url


def test_the_csv_export_is_refused_to_anonymous_visitors(client, prediction):
    response = client.get("/admin/predictor/prediction/export.csv")
    assert response.status_code == 302 and "text/csv" not in response.get("Content-Type", "")


def test_the_history_is_not_published_outside_the_admin(client, prediction):
    # Each result page is reachable by its unguessable id only; no public listing exists.
    for url in ["/predictions/", "/history/", "/api/v1/predictions/"]:
        assert client.get(url).status_code in (404, 405), url


def test_admin_url_moves_the_admin():
    code = (
        "import django; django.setup();"
        "from django.test import Client; c = Client();"
        "print('RESULT', c.get('/backoffice/').status_code, c.get('/backoffice/')['Location'], c.get('/admin/').status_code)"
    )
    env = {**os.environ, "ADMIN_URL": "backoffice/", "DJANGO_SETTINGS_MODULE": "tests.settings"}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    last = [line for line in result.stdout.splitlines() if line.startswith("RESULT")][-1]
    assert last.split()[1:] == ["302", "/backoffice/login/?next=/backoffice/", "404"]
