"""The production WSGI application: the prediction endpoints take the lean middleware chain."""
import io
import json

import pytest

from bikesite.wsgi import application
from predictor.models import Prediction

pytestmark = pytest.mark.django_db(transaction=True)  # requests commit, as in production

BODY = json.dumps({"temperature": 20.0, "humidity": 60.0, "windspeed": 12.0}).encode()


def call(handler, path: str, body: bytes = BODY, method: str = "POST"):
    environ = {
        "REQUEST_METHOD": method, "PATH_INFO": path, "SCRIPT_NAME": "", "SERVER_NAME": "testserver",
        "SERVER_PORT": "80", "HTTP_HOST": "testserver", "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body), "wsgi.url_scheme": "http",
        "wsgi.errors": io.StringIO(),
    }
    started = {}
    chunks = handler(environ, lambda status, headers: started.update(status=status, headers=dict(headers)))
    content = b"".join(chunks)
    chunks.close()
    return started["status"], started["headers"], content


def test_only_the_two_prediction_endpoints_take_the_lean_chain():
    assert application.lean_paths == {"/api/v1/predictions", "/api/v1/predictions/batch"}


def test_other_pages_keep_the_full_chain(active_version):
    status, headers, _ = call(application, "/", b"", method="GET")
    assert status.startswith("200")
    assert "csrftoken=" in headers.get("Set-Cookie", "")  # the form page's CSRF cookie: full chain


def test_a_prediction_through_the_production_application_is_stored(active_version):
    status, headers, content = call(application, "/api/v1/predictions")
    prediction = json.loads(content)
    assert status.startswith("201")
    assert Prediction.objects.filter(pk=prediction["id"], source="api").exists()
    assert headers["Location"] == f"/api/v1/predictions/{prediction['id']}"
    assert "Set-Cookie" not in headers


def test_lean_and_full_chains_answer_with_the_same_headers(active_version):
    lean_status, lean_headers, _ = call(application.lean, "/api/v1/predictions")
    full_status, full_headers, _ = call(application.full, "/api/v1/predictions")
    assert lean_status == full_status
    assert set(lean_headers) == set(full_headers)


def test_lean_chain_answers_errors_as_the_full_chain_does(active_version):
    bad = json.dumps({"temperature": 99, "humidity": 60, "windspeed": 12}).encode()
    lean = call(application.lean, "/api/v1/predictions", bad)
    full = call(application.full, "/api/v1/predictions", bad)
    assert (lean[0], lean[2]) == (full[0], full[2])
    assert lean[0].startswith("400")


def test_a_batch_through_the_production_application_is_stored(active_version):
    rows = [{"temperature": float(t), "humidity": 60.0, "windspeed": 12.0} for t in range(-20, 40)]
    status, _, content = call(application, "/api/v1/predictions/batch", json.dumps({"inputs": rows}).encode())
    assert status.startswith("201")
    assert len(json.loads(content)["predictions"]) == len(rows) == Prediction.objects.filter(source="batch").count()


def test_the_lean_chain_serves_its_paths_with_the_views_the_urlconf_names(active_version):
    from django.urls import resolve

    for path in application.lean_paths:
        assert application.lean.resolved[path].func == resolve(path).func
    status, _, _ = call(application.lean, "/api/v1/predictions/00000000-0000-0000-0000-000000000000",
                        b"", method="GET")
    assert status.startswith("404")  # other paths still resolved per request
