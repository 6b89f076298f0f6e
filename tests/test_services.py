"""The model service: loading the active model from the database, predicting, recording."""
import subprocess
import sys

import numpy as np
import pytest

from ml import model_io
from predictor import serving, services, versions
from predictor.models import ModelVersion, Prediction
from tests.conftest import store_booster

INPUTS = {"temperature": 20.0, "humidity": 60.0, "windspeed": 12.0}


def test_prediction_is_recorded_with_the_model_version_that_made_it(active_version, trained):
    prediction = services.predict_and_record(**INPUTS, source="form")
    stored = Prediction.objects.get(pk=prediction.pk)
    expected = model_io.predict(trained.booster, np.array([[20.0, 60.0, 12.0]]))[0]
    assert stored.model_version_id == active_version.pk
    assert stored.predicted_count == pytest.approx(float(expected))
    assert (stored.temperature, stored.humidity, stored.windspeed, stored.source) == (20.0, 60.0, 12.0, "form")
    assert stored.outside_training_range is False


def test_warm_dry_calm_days_predict_more_rentals_than_cold_wet_windy_ones(active_version):
    warm = services.predict_and_record(temperature=25, humidity=50, windspeed=8, source="form")
    cold = services.predict_and_record(temperature=2, humidity=90, windspeed=30, source="form")
    assert warm.predicted_count > cold.predicted_count + 1000


def test_inputs_outside_the_training_range_are_accepted_and_flagged(active_version):
    prediction = services.predict_and_record(temperature=-30, humidity=60, windspeed=12, source="api")
    assert prediction.outside_training_range is True
    assert services.out_of_range_features(active_version.feature_ranges, {**INPUTS, "temperature": -30}) == ["temperature"]
    assert Prediction.objects.filter(pk=prediction.pk, outside_training_range=True).exists()


def test_many_rows_are_predicted_in_order_and_stored_together(active_version):
    rows = np.array([[float(t), 60.0, 12.0] for t in range(0, 30, 3)])
    predictions = services.predict_many_and_record(inputs=rows, source="batch")
    assert [p.temperature for p in predictions] == rows[:, 0].tolist()
    assert Prediction.objects.filter(source="batch").count() == len(rows)
    single = services.get_active_model().predict(np.array([[27.0, 60.0, 12.0]]))[0]
    assert predictions[-1].predicted_count == pytest.approx(float(single))


def test_without_an_active_model_the_service_refuses_and_stores_nothing(make_version):
    make_version(active=False)
    with pytest.raises(services.ModelUnavailable, match="no model version is active"):
        services.predict_and_record(**INPUTS, source="form")
    assert Prediction.objects.count() == 0


def test_a_newly_activated_version_is_used_after_the_refresh_interval(make_version, settings):
    settings.MODEL_REFRESH_SECONDS = 0
    first = make_version(active=True)
    assert services.get_active_model().version_id == first.pk
    second = make_version()
    versions.activate_model_version(version_id=second.pk)
    assert services.predict_and_record(**INPUTS, source="api").model_version_id == second.pk


def test_the_cached_model_is_reused_within_the_refresh_interval(make_version, settings, django_assert_num_queries):
    settings.MODEL_REFRESH_SECONDS = 3600
    make_version(active=True)
    services.get_active_model()
    with django_assert_num_queries(0):
        services.get_active_model()


def test_a_corrupted_artifact_is_refused_and_the_loaded_model_keeps_serving(make_version, settings):
    settings.MODEL_REFRESH_SECONDS = 0
    good = make_version(active=True)
    services.get_active_model()
    bad = make_version()
    ModelVersion.objects.filter(pk=bad.pk).update(sha256="0" * 64)
    versions.activate_model_version(version_id=bad.pk)

    prediction = services.predict_and_record(**INPUTS, source="api")
    status = services.model_status()
    assert prediction.model_version_id == good.pk
    assert status["ready"] is False
    assert f"model version {bad.pk} refused" in status["reason"] and "sha256" in status["reason"]


def test_a_corrupted_artifact_with_nothing_loaded_makes_the_service_unavailable(make_version):
    bad = make_version(active=True)
    ModelVersion.objects.filter(pk=bad.pk).update(artifact=b"garbage", sha256=model_io.sha256(b"garbage"))
    with pytest.raises(services.ModelUnavailable, match="not a loadable XGBoost model"):
        services.get_active_model()


def test_predictions_are_append_only(active_version):
    prediction = services.predict_and_record(**INPUTS, source="form")
    stored = Prediction.objects.get(pk=prediction.pk)
    stored.predicted_count = 1
    with pytest.raises(ValueError, match="append-only"):
        stored.save()
    with pytest.raises(ValueError, match="append-only"):
        stored.delete()


def test_the_web_path_never_imports_pandas_or_the_training_code():
    code = (
        "import os, sys; os.environ['DJANGO_SETTINGS_MODULE']='tests.settings';"
        "from bikesite.wsgi import application; import bikesite.urls, predictor.views, predictor.admin;"
        "print(sorted(m for m in ('pandas', 'ml.training', 'sklearn') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_every_prediction_stores_its_80_percent_interval_from_the_version_s_difficulty_model(active_version,
                                                                                          trained):
    prediction = services.predict_and_record(**INPUTS, source="form")
    stored = Prediction.objects.get(pk=prediction.pk)
    row = np.array([[INPUTS["temperature"], INPUTS["humidity"], INPUTS["windspeed"]]])
    half_width = trained.interval.half_widths(row)[0]  # the stored difficulty model, served by numpy
    assert stored.interval_low == pytest.approx(max(stored.predicted_count - half_width, 0.0), rel=1e-5)
    assert stored.interval_high == pytest.approx(stored.predicted_count + half_width, rel=1e-5)


def test_the_interval_width_varies_from_day_to_day_within_one_version(active_version):
    rows = np.array([[float(t), 60.0, 12.0] for t in (0, 10, 20, 30)])
    predictions = services.predict_many_and_record(inputs=rows, source="batch")
    widths = {round(p.interval_high - p.interval_low) for p in predictions}
    assert len(widths) > 1
    assert {p.model_version_id for p in predictions} == {active_version.pk}


def test_batch_and_single_predictions_get_the_same_interval(active_version, trained):
    rows = np.array([[float(t), 60.0, 12.0] for t in (0, 15, 30)])
    batch = services.predict_many_and_record(inputs=rows, source="batch")
    for row, stored in zip(rows, batch):
        single = services.predict_and_record(temperature=row[0], humidity=row[1], windspeed=row[2], source="api")
        assert stored.interval_low <= stored.predicted_count <= stored.interval_high
        assert (single.interval_low, single.interval_high) == pytest.approx((stored.interval_low, stored.interval_high),
                                                                          rel=1e-5)


def test_a_version_trained_before_adaptive_intervals_keeps_its_constant_interval(db, trained, bundled_dataset):
    legacy = store_booster(trained.booster, trained.params, bundled_dataset, interval_offset=956.0, active=True)
    rows = np.array([[float(t), 60.0, 12.0] for t in (0, 15, 30)])
    single = services.predict_and_record(**INPUTS, source="api")
    batch = services.predict_many_and_record(inputs=rows, source="batch")
    for prediction in [single, *batch]:
        assert prediction.model_version_id == legacy.pk
        assert prediction.interval_high - prediction.predicted_count == pytest.approx(956.0)


def test_an_interval_never_goes_below_zero_rentals(active_version):
    prediction = services.predict_and_record(temperature=-5, humidity=95, windspeed=40, source="form")
    assert prediction.interval_high > prediction.predicted_count
    assert prediction.interval_low == 0.0


def test_a_version_without_an_interval_stores_predictions_without_one(db, trained, bundled_dataset):
    store_booster(trained.booster, trained.params, bundled_dataset, active=True)
    prediction = services.predict_and_record(**INPUTS, source="api")
    (batch,) = services.predict_many_and_record(inputs=np.array([[20.0, 60.0, 12.0]]), source="batch")
    assert (prediction.interval_low, prediction.interval_high) == (None, None)
    assert (batch.interval_low, batch.interval_high) == (None, None)


def test_a_tampered_interval_model_is_refused_like_a_tampered_model(active_version):
    ModelVersion.objects.filter(pk=active_version.pk).update(interval_artifact=b"not a model")
    with pytest.raises(services.ModelUnavailable, match="refused"):
        services.predict_and_record(**INPUTS, source="api")


def test_the_explanation_of_a_prediction_adds_up_to_it(active_version):
    prediction = services.predict_and_record(**INPUTS, source="form")
    explanation = services.explain_prediction(prediction)
    assert list(explanation.contributions) == active_version.params["features"]
    assert explanation.prediction == pytest.approx(prediction.predicted_count, abs=0.5)


def test_a_prediction_of_a_no_longer_active_version_is_explained_by_that_version(make_version, settings):
    settings.MODEL_REFRESH_SECONDS = 0
    first = make_version(active=True)
    prediction = services.predict_and_record(**INPUTS, source="form")
    ModelVersion.objects.filter(pk=first.pk).update(is_active=False)
    serving.forget_loaded_model()
    assert services.explain_prediction(prediction).prediction == pytest.approx(prediction.predicted_count, abs=0.5)


@pytest.mark.django_db(transaction=True)  # autocommit, as in a request
def test_a_connection_the_server_dropped_is_replaced_and_the_prediction_stored(active_version):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's pg_terminate_backend")
    services.predict_and_record(**INPUTS, source="api")
    backend_pid = connection.connection.info.backend_pid
    _terminate_backend(connection, backend_pid)  # as a server restart or a proxy would
    prediction = services.predict_and_record(**INPUTS, source="api")
    assert connection.connection.info.backend_pid != backend_pid
    assert Prediction.objects.filter(pk=prediction.pk).count() == 1
    assert Prediction.objects.count() == 2


@pytest.mark.django_db
def test_storing_the_same_prediction_twice_keeps_one_row(active_version):
    # What a retry after a lost answer does: the id is the prediction's own, so nothing doubles.
    from predictor import recording

    prediction = services.predict_and_record(**INPUTS, source="api")
    recording.insert_one(prediction)
    assert Prediction.objects.filter(pk=prediction.pk).count() == 1


def _terminate_backend(connection, backend_pid: int) -> None:
    import psycopg2

    other = psycopg2.connect(**connection.get_connection_params())
    try:
        with other, other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [backend_pid])
    finally:
        other.close()
