"""The model service: the one door to the active model, its predictions and their history.

Views, the API and commands call these functions; nothing else loads a model or writes a
Prediction. The model itself is held by predictor.serving, one per process.
"""
from dataclasses import dataclass

import numpy as np
from django.utils import timezone

from ml import model_io
from ml.dataset import FEATURES, PHYSICAL_BOUNDS
from ml.explain import explain
from predictor import ids, monitoring, recording, serving
from predictor.models import ModelVersion, Prediction
# The model side of the door: what views, the API and gunicorn's master ask of the served model.
from predictor.serving import ModelUnavailable, get_active_model, model_status  # noqa: F401


def out_of_range_features(feature_ranges: dict, inputs: dict) -> list[str]:
    """The features whose value lies outside the [min, max] the model was trained on."""
    outside = []
    for name in FEATURES:
        low, high = feature_ranges.get(name, (float("-inf"), float("inf")))
        if not low <= inputs[name] <= high:
            outside.append(name)
    return outside


def predict_and_record(*, temperature: float, humidity: float, windspeed: float, source: str) -> Prediction:
    """Predict one day's rentals and store the input and answer; committed when it returns."""
    model = get_active_model()
    values = {"temperature": float(temperature), "humidity": float(humidity), "windspeed": float(windspeed)}
    count, low, high = model.predict_one_with_interval(values["temperature"], values["humidity"], values["windspeed"])
    outside_features = out_of_range_features(model.feature_ranges, values)
    prediction, = recording.new_predictions([{
        "id": ids.new_id(), **values, "predicted_count": count, "interval_low": low, "interval_high": high,
        "outside_training_range": bool(outside_features), "model_version_id": model.version_id,
        "created_at": timezone.now(), "source": source}])
    recording.insert_one(prediction)  # one INSERT, committed by PostgreSQL itself (autocommit)
    monitoring.prediction_served(source, model.version_id, outside_features)
    return prediction


def predict_many_and_record(*, inputs: np.ndarray, source: str) -> list[Prediction]:
    """Predict validated rows (n, 3) with one model call and store them in one statement: all or none."""
    model = get_active_model()
    inputs = np.asarray(inputs, dtype=np.float64).reshape(-1, len(FEATURES))
    counts, lows, highs = model.predict_with_interval(inputs)
    outside_cells = _outside_per_feature(model.feature_ranges, inputs)
    outside = outside_cells.any(axis=1).tolist()
    created_at = timezone.now()
    version_id = model.version_id
    predictions = recording.new_predictions(
        {"id": prediction_id, "temperature": temperature, "humidity": humidity, "windspeed": windspeed,
         "predicted_count": count, "interval_low": low, "interval_high": high, "outside_training_range": flag,
         "model_version_id": version_id, "created_at": created_at, "source": source}
        for prediction_id, (temperature, humidity, windspeed), count, low, high, flag
        in zip(ids.new_ids(len(inputs)), inputs.tolist(), counts.tolist(), lows, highs, outside)
    )
    recording.insert_many(predictions)
    monitoring.batch_served(source, version_id, len(inputs), dict(zip(FEATURES, outside_cells.sum(axis=0).tolist())))
    return predictions


def _outside_per_feature(feature_ranges: dict, inputs: np.ndarray) -> np.ndarray:
    """(n, 3) booleans: which inputs of which rows lie outside the training range (as out_of_range_features)."""
    low = np.array([feature_ranges.get(name, (-np.inf, np.inf))[0] for name in FEATURES])
    high = np.array([feature_ranges.get(name, (-np.inf, np.inf))[1] for name in FEATURES])
    return (inputs < low) | (inputs > high)


def explain_prediction(prediction: Prediction):
    """Each feature's contribution to a stored prediction (ml.explain.Explanation), for its page.

    Uses this process's loaded model when the prediction came from it; an older version's
    artifact is loaded (and checksum-verified) just for this. None if it cannot be loaded.
    """
    row = np.array([[getattr(prediction, name) for name in FEATURES]])
    model = serving.loaded_model()
    if model is not None and model.version_id == prediction.model_version_id:
        return explain(model.booster, row)
    version = ModelVersion.objects.only("artifact", "sha256").get(pk=prediction.model_version_id)
    try:
        booster = model_io.from_bytes(bytes(version.artifact), expected_sha256=version.sha256)
    except model_io.ArtifactError:
        return None
    return explain(booster, row)


# --- What-if curves: predictions that are shown, never recorded -------------------------------

WHAT_IF_POINTS = 41


@dataclass(frozen=True)
class Curve:
    """Predicted rentals as one input varies while the other two stay as given."""

    feature: str
    values: list[float]  # the varied input, ascending; includes the given value itself
    predictions: list[float]
    given: float  # the user's value of this input
    given_prediction: float  # the model's answer at the user's inputs
    training_range: tuple[float, float]
    interval_lows: list[float] | None = None  # the 80 % interval along the curve, when the version has one
    interval_highs: list[float] | None = None


@dataclass(frozen=True)
class WhatIf:
    model_version: int
    curves: dict[str, Curve]  # by feature name, in FEATURES order


def what_if_grid(feature: str, given: float, training_range, points: int = WHAT_IF_POINTS) -> np.ndarray:
    """Values of one input to predict at: the training range and the given value, with a margin,
    within physical bounds; the given value is part of the grid so the curve passes through it."""
    low, high = min(training_range[0], given), max(training_range[1], given)
    margin = 0.1 * (high - low or 1.0)
    bound_low, bound_high = PHYSICAL_BOUNDS[feature]
    grid = np.linspace(max(bound_low, low - margin), min(bound_high, high + margin), points)
    return np.unique(np.append(grid, given))


def predict_what_if(*, temperature: float, humidity: float, windspeed: float) -> WhatIf:
    """What-if curves around one day's inputs with the active model, in one model call.

    Nothing is recorded: these are illustrations of the model, not forecasts anyone asked for.
    """
    model = get_active_model()
    given = {"temperature": temperature, "humidity": humidity, "windspeed": windspeed}
    given_row = np.array([[given[name] for name in FEATURES]], dtype=np.float64)
    grids, blocks = {}, [given_row]
    for column, name in enumerate(FEATURES):
        ranges = model.feature_ranges.get(name, PHYSICAL_BOUNDS[name])
        grids[name] = what_if_grid(name, given[name], ranges)
        block = np.repeat(given_row, len(grids[name]), axis=0)
        block[:, column] = grids[name]
        blocks.append(block)
    answers, lows, highs = model.predict_with_interval(np.vstack(blocks))
    has_interval = lows[0] is not None
    given_prediction = float(answers[0])
    curves, start = {}, 1
    for name in FEATURES:
        count = len(grids[name])
        low, high = model.feature_ranges.get(name, PHYSICAL_BOUNDS[name])
        curves[name] = Curve(
            feature=name,
            values=grids[name].tolist(),
            predictions=answers[start:start + count].tolist(),
            given=float(given[name]),
            given_prediction=given_prediction,
            training_range=(float(low), float(high)),
            interval_lows=lows[start:start + count] if has_interval else None,
            interval_highs=highs[start:start + count] if has_interval else None,
        )
        start += count
    return WhatIf(model_version=model.version_id, curves=curves)


@dataclass(frozen=True)
class VersionSummary:
    version_id: int
    cv_mae: float | None
    training_rows: int
    # The last observed day it learned from, when it learned beyond the bundled 2011 data.
    observed_until: object = None


def active_version_summary() -> VersionSummary | None:
    """What the form page tells people about the active model: which one, and how good."""
    row = (ModelVersion.objects.filter(is_active=True)
           .values("id", "metrics", "training_rows", "training_last_date").first())
    if row is None:
        return None
    mae = (row["metrics"] or {}).get("cv", {}).get("mae")
    last = row["training_last_date"]
    return VersionSummary(version_id=row["id"], cv_mae=mae, training_rows=row["training_rows"],
                          observed_until=last if last is not None and last.year > 2011 else None)
