"""Custom 400/403/404/500 pages with DEBUG off: no stack trace, no settings, no internals."""
import pytest
from django.test import Client
from django.urls import include, path

from predictor.models import Prediction

LEAKS = ("Traceback", "DEBUG", "SECRET_KEY", "settings.py", "Django Version", "psycopg", "site-packages")


def boom(request):
    raise RuntimeError("an unexpected bug with internals: password=hunter2")


urlpatterns = [path("boom/", boom), path("api/boom", boom), path("", include("predictor.urls"))]
handler500 = "predictor.errors.server_error"


def assert_friendly(response, status, heading):
    html = response.content.decode()
    assert response.status_code == status
    assert f"<h1>{heading}</h1>" in html
    assert "/static/css/site.css" in html  # our own page, not Django's bare default
    for leak in LEAKS:
        assert leak not in html


def test_debug_is_off_in_the_test_settings(settings):
    assert settings.DEBUG is False


def test_unknown_page_is_the_custom_404(client, db):
    assert_friendly(client.get("/no/such/page/"), 404, "Page not found")


def test_a_foreign_host_header_is_the_custom_400(client, db):
    assert_friendly(client.get("/", HTTP_HOST="evil.example"), 400, "Bad request")


def test_a_form_post_without_csrf_is_a_friendly_403(db):
    response = Client(enforce_csrf_checks=True).post("/", {"temperature": "1", "humidity": "1", "windspeed": "1"})
    assert_friendly(response, 403, "Please reload the form")
    assert Prediction.objects.count() == 0


def test_permission_denied_is_the_custom_403(client, django_user_model):
    user = django_user_model.objects.create_user("staffer", password="pw", is_staff=True)
    client.force_login(user)  # staff without permissions on the history
    assert_friendly(client.get("/admin/predictor/prediction/"), 403, "Not allowed")


@pytest.mark.urls("tests.test_error_pages")
def test_an_unexpected_error_is_the_custom_500_without_details(db):
    response = Client(raise_request_exception=False).get("/boom/")
    assert_friendly(response, 500, "Something went wrong")
    assert "hunter2" not in response.content.decode()


@pytest.mark.urls("tests.test_error_pages")
def test_an_unexpected_error_under_the_api_is_a_json_500_without_details(db):
    response = Client(raise_request_exception=False).get("/api/boom")
    assert response.status_code == 500
    assert response.json() == {"errors": {"request": ["Internal error; nothing was stored."]}}


def test_a_foreign_host_header_under_the_api_is_a_json_400(client, db):
    response = client.get("/api/v1/models/active", HTTP_HOST="evil.example")
    assert response.status_code == 400 and response.json() == {"errors": {"request": ["Bad request."]}}
