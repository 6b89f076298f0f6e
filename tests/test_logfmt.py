"""Structured logs: one logfmt line per notable event, with Heroku's request_id when there is one."""
import io
import json
import logging

import pytest
from django.test import Client

from predictor import logfmt, monitoring, recording, serving
from predictor.models import ModelVersion
from tests.lost_connection import raise_lost_connection

VALID = {"temperature": 20.0, "humidity": 60.0, "windspeed": 12.0}


@pytest.fixture
def lines():
    """The log lines written while the test runs, formatted as on stdout."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logfmt.LogfmtFormatter())
    loggers = [logging.getLogger(), logging.getLogger("django")]  # "django" does not propagate
    for logger in loggers:
        logger.addHandler(handler)
    yield lambda: stream.getvalue().splitlines()
    for logger in loggers:
        logger.removeHandler(handler)


def events(lines, name):
    return [line for line in lines() if f" event={name} " in line + " "]


def test_values_are_bare_tokens_or_quoted_and_escaped():
    assert logfmt.value("web.1") == "web.1"
    assert logfmt.value('say "hi"\nnow') == '"say \\"hi\\"\\nnow"'
    assert logfmt.value(None) == ""
    assert logfmt.value(3) == "3"


def test_an_event_is_one_key_value_line(lines):
    logfmt.event("release_step", step="migrate", detail="2 migrations applied")
    assert lines() == ['at=info logger=bikesite.events event=release_step step=migrate detail="2 migrations applied"']


def test_the_first_database_failure_logs_outage_begun_and_the_next_prediction_outage_ended(
        client, active_version, monkeypatch, lines):
    monitoring._outages.clear()  # (per process: an earlier test's outage may still be open)
    client.post("/api/v1/predictions", json.dumps(VALID), content_type="application/json")  # the model is loaded
    real_insert = recording.insert_one

    monkeypatch.setattr(recording, "insert_one", raise_lost_connection)
    for _ in range(3):
        response = client.post("/api/v1/predictions", json.dumps(VALID), content_type="application/json",
                               HTTP_X_REQUEST_ID="8a3c1d2e-request")
        assert response.status_code == 503
    monkeypatch.setattr(recording, "insert_one", real_insert)
    assert client.post("/", VALID, HTTP_X_REQUEST_ID="9b4d-request").status_code == 303

    begun, ended = events(lines, "outage_begun"), events(lines, "outage_ended")
    assert len(begun) == 1 and len(ended) == 1
    assert begun[0].startswith("at=warning logger=bikesite.events event=outage_begun reason=database ")
    assert begun[0].endswith(" request_id=8a3c1d2e-request")
    assert ended[0] == "at=info logger=bikesite.events event=outage_ended reason=database request_id=9b4d-request"


def test_a_503_leaves_no_line_of_djangos_own_while_other_statuses_keep_theirs(client, active_version, monkeypatch,
                                                                            lines):
    monkeypatch.setattr(recording, "insert_one", raise_lost_connection)
    for _ in range(3):
        assert client.post("/api/v1/predictions", json.dumps(VALID), content_type="application/json").status_code == 503
    assert client.get("/no-such-page").status_code == 404
    django_lines = [line for line in lines() if "logger=django.request" in line]
    assert django_lines == [next(line for line in django_lines if "Not Found: /no-such-page" in line)]
    assert django_lines[0].startswith("at=warning ")


def test_a_rate_limit_hit_is_logged_once_per_client_and_window(client, active_version, settings, lines):
    settings.RATELIMIT_ENABLED, settings.RATELIMIT_REQUESTS = True, 1
    for _ in range(4):
        client.post("/", VALID, REMOTE_ADDR="192.0.2.77", HTTP_X_REQUEST_ID="req-rl")
    assert events(lines, "rate_limited") == [
        "at=warning logger=bikesite.events event=rate_limited client=192.0.2.77 limit=1 window_seconds=60 "
        "request_id=req-rl"]


def test_model_loaded_and_refused_are_logged(client, active_version, lines):
    client.post("/api/v1/predictions", json.dumps(VALID), content_type="application/json")
    assert events(lines, "model_loaded")[0].startswith(
        f"at=info logger=bikesite.events event=model_loaded version={active_version.pk} sha256=")
    from predictor import services

    serving.forget_loaded_model()
    ModelVersion.objects.filter(pk=active_version.pk).update(sha256="0" * 64)
    client.post("/api/v1/predictions", json.dumps(VALID), content_type="application/json")
    refused = events(lines, "model_refused")
    assert len(refused) == 1 and refused[0].startswith(
        f"at=error logger=bikesite.events event=model_refused version={active_version.pk} reason=")


def test_a_client_sent_request_id_cannot_break_the_line(client, db, lines):
    monitoring.release_step("noop")  # outside a request: no request_id
    client.get("/no-such-page", HTTP_X_REQUEST_ID='x" injected=1\nat=error')
    assert lines()[0] == "at=info logger=bikesite.events event=release_step step=noop"
    not_found = [line for line in lines() if "Not Found" in line]
    assert not_found and all(line.endswith('request_id="x\\" injected=1\\nat=error"') for line in not_found)


def test_a_disallowed_host_is_one_warning_line_without_a_traceback(db, lines):
    """Scanners send thousands of these: each is one line, not Django's 13-line traceback."""
    response = Client(raise_request_exception=False).get("/", HTTP_HOST="scanner.example")
    assert response.status_code == 400
    assert lines() == [
        "at=warning logger=django.security.DisallowedHost msg=\"Invalid HTTP_HOST header: 'scanner.example'. "
        "You may need to add 'scanner.example' to ALLOWED_HOSTS.\""]
