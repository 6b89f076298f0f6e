"""The JSON API: every endpoint, every error answered in JSON, batches all-or-nothing."""
import json
import uuid

import pytest

from predictor.models import Prediction

VALID = {"temperature": 20, "humidity": 60, "windspeed": 12}


def post(client, path, payload, content_type="application/json"):
    body = payload if isinstance(payload, (bytes, str)) else json.dumps(payload)
    # CONTENT_TYPE again: the test client drops the content type of an empty body.
    return client.post(path, body, content_type=content_type, CONTENT_TYPE=content_type)


def predict(client, payload):
    return post(client, "/api/v1/predictions", payload)


def test_post_prediction_returns_201_and_stores_it_as_api(client, active_version):
    response = predict(client, VALID)
    body = response.json()
    stored = Prediction.objects.get()
    assert response.status_code == 201
    assert response["Location"] == f"/api/v1/predictions/{stored.pk}"
    assert body["id"] == str(stored.pk) and stored.source == "api"
    assert body["predicted_count"] == stored.rounded_count
    assert (body["temperature"], body["humidity"], body["windspeed"]) == (20.0, 60.0, 12.0)
    assert body["model_version"] == active_version.pk and body["outside_training_range"] is False
    assert body["created_at"].startswith(str(stored.created_at.date()))


def test_api_and_form_give_the_same_prediction_for_the_same_inputs(client, active_version):
    api_count = predict(client, VALID).json()["predicted_count"]
    client.post("/", VALID)
    assert Prediction.objects.get(source="form").rounded_count == api_count


def test_post_prediction_flags_inputs_outside_the_training_range(client, active_version):
    assert predict(client, {**VALID, "windspeed": 140}).json()["outside_training_range"] is True


@pytest.mark.parametrize("payload,field,message", [
    ({**VALID, "humidity": 101}, "humidity", "Humidity must be at most 100 %."),
    ({**VALID, "temperature": -41}, "temperature", "Temperature must be at least -40 °C."),
    ({"temperature": 20, "humidity": 60}, "windspeed", "Enter the wind speed in km/h."),
    ({**VALID, "windspeed": None}, "windspeed", "Enter the wind speed in km/h."),
    ({**VALID, "humidity": "60"}, "humidity", "Enter the humidity as a number in %."),
    ({**VALID, "humidity": True}, "humidity", "Enter the humidity as a number in %."),
    ({**VALID, "humidity": [60]}, "humidity", "Enter the humidity as a number in %."),
    ({**VALID, "temperature": 10**400}, "temperature", "Enter the temperature as a number in °C."),
    ({**VALID, "pressure": 1013}, "pressure", "Unknown field."),
])
def test_post_prediction_refuses_bad_fields_with_400_naming_the_field(client, active_version, payload, field, message):
    response = predict(client, payload)
    assert response.status_code == 400
    assert response.json()["errors"][field] == [message]
    assert Prediction.objects.count() == 0


@pytest.mark.parametrize("body", [b"1e309", b'{"temperature": 1e309, "humidity": 60, "windspeed": 12}'])
def test_post_prediction_refuses_overflowing_numbers(client, active_version, body):
    assert predict(client, body).status_code == 400
    assert Prediction.objects.count() == 0


@pytest.mark.parametrize("body,reason", [
    (b'{"temperature": NaN, "humidity": 60, "windspeed": 12}', "NaN is not a number"),
    (b'{"temperature": Infinity, "humidity": 60, "windspeed": 12}', "Infinity is not a number"),
    (b'{"temperature": 20, "temperature": 21, "humidity": 60, "windspeed": 12}', "duplicate key 'temperature'"),
    (b'{"temperature": 20,', "Malformed JSON"),
    (b"", "Malformed JSON"),
    (b"[" * 100_000 + b"]" * 100_000, "Malformed JSON"),
    (b'{"temperature": "\xff"}', "not valid UTF-8"),
])
def test_post_prediction_refuses_malformed_json_with_400(client, active_version, body, reason):
    response = predict(client, body)
    assert response.status_code == 400
    assert reason in response.json()["errors"]["body"][0]
    assert Prediction.objects.count() == 0


def test_post_prediction_refuses_a_body_that_is_not_an_object(client, active_version):
    response = predict(client, [VALID])
    assert response.status_code == 400 and "non_field_errors" in response.json()["errors"]


def test_wrong_content_type_is_415(client, active_version):
    response = post(client, "/api/v1/predictions", "temperature=20&humidity=60&windspeed=12",
                    content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert response.json() == {"errors": {"content_type": ["Send the body as application/json."]}}


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_wrong_method_is_405_in_json_with_allow(client, active_version, method):
    response = getattr(client, method)("/api/v1/predictions")
    assert response.status_code == 405
    assert response["Allow"] == "POST" and "method" in response.json()["errors"]


@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v2/predictions", "/api/v1/predictions/not-a-uuid", "/api/"])
def test_unknown_api_paths_are_404_in_json(client, db, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "path" in response.json()["errors"]


def test_the_api_needs_no_csrf_token(active_version):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post("/api/v1/predictions", json.dumps(VALID),
                                                     content_type="application/json")
    assert response.status_code == 201


def test_get_prediction_returns_the_stored_prediction(client, active_version):
    created = predict(client, VALID).json()
    response = client.get(f"/api/v1/predictions/{created['id']}")
    assert response.status_code == 200 and response.json() == created


def test_get_unknown_prediction_is_404_in_json(client, db):
    response = client.get(f"/api/v1/predictions/{uuid.uuid4()}")
    assert response.status_code == 404 and "id" in response.json()["errors"]


def test_the_history_listing_is_not_exposed(client, active_version):
    predict(client, VALID)
    assert client.get("/api/v1/predictions").status_code == 405
    assert client.get("/api/v1/predictions/").status_code == 404


def test_batch_predicts_in_input_order_and_stores_every_row_as_batch(client, active_version):
    inputs = [{**VALID, "temperature": t} for t in (30, -5, 10, 20)]
    response = post(client, "/api/v1/predictions/batch", {"inputs": inputs})
    predictions = response.json()["predictions"]
    assert response.status_code == 201
    assert [p["temperature"] for p in predictions] == [30.0, -5.0, 10.0, 20.0]
    assert Prediction.objects.filter(source="batch").count() == 4
    assert predictions[3]["predicted_count"] == predict(client, VALID).json()["predicted_count"]


def test_batch_of_10000_rows_is_accepted(client, active_version):
    response = post(client, "/api/v1/predictions/batch", {"inputs": [VALID] * 10_000})
    assert response.status_code == 201 and len(response.json()["predictions"]) == 10_000
    assert Prediction.objects.filter(source="batch").count() == 10_000


def test_batch_with_one_invalid_row_is_refused_whole_naming_the_row_and_field(client, active_version):
    inputs = [VALID, VALID, {**VALID, "humidity": 120}, VALID, {**VALID, "speed": 1}]
    response = post(client, "/api/v1/predictions/batch", {"inputs": inputs})
    errors = response.json()["errors"]
    assert response.status_code == 400
    assert errors["inputs.2.humidity"] == ["Humidity must be at most 100 %."]
    assert errors["inputs.4.speed"] == ["Unknown field."]
    assert Prediction.objects.count() == 0


def test_batch_over_10000_rows_is_413_and_stores_nothing(client, active_version):
    response = post(client, "/api/v1/predictions/batch", {"inputs": [VALID] * 10_001})
    assert response.status_code == 413 and "inputs" in response.json()["errors"]
    assert Prediction.objects.count() == 0


@pytest.mark.parametrize("payload", [{"inputs": []}, {"inputs": VALID}, [VALID], {"inputs": [VALID], "extra": 1}])
def test_batch_refuses_a_wrong_envelope(client, active_version, payload):
    response = post(client, "/api/v1/predictions/batch", payload)
    assert response.status_code == 400 and "inputs" in response.json()["errors"]


def test_active_model_shows_version_metrics_and_training_ranges(client, active_version):
    body = client.get("/api/v1/models/active").json()
    assert body["id"] == active_version.pk
    assert body["metrics"]["cv"]["mae"] == pytest.approx(active_version.cv_mae)
    assert body["feature_ranges"] == active_version.feature_ranges
    assert body["training_rows"] == 365


def test_active_model_shows_the_interval_s_coverage_by_quarter_and_predicted_level(client, active_version):
    figures = client.get("/api/v1/models/active").json()["metrics"]["interval_cv"]
    assert figures == active_version.metrics["interval_cv"]
    assert set(figures["coverage_by_quarter"]) == {"Q1", "Q2", "Q3", "Q4"}
    assert set(figures["coverage_by_predicted_quartile"]) == {"L1", "L2", "L3", "L4"}
    assert 0.7 <= figures["coverage"] <= 0.9 and figures["min_width"] < figures["mean_width"] < figures["max_width"]


def test_the_openapi_document_describes_the_interval_figures_of_the_active_model(client):
    schema = client.get("/api/v1/openapi.json").json()["components"]["schemas"]["ModelVersion"]
    interval_cv = schema["properties"]["metrics"]["properties"]["interval_cv"]["properties"]
    assert {"coverage", "coverage_by_quarter", "coverage_by_predicted_quartile", "mean_width"} <= set(interval_cv)


def test_without_an_active_model_predictions_are_503_in_json(client, make_version):
    make_version(active=False)
    response = predict(client, VALID)
    assert response.status_code == 503 and "service" in response.json()["errors"]
    assert client.get("/api/v1/models/active").status_code == 503
    assert Prediction.objects.count() == 0


def test_openapi_document_describes_every_endpoint(client, db):
    document = client.get("/api/v1/openapi.json").json()
    assert document["openapi"].startswith("3.")
    assert set(document["paths"]) == {"/api/v1/predictions", "/api/v1/predictions/batch",
                                      "/api/v1/predictions/{prediction_id}", "/api/v1/models/active",
                                      "/api/v1/openapi.json"}
    humidity = document["components"]["schemas"]["PredictionInput"]["properties"]["humidity"]
    assert (humidity["minimum"], humidity["maximum"]) == (0, 100)


def test_docs_page_lists_every_operation_with_a_try_it_form(client, db):
    response = client.get("/api/v1/docs")
    html = response.content.decode()
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    for path in ["/api/v1/predictions", "/api/v1/predictions/batch", "/api/v1/models/active"]:
        assert f"<code>{path}</code>" in html
    assert html.count('class="api-try"') == 5
    assert "/static/js/api-docs.js" in html and "<script>" not in html


def test_api_predictions_return_their_stored_80_percent_interval(client, active_version):
    body = predict(client, VALID).json()
    stored = Prediction.objects.get()
    assert (body["interval_low"], body["interval_high"]) == stored.rounded_interval
    assert body["interval_low"] < body["predicted_count"] < body["interval_high"]


def test_batch_predictions_return_their_intervals(client, active_version):
    response = post(client, "/api/v1/predictions/batch", {"inputs": [VALID, {**VALID, "temperature": 30}]})
    for item in response.json()["predictions"]:
        stored = Prediction.objects.get(pk=item["id"])
        assert (item["interval_low"], item["interval_high"]) == stored.rounded_interval
