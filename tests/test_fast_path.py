"""The service's fast paths: the numpy evaluator with XGBoost as fallback, the lean inserts."""
import dataclasses
import uuid

import numpy as np
import pytest
import xgboost as xgb

from ml import model_io
from predictor import services
from predictor.models import ModelVersion, Prediction

INPUTS = {"temperature": 20.0, "humidity": 60.0, "windspeed": 12.0}


def test_the_active_model_is_served_by_the_numpy_evaluator(active_version, trained):
    model = services.get_active_model()
    rows = np.array([[20.0, 60.0, 12.0]])
    assert model.evaluator is not None
    np.testing.assert_allclose(model.predict(rows), model_io.predict(trained.booster, rows), rtol=1e-3)


def test_an_adaptive_version_is_served_in_one_evaluator_pass_as_xgboost_serves_it(active_version, trained):
    model = services.get_active_model()
    assert model.evaluator.num_target == 2  # the count and the day's difficulty, one call
    row = np.array([[20.0, 60.0, 12.0]])
    count = float(model_io.predict(trained.booster, row)[0])
    half_width = trained.interval.scale * max(float(model_io.predict(trained.interval.booster, row)[0]), 50.0)
    got = model.predict_one_with_interval(**INPUTS)
    assert got == pytest.approx((count, count - half_width, count + half_width), rel=1e-5)
    by_xgboost = dataclasses.replace(model, evaluator=None)  # the fallback when the evaluator refuses
    assert by_xgboost.predict_one_with_interval(**INPUTS) == pytest.approx(got, rel=1e-5)
    rows = np.array([[float(t), 60.0, 12.0] for t in range(-5, 25)])  # within the fast path
    for fast, slow in zip(model.predict_with_interval(rows), by_xgboost.predict_with_interval(rows)):
        assert fast == pytest.approx(slow, rel=1e-5)


@pytest.fixture
def dart_version(db, bundled_dataset):
    """A real model the tree evaluator does not reproduce (dart: dropout-weighted trees), stored and active."""
    booster = xgb.train({"booster": "dart", "rate_drop": 0.1, "max_depth": 2, "nthread": 1, "seed": 0},
                        xgb.DMatrix(bundled_dataset.X, label=bundled_dataset.y), num_boost_round=20)
    artifact = model_io.to_bytes(booster)
    version = ModelVersion.objects.create(
        artifact=artifact, sha256=model_io.sha256(artifact), training_data_fingerprint=bundled_dataset.fingerprint,
        training_rows=bundled_dataset.rows, feature_ranges=bundled_dataset.feature_ranges(), is_active=True,
    )
    return version, booster


def test_a_model_the_evaluator_cannot_reproduce_is_served_by_xgboost(dart_version):
    version, booster = dart_version
    prediction = services.predict_and_record(**INPUTS, source="api")
    expected = max(0.0, float(booster.inplace_predict(np.array([[20.0, 60.0, 12.0]]))[0]))
    assert services.get_active_model().evaluator is None
    assert prediction.model_version_id == version.pk
    assert Prediction.objects.get(pk=prediction.pk).predicted_count == pytest.approx(expected, rel=1e-6)


def test_a_single_prediction_is_stored_exactly_as_returned(active_version):
    prediction = services.predict_and_record(**INPUTS, source="api")
    stored = Prediction.objects.get(pk=prediction.pk)
    for field in ("temperature", "humidity", "windspeed", "predicted_count", "interval_low", "interval_high",
                  "outside_training_range",
                  "model_version_id", "created_at", "source"):
        assert getattr(stored, field) == getattr(prediction, field), field


@pytest.mark.parametrize("count", [3, 500])  # below and above the size where COPY takes over
def test_a_batch_is_stored_exactly_as_returned(active_version, count):
    rng = np.random.default_rng(0)
    rows = np.column_stack([rng.uniform(-40, 50, count), rng.uniform(0, 100, count), rng.uniform(0, 150, count)])
    predictions = services.predict_many_and_record(inputs=rows, source="batch")
    stored = {p.pk: p for p in Prediction.objects.filter(source="batch")}
    assert len(stored) == count
    for prediction in predictions:
        row = stored[prediction.pk]
        assert (row.temperature, row.humidity, row.windspeed, row.predicted_count) == (
            prediction.temperature, prediction.humidity, prediction.windspeed, prediction.predicted_count)
        assert (row.interval_low, row.interval_high) == (prediction.interval_low, prediction.interval_high)
        assert (row.outside_training_range, row.model_version_id, row.created_at) == (
            prediction.outside_training_range, prediction.model_version_id, prediction.created_at)


def test_batch_flags_match_the_per_row_range_check(active_version):
    rows = np.array([[20.0, 60.0, 12.0], [-30.0, 60.0, 12.0], [20.0, 5.0, 12.0], [20.0, 60.0, 140.0]] * 20)
    predictions = services.predict_many_and_record(inputs=rows, source="batch")
    expected = [bool(services.out_of_range_features(active_version.feature_ranges, dict(zip(INPUTS, row))))
                for row in rows.tolist()]
    assert [p.outside_training_range for p in predictions] == expected


def test_new_ids_are_unique_time_ordered_version_7_uuids():
    import time

    from predictor import ids

    first = ids.new_ids(1000)
    time.sleep(0.002)
    later = ids.new_id()
    assert len(set(first)) == 1000
    assert {i.version for i in first} == {7} and later.version == 7
    assert {i.variant for i in first} == {uuid.RFC_4122}
    assert max(first) < later  # a later millisecond sorts after: new keys meet at the index's edge


def test_a_prediction_made_by_the_model_gets_its_id_from_the_same_generator():
    from predictor import ids
    from predictor.models import Prediction

    assert Prediction._meta.pk.default is ids.new_id
    assert Prediction().id.version == 7


def test_the_batch_answer_is_exactly_what_jsonresponse_would_send(active_version):
    from django.http import JsonResponse

    from predictor.api.serializers import prediction_json, predictions_document

    rows = np.array([[-39.5, 0.0, 0.0], [20.0, 60.0, 12.0], [49.9, 100.0, 150.0], [1e-7, 33.3, 7.25]] * 20)
    predictions = services.predict_many_and_record(inputs=rows, source="batch")
    expected = JsonResponse({"predictions": [prediction_json(p) for p in predictions]}).content
    assert predictions_document(predictions).encode() == expected


def test_one_design_row_equals_the_design_matrix_row_exactly():
    from ml.features import MODEL_FEATURES, design_matrix, design_row

    rng = np.random.default_rng(9)
    rows = np.column_stack([rng.uniform(-40, 50, 20_000), rng.uniform(0, 100, 20_000), rng.uniform(0, 150, 20_000)])
    expected = design_matrix(rows, MODEL_FEATURES)
    assert all(design_row(*row, MODEL_FEATURES) == tuple(want) for row, want in zip(rows.tolist(), expected.tolist()))


def test_a_model_with_the_dew_point_is_served_by_the_evaluator_as_by_xgboost(db, bundled_dataset):
    from ml.features import MODEL_FEATURES, design_matrix
    from tests.conftest import store_booster

    X = design_matrix(bundled_dataset.X, MODEL_FEATURES)
    booster = xgb.train({"seed": 0, "nthread": 1, "max_depth": 2, "eta": 0.1},
                        xgb.DMatrix(X, label=bundled_dataset.y, feature_names=list(MODEL_FEATURES)), 150)
    store_booster(booster, {}, bundled_dataset, interval_offset=500.0, active=True)
    prediction = services.predict_and_record(temperature=25.0, humidity=80.0, windspeed=10.0, source="api")
    expected = model_io.predict(booster, np.array([[25.0, 80.0, 10.0]]))[0]
    assert services.get_active_model().evaluator.num_feature == 4
    assert prediction.predicted_count == pytest.approx(float(expected), rel=1e-3)
    assert (prediction.interval_low, prediction.interval_high) == pytest.approx(
        (prediction.predicted_count - 500.0, prediction.predicted_count + 500.0))


def test_a_batch_from_a_version_without_intervals_stores_nulls(db, bundled_dataset):
    from tests.conftest import store_fixed_model

    store_fixed_model(bundled_dataset, {"max_depth": 2, "seed": 0, "nthread": 1, "rounds": 50}, active=True)
    rows = np.tile([20.0, 60.0, 12.0], (100, 1))
    predictions = services.predict_many_and_record(inputs=rows, source="batch")
    assert {(p.interval_low, p.interval_high) for p in predictions} == {(None, None)}
    assert Prediction.objects.filter(source="batch", interval_low__isnull=True, interval_high__isnull=True).count() == 100
