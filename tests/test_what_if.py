"""What-if curves: the active model over a grid around the inputs, shown and never recorded."""
import numpy as np
import pytest

from ml.dataset import FEATURES
from predictor import services
from predictor.models import Prediction

INPUTS = {"temperature": 20.0, "humidity": 60.0, "windspeed": 12.0}


def test_what_if_curves_pass_through_the_forecast_for_the_given_inputs(active_version):
    recorded = services.predict_and_record(**INPUTS, source="form")
    what_if = services.predict_what_if(**INPUTS)
    assert what_if.model_version == active_version.pk
    assert list(what_if.curves) == list(FEATURES)
    for name, curve in what_if.curves.items():
        assert curve.given == INPUTS[name]
        assert curve.values == sorted(curve.values) and INPUTS[name] in curve.values
        at_given = curve.predictions[curve.values.index(INPUTS[name])]
        assert at_given == pytest.approx(recorded.predicted_count)
        assert curve.given_prediction == pytest.approx(recorded.predicted_count)


def test_what_if_grid_covers_the_training_range_and_stays_within_physical_bounds(active_version):
    curves = services.predict_what_if(**INPUTS).curves
    for name, (low, high) in active_version.feature_ranges.items():
        assert curves[name].training_range == (low, high)
        assert curves[name].values[0] < low or curves[name].values[0] == 0.0
        assert curves[name].values[-1] > high or curves[name].values[-1] == 100.0
    assert curves["humidity"].values[0] >= 0.0 and curves["humidity"].values[-1] <= 100.0


def test_what_if_grid_reaches_an_input_outside_the_training_range(active_version):
    curve = services.predict_what_if(**{**INPUTS, "temperature": 45.0}).curves["temperature"]
    assert curve.values[-1] >= 45.0 and 45.0 in curve.values


def test_what_if_records_nothing(active_version):
    services.predict_what_if(**INPUTS)
    assert Prediction.objects.count() == 0


def test_what_if_follows_the_model_humidity_only_lowers_rentals(active_version):
    curve = services.predict_what_if(**INPUTS).curves["humidity"]
    assert all(b <= a + 1e-6 for a, b in zip(curve.predictions, curve.predictions[1:]))


def test_what_if_without_an_active_model_raises_model_unavailable(db):
    with pytest.raises(services.ModelUnavailable):
        services.predict_what_if(**INPUTS)


def test_active_version_summary_gives_the_cv_mae(active_version):
    summary = services.active_version_summary()
    assert summary.version_id == active_version.pk and summary.cv_mae == active_version.cv_mae


def test_active_version_summary_is_none_without_an_active_model(db):
    assert services.active_version_summary() is None


def test_what_if_curves_carry_the_versions_80_percent_interval(active_version, trained):
    curve = services.predict_what_if(**INPUTS).curves["temperature"]
    rows = np.array([[t, INPUTS["humidity"], INPUTS["windspeed"]] for t in curve.values])
    half_widths = trained.interval.half_widths(rows)
    for count, low, high, half_width in zip(curve.predictions, curve.interval_lows, curve.interval_highs, half_widths):
        assert high == pytest.approx(count + half_width, rel=1e-5)
        assert low == pytest.approx(max(count - half_width, 0.0), rel=1e-5, abs=1e-6)
    assert len({round(high - count) for count, high in zip(curve.predictions, curve.interval_highs)}) > 1
