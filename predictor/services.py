"""The model service: the one door to the active model, its predictions and their history.

Views, the API and commands call these functions; nothing else loads a model or writes a
Prediction. The active model is cached per process and re-checked against the database every
MODEL_REFRESH_SECONDS, so activating a version reaches every worker of every dyno within seconds.
"""
import logging
import threading
import time
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.utils import timezone

from ml import intervals, model_io, tree_evaluator
from ml.dataset import FEATURES, PHYSICAL_BOUNDS
from ml.explain import explain
from ml.features import design_matrix, design_row
from predictor import ids, monitoring, recording
from predictor.models import ModelVersion, Prediction

logger = logging.getLogger(__name__)


class ModelUnavailable(Exception):
    """No usable active model: none is active, or the active one cannot be loaded."""


# Up to this many rows the numpy evaluator beats XGBoost's fixed ~0.3 ms per call; above it
# XGBoost's compiled loop over rows wins.
FAST_PATH_MAX_ROWS = 32


@dataclass(frozen=True)
class IntervalModel:
    """An adaptive 80 % interval: prediction ± scale × difficulty(inputs)."""

    booster: object  # the difficulty model
    scale: float

    def half_widths(self, difficulty: np.ndarray) -> np.ndarray:
        return self.scale * intervals.floor_difficulty(difficulty)


@dataclass(frozen=True)
class ActiveModel:
    version_id: int
    sha256: str
    feature_ranges: dict
    booster: object
    interval_offset: float | None = None  # the constant interval of versions trained before adaptive ones
    # The booster's own features (the three inputs, maybe derived ones), in its order.
    feature_names: tuple = FEATURES
    # The same trees evaluated with numpy (~15 µs a row instead of ~300 µs); None when the
    # evaluator cannot reproduce this model, and XGBoost itself serves every prediction.
    # With an adaptive interval it walks the model's and the difficulty model's trees in one
    # pass (outputs: count, difficulty).
    evaluator: tree_evaluator.TreeEnsemble | None = None
    adaptive_interval: IntervalModel | None = None  # versions with an adaptive interval
    activated_at: object = None  # a datetime: when this version was activated

    def predict(self, rows: np.ndarray) -> np.ndarray:
        return self._predict(rows)[0]

    def _predict(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """(counts, difficulty or None) for rows (n, 3) of inputs, one call of the evaluator or of each booster."""
        rows = np.asarray(rows, dtype=np.float64).reshape(-1, len(FEATURES))
        difficulty = None
        if self.evaluator is not None and len(rows) <= FAST_PATH_MAX_ROWS:
            outputs = self.evaluator.predict(design_matrix(rows, self.feature_names))
            counts = outputs if outputs.ndim == 1 else outputs[:, 0]
            if outputs.ndim == 2:
                difficulty = outputs[:, 1]
        else:
            counts = model_io.predict(self.booster, rows)
            if self.adaptive_interval is not None:
                difficulty = model_io.predict(self.adaptive_interval.booster, rows)
        # Rentals cannot be negative, whatever the trees add up to.
        return np.maximum(counts, 0.0), difficulty

    def predict_one(self, temperature: float, humidity: float, windspeed: float) -> float:
        """One row without its interval."""
        return self.predict_one_with_interval(temperature, humidity, windspeed)[0]

    def predict_one_with_interval(self, temperature: float, humidity: float,
                                  windspeed: float) -> tuple[float, float | None, float | None]:
        """(count, low, high) for one row, the hot path of a single prediction: one evaluator call
        for both the count and the day's difficulty, without the array handling of predict()."""
        if self.evaluator is None:
            rows = np.array([[temperature, humidity, windspeed]])
            counts, difficulty = self._predict(rows)
            (low,), (high,) = self._interval(counts, difficulty)
            return float(counts[0]), low, high
        outputs = self.evaluator.predict_one(design_row(temperature, humidity, windspeed, self.feature_names))
        count = max(float(outputs[0]), 0.0)
        if self.adaptive_interval is not None:
            half_width = self.adaptive_interval.scale * max(float(outputs[1]), intervals.MIN_DIFFICULTY)
        elif self.interval_offset is not None:
            half_width = self.interval_offset
        else:
            return count, None, None
        return count, max(count - half_width, 0.0), count + half_width

    def predict_with_interval(self, rows: np.ndarray) -> tuple[np.ndarray, list, list]:
        """(counts, lows, highs) for rows (n, 3) of inputs; lows and highs are None without an interval."""
        counts, difficulty = self._predict(rows)
        lows, highs = self._interval(counts, difficulty)
        return counts, lows, highs

    def _interval(self, counts: np.ndarray, difficulty: np.ndarray | None) -> tuple[list, list]:
        if self.adaptive_interval is not None:
            half_widths = self.adaptive_interval.half_widths(difficulty)
        elif self.interval_offset is not None:
            half_widths = self.interval_offset
        else:
            return [None] * len(counts), [None] * len(counts)
        low, high = intervals.interval(counts, half_widths)
        return low.tolist(), high.tolist()


class _ModelCache:
    """Per-process cache of the active model with a cheap periodic "which one is active?" check."""

    def __init__(self):
        self._lock = threading.Lock()
        self.model: ActiveModel | None = None
        self.checked_at = float("-inf")
        self.load_error: str | None = None  # why the active version could not be loaded
        self._failed: tuple[int, str] | None = None  # (id, sha256) that failed, not retried

    def get(self) -> ActiveModel:
        model = self.model
        if model is not None and time.monotonic() - self.checked_at < settings.MODEL_REFRESH_SECONDS:
            return model
        with self._lock:
            if self.model is None or time.monotonic() - self.checked_at >= settings.MODEL_REFRESH_SECONDS:
                self._refresh()
            if self.model is None:
                raise ModelUnavailable(self.load_error or "no active model")
            return self.model

    def _refresh(self) -> None:
        active = ModelVersion.objects.filter(is_active=True).values_list("id", "sha256").first()
        self.checked_at = time.monotonic()
        if active is None:
            self.model, self.load_error = None, "no model version is active"
            return
        if self.model is not None and (self.model.version_id, self.model.sha256) == active:
            self.load_error = None
            return
        if self._failed == active:
            return  # already refused; keep serving what we have
        try:
            self.model = _load(*active)
            self.load_error, self._failed = None, None
            monitoring.model_loaded(active[0], active[1], self.model.activated_at)
        except model_io.ArtifactError as exc:
            self._failed = active
            self.load_error = f"model version {active[0]} refused: {exc}"
            # The model already loaded (if any) keeps serving; readiness reports the refusal.
            monitoring.model_refused(active[0], str(exc), self.model.version_id if self.model else None)

    def clear(self) -> None:
        with self._lock:
            self.model, self.checked_at, self.load_error, self._failed = None, float("-inf"), None, None


def _load(version_id: int, sha256: str) -> ActiveModel:
    version = ModelVersion.objects.only("artifact", "sha256", "feature_ranges", "interval_offset",
                                        "interval_artifact", "metrics", "activated_at").get(pk=version_id)
    booster = model_io.from_bytes(bytes(version.artifact), expected_sha256=sha256)
    adaptive = None
    if version.interval_artifact is not None:
        interval = version.metrics.get("interval", {})
        difficulty = model_io.from_bytes(bytes(version.interval_artifact), expected_sha256=interval.get("sha256"))
        adaptive = IntervalModel(difficulty, float(interval["scale"]))
    try:
        evaluator = (tree_evaluator.from_booster(booster) if adaptive is None
                     else tree_evaluator.stack([booster, adaptive.booster]))
    except tree_evaluator.UnsupportedModel as exc:
        logger.warning("model version %s: fast evaluator unavailable (%s); predicting with XGBoost", version_id, exc)
        evaluator = None
    return ActiveModel(version_id, sha256, version.feature_ranges, booster, version.interval_offset,
                       tuple(booster.feature_names or FEATURES), evaluator, adaptive,
                       activated_at=version.activated_at)


_cache = _ModelCache()


def get_active_model() -> ActiveModel:
    """The active model of this process, refreshed from the database when due."""
    return _cache.get()


def forget_loaded_model() -> None:
    """Drop this process's cached model, so the next call loads from the database again."""
    _cache.clear()


def model_status() -> dict:
    """Readiness of the model side: which version is loaded and why another is refused."""
    try:
        model = get_active_model()
    except ModelUnavailable as exc:
        return {"ready": False, "reason": str(exc), "model_version": None}
    return {"ready": _cache.load_error is None, "reason": _cache.load_error, "model_version": model.version_id}


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
    prediction = Prediction(**values, predicted_count=count, interval_low=low, interval_high=high,
                            outside_training_range=bool(outside_features), model_version_id=model.version_id,
                            created_at=timezone.now(), source=source)
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
    model = _cache.model
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
