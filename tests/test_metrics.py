"""The Prometheus metrics and the GET /metrics endpoint (in this process; tests/harness/
test_metrics_across_workers.py checks the sum over real gunicorn workers)."""
import json
import struct

import pytest
from django.utils import timezone
from prometheus_client import REGISTRY
from prometheus_client.mmap_dict import MmapedDict, mmap_key
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from bikesite.wsgi import application
from predictor import metrics, recording
from predictor.models import ModelVersion
from tests.test_lean_api import call
from tests.lost_connection import raise_lost_connection

TOKEN = "test-metrics-token"  # tests/settings.py
AUTH = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}
VALID = {"temperature": 20.0, "humidity": 60.0, "windspeed": 12.0}


def value(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, {key: str(item) for key, item in labels.items()}) or 0.0


def post_json(client, path, payload, **extra):
    return client.post(path, json.dumps(payload), content_type="application/json", **extra)


# --- the endpoint ------------------------------------------------------------------------------

def test_metrics_are_off_without_a_token(client, db, settings, django_assert_num_queries):
    settings.METRICS_TOKEN = ""
    with django_assert_num_queries(0):
        response = client.get("/metrics", **AUTH)
    assert response.status_code == 404


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x", TOKEN])
def test_a_missing_or_wrong_token_gets_401_without_a_database_query(client, db, authorization,
                                                                   django_assert_num_queries):
    extra = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    with django_assert_num_queries(0):
        response = client.get("/metrics", **extra)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"bikesite_" not in response.content


def test_the_token_gets_the_prometheus_text_format(client, db, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/metrics", **AUTH)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert response["Cache-Control"] == "no-store"
    text = response.content.decode()
    for line in ["bikesite_predictions_total counter", "bikesite_inputs_outside_training_range_total counter",
                 "bikesite_request_duration_seconds histogram", "bikesite_rejected_inputs_total counter",
                 "bikesite_unavailable_total counter", "bikesite_rate_limited_total counter",
                 "bikesite_model_loads_total counter", "bikesite_model_artifacts_refused_total counter",
                 "bikesite_model_version gauge", "bikesite_model_activated_timestamp_seconds gauge"]:
        assert f"# TYPE {line}\n" in text, line


# --- predictions -------------------------------------------------------------------------------

def test_a_batch_of_25_adds_25_labelled_batch_and_version(client, active_version):
    before = value("bikesite_predictions_total", source="batch", model_version=active_version.pk)
    response = post_json(client, "/api/v1/predictions/batch", {"inputs": [VALID] * 25})
    assert response.status_code == 201
    assert value("bikesite_predictions_total", source="batch", model_version=active_version.pk) == before + 25


def test_a_large_batch_through_copy_counts_every_row(client, active_version):
    rows = recording.COPY_MIN_ROWS + 10
    before = value("bikesite_predictions_total", source="batch", model_version=active_version.pk)
    assert post_json(client, "/api/v1/predictions/batch", {"inputs": [VALID] * rows}).status_code == 201
    assert value("bikesite_predictions_total", source="batch", model_version=active_version.pk) == before + rows


def test_api_and_form_predictions_count_one_each_under_their_source(client, active_version):
    api_before = value("bikesite_predictions_total", source="api", model_version=active_version.pk)
    form_before = value("bikesite_predictions_total", source="form", model_version=active_version.pk)
    assert post_json(client, "/api/v1/predictions", VALID).status_code == 201
    assert client.post("/", VALID).status_code == 303
    assert value("bikesite_predictions_total", source="api", model_version=active_version.pk) == api_before + 1
    assert value("bikesite_predictions_total", source="form", model_version=active_version.pk) == form_before + 1


def test_inputs_outside_the_training_range_are_counted_per_feature(client, active_version):
    low, high = active_version.feature_ranges["temperature"]
    hot = {**VALID, "temperature": high + 1}
    before = {name: value("bikesite_inputs_outside_training_range_total", feature=name)
              for name in ("temperature", "humidity", "windspeed")}
    post_json(client, "/api/v1/predictions", hot)
    post_json(client, "/api/v1/predictions/batch", {"inputs": [hot, VALID, hot]})
    post_json(client, "/api/v1/predictions", VALID)
    after = {name: value("bikesite_inputs_outside_training_range_total", feature=name) for name in before}
    assert {name: after[name] - before[name] for name in before} == {"temperature": 3, "humidity": 0, "windspeed": 0}


# --- refusals ----------------------------------------------------------------------------------

def test_rejected_inputs_are_counted_by_reason(client, active_version):
    before = {reason: value("bikesite_rejected_inputs_total", reason=reason)
              for reason in ("humidity", "body", "unknown_field", "inputs")}
    assert post_json(client, "/api/v1/predictions", {**VALID, "humidity": 101}).status_code == 400
    assert client.post("/api/v1/predictions", "{", content_type="application/json").status_code == 400
    assert post_json(client, "/api/v1/predictions/batch",
                     {"inputs": [{**VALID, "attacker-chosen-name": 1}]}).status_code == 400
    assert post_json(client, "/api/v1/predictions/batch", {"inputs": []}).status_code == 400
    assert client.post("/", {**VALID, "humidity": "101"}).status_code == 400  # the form
    after = {reason: value("bikesite_rejected_inputs_total", reason=reason) for reason in before}
    assert {reason: after[reason] - before[reason] for reason in before} == {
        "humidity": 2, "body": 1, "unknown_field": 1, "inputs": 1}


def test_no_active_model_is_a_503_counted_as_model(client, db):
    before = value("bikesite_unavailable_total", reason="model")
    assert post_json(client, "/api/v1/predictions", VALID).status_code == 503
    assert client.post("/", VALID).status_code == 503
    assert value("bikesite_unavailable_total", reason="model") == before + 2


def test_a_lost_database_is_a_503_counted_as_database(client, active_version, monkeypatch):

    post_json(client, "/api/v1/predictions", VALID)  # the model is loaded; now the INSERT fails
    monkeypatch.setattr(recording, "insert_one", raise_lost_connection)
    before = value("bikesite_unavailable_total", reason="database")
    assert post_json(client, "/api/v1/predictions", VALID).status_code == 503
    assert client.post("/", VALID).status_code == 503
    assert value("bikesite_unavailable_total", reason="database") == before + 2


def test_rate_limit_refusals_are_counted(client, active_version, settings):
    settings.RATELIMIT_ENABLED, settings.RATELIMIT_REQUESTS = True, 2
    before = value("bikesite_rate_limited_total")
    statuses = [client.post("/", VALID, REMOTE_ADDR="192.0.2.44").status_code for _ in range(5)]
    assert statuses == [303, 303, 429, 429, 429]
    assert value("bikesite_rate_limited_total") == before + 3


# --- latency, and the lean chain ---------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_the_lean_prediction_chain_is_timed_by_route_and_status_class(active_version):
    def count(status_class):
        return value("bikesite_request_duration_seconds_count", route="api:predictions", status_class=status_class)

    created, rejected = count("2xx"), count("4xx")
    assert call(application, "/api/v1/predictions")[0].startswith("201")
    assert call(application, "/api/v1/predictions", json.dumps({**VALID, "humidity": 101}).encode())[0].startswith("400")
    assert (count("2xx"), count("4xx")) == (created + 1, rejected + 1)
    assert value("bikesite_request_duration_seconds_bucket", route="api:predictions", status_class="2xx",
                 le="30.0") == created + 1


def test_unmatched_paths_share_one_route_label(client, db):
    before = value("bikesite_request_duration_seconds_count", route="other", status_class="4xx")
    for path in ("/no-such-page-1", "/no-such-page-2"):
        assert client.get(path).status_code == 404
    assert value("bikesite_request_duration_seconds_count", route="other", status_class="4xx") == before + 2


# --- the model ---------------------------------------------------------------------------------

def test_loading_a_model_sets_the_version_and_activation_gauges(client, active_version):
    ModelVersion.objects.filter(pk=active_version.pk).update(activated_at=timezone.now())
    active_version.refresh_from_db()
    loads = value("bikesite_model_loads_total")
    post_json(client, "/api/v1/predictions", VALID)
    assert value("bikesite_model_version") == active_version.pk
    assert value("bikesite_model_activated_timestamp_seconds") == pytest.approx(active_version.activated_at.timestamp())
    assert value("bikesite_model_loads_total") == loads + 1


def test_a_refused_artifact_is_counted(client, active_version):
    ModelVersion.objects.filter(pk=active_version.pk).update(sha256="0" * 64)  # it no longer matches
    refused = value("bikesite_model_artifacts_refused_total")
    assert post_json(client, "/api/v1/predictions", VALID).status_code == 503
    assert value("bikesite_model_artifacts_refused_total") == refused + 1


# --- the multiprocess directory (gunicorn) -------------------------------------------------------

@pytest.fixture
def worker_files(tmp_path):
    """A multiprocess directory: one worker's counter written, another's file created but still
    empty (a worker between creating its file and sizing it, or killed there)."""
    counts = MmapedDict(str(tmp_path / "counter_101.db"))
    counts.write_value(mmap_key("bikesite_predictions", "bikesite_predictions_total", ["source", "model_version"],
                                ["api", "7"], "Predictions served."), 3.0, 0.0)
    counts.close()
    (tmp_path / "counter_102.db").touch()
    (tmp_path / "histogram_102.db").touch()
    return tmp_path


def test_a_scrape_skips_a_workers_file_still_empty_and_shows_the_others(worker_files):
    body, _ = metrics.exposition(str(worker_files))
    samples = {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
               for family in text_string_to_metric_families(body.decode()) for sample in family.samples}
    assert samples[("bikesite_predictions_total", (("model_version", "7"), ("source", "api")))] == 3.0


def test_prometheus_client_itself_still_fails_on_an_empty_file(worker_files):
    # When this fails, prometheus_client reads empty files itself (client_python#1199):
    # metrics.SizedFilesCollector can go.
    with pytest.raises(struct.error):
        list(MultiProcessCollector(None, path=str(worker_files)).collect())
