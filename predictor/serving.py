"""The model this process serves: the active version, loaded once and cached.

The cache re-checks which version is active every MODEL_REFRESH_SECONDS (one indexed query), so
activating a version reaches every worker of every dyno within seconds, without a restart. An
artifact that fails its checksum or does not parse is refused once, and the model already loaded
keeps serving. Everything else reaches the model through predictor.services.
"""
import logging
import threading
import time
from dataclasses import dataclass

import numpy as np
from django.conf import settings

from ml import intervals, model_io, tree_evaluator
from ml.dataset import FEATURES
from ml.features import design_matrix, design_row
from predictor import monitoring
from predictor.models import ModelVersion

logger = logging.getLogger(__name__)


class ModelUnavailable(Exception):
    """No usable active model: none is active, or the active one cannot be loaded."""


# Up to this many rows the numpy evaluator beats XGBoost, whose every call pays a fixed overhead;
# above it XGBoost's compiled loop over rows wins.
FAST_PATH_MAX_ROWS = 32


@dataclass(frozen=True)
class ActiveModel:
    version_id: int
    sha256: str
    feature_ranges: dict
    booster: object
    interval_offset: float | None = None  # the constant interval of versions trained before adaptive ones
    # The booster's own features (the three inputs, maybe derived ones), in its order.
    feature_names: tuple = FEATURES
    # The same trees evaluated with numpy, far quicker than XGBoost for a row or a few; None when
    # the evaluator cannot reproduce this model, and XGBoost itself serves every prediction.
    # With an adaptive interval it walks the model's and the difficulty model's trees in one
    # pass (outputs: count, difficulty).
    evaluator: tree_evaluator.TreeEnsemble | None = None
    adaptive_interval: intervals.AdaptiveInterval | None = None  # versions with an adaptive interval
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
            # adaptive_interval.half_widths_from for one value, without numpy's per-call cost.
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
            half_widths = self.adaptive_interval.half_widths_from(difficulty)
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
        adaptive = intervals.AdaptiveInterval(difficulty, float(interval["scale"]))
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


def loaded_model() -> ActiveModel | None:
    """The model this process holds now, whichever version it is, without asking the database."""
    return _cache.model
