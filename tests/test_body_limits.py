"""Request bodies: 413 above MAX_REQUEST_BODY_BYTES, and a full 10,000-row batch fits under it."""
import json

from django.conf import settings

from predictor.models import Prediction


def test_a_body_over_the_limit_is_413_on_the_form_and_stores_nothing(client, active_version):
    body = "temperature=1&humidity=1&windspeed=1&padding=" + "x" * settings.MAX_REQUEST_BODY_BYTES
    response = client.generic("POST", "/", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert "Too much data" in response.content.decode()
    assert Prediction.objects.count() == 0


def test_a_body_over_the_limit_is_413_json_on_the_api(client, active_version):
    body = b"[" + b"0," * settings.MAX_REQUEST_BODY_BYTES + b"0]"
    response = client.generic("POST", "/api/v1/predictions/batch", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["errors"]["body"]
    assert Prediction.objects.count() == 0


def test_the_largest_10000_row_batch_fits_the_limit_and_is_stored(client, active_version):
    # Every number with the longest repr a float has, pretty-printed: the most a client sends.
    row = {"temperature": -39.123456789012345, "humidity": 99.12345678901234, "windspeed": 149.12345678901234}
    body = json.dumps({"inputs": [row] * 10_000}, indent=4).encode()
    assert settings.MAX_REQUEST_BODY_BYTES / 2 < len(body) < settings.MAX_REQUEST_BODY_BYTES
    response = client.generic("POST", "/api/v1/predictions/batch", body, content_type="application/json")
    assert response.status_code == 201
    assert Prediction.objects.filter(source="batch").count() == 10_000


def test_a_batch_one_byte_over_the_limit_is_413(client, active_version):
    body = b'{"inputs": []}'.ljust(settings.MAX_REQUEST_BODY_BYTES + 1)
    response = client.generic("POST", "/api/v1/predictions/batch", body, content_type="application/json")
    assert response.status_code == 413 and Prediction.objects.count() == 0


def test_the_limit_is_what_django_enforces_too():
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == settings.MAX_REQUEST_BODY_BYTES
