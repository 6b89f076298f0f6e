"""80 % prediction intervals whose width adapts to the day (normalised split-conformal).

A second, small booster (the "difficulty model") learns from the weather how large the model's
out-of-fold error tends to be; the interval is prediction ± scale × difficulty(weather). The
scale is the conformal quantile of |residual| / difficulty, with each training day's difficulty
predicted by a difficulty model that did not see that day (cross-fitted over the same inner
month folds as the hyper-parameter search), so days with weather like this day's set its width.

The only inputs are the weather, so the width can depend on nothing else: not the date, not the
season. Days whose weather also occurs at other times of the year with other counts (cold days
in January and in December) get wide intervals; days whose weather pins the count get narrow ones.

Versions trained before this existed carry a constant offset (prediction ± offset); they keep it.
"""
import math
from dataclasses import dataclass

import numpy as np
import xgboost as xgb

from ml import model_io, tuning

LEVEL = 0.8
METHOD = "normalised split-conformal"
# Shallow and few rounds: 365 residuals are noisy, the model should find the broad pattern
# (the cold and the mild days are harder) and not chase single days.
DIFFICULTY_PARAMS = {**tuning.BASE_PARAMS, "max_depth": 2}
DIFFICULTY_ROUNDS = 50
# A floor on the predicted error size (rentals): a near-zero difficulty would make a zero-width
# interval and an infinite normalised score.
MIN_DIFFICULTY = 50.0


def conformal_quantile(scores: np.ndarray, level: float = LEVEL) -> float:
    """The ceil((n + 1) * level)-th smallest score: the finite-sample conformal quantile."""
    scores = np.sort(np.asarray(scores, dtype=np.float64))
    if scores.size == 0:
        raise ValueError("a conformal quantile needs at least one score")
    rank = min(math.ceil((scores.size + 1) * level), scores.size)
    return float(scores[rank - 1])


def interval(predictions: np.ndarray, half_widths) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) around predictions; rentals cannot be negative, so low stops at 0."""
    predictions = np.asarray(predictions, dtype=np.float64)
    return np.maximum(predictions - half_widths, 0.0), predictions + half_widths


def fit_difficulty(rows: np.ndarray, errors: np.ndarray, features) -> xgb.Booster:
    """A booster from the three inputs (and the same derived features) to the |error| expected."""
    return tuning.fit(rows, errors, {**DIFFICULTY_PARAMS, "rounds": DIFFICULTY_ROUNDS, "features": list(features)})


def difficulty(booster: xgb.Booster, rows: np.ndarray) -> np.ndarray:
    return floor_difficulty(model_io.predict(booster, rows))


def floor_difficulty(values) -> np.ndarray:
    return np.maximum(np.asarray(values, dtype=np.float64), MIN_DIFFICULTY)


@dataclass(frozen=True)
class AdaptiveInterval:
    """prediction ± scale × difficulty(inputs)."""

    booster: xgb.Booster  # the difficulty model
    scale: float

    def half_widths(self, rows: np.ndarray) -> np.ndarray:
        """The half-widths for rows (n, 3) of inputs."""
        return self.half_widths_from(model_io.predict(self.booster, rows))

    def half_widths_from(self, predicted_difficulty: np.ndarray) -> np.ndarray:
        """The half-widths for the difficulty model's raw predictions (floored here)."""
        return self.scale * floor_difficulty(predicted_difficulty)


def calibrate(rows: np.ndarray, y: np.ndarray, out_of_fold: np.ndarray, folds: list[np.ndarray],
              features) -> AdaptiveInterval:
    """Fit the difficulty model and its conformal scale from out-of-fold predictions of the training days.

    folds: boolean masks over the rows (the inner folds); each day's difficulty for the scale comes
    from a difficulty model fitted on the other folds.
    """
    errors = np.abs(y - out_of_fold)
    held_out_difficulty = np.empty_like(errors)
    for test in folds:
        held_out_difficulty[test] = difficulty(fit_difficulty(rows[~test], errors[~test], features), rows[test])
    scale = conformal_quantile(errors / held_out_difficulty)
    return AdaptiveInterval(booster=fit_difficulty(rows, errors, features), scale=scale)


def coverage_report(y: np.ndarray, low: np.ndarray, high: np.ndarray, predictions: np.ndarray,
                    dates: np.ndarray) -> dict:
    """Coverage overall, by calendar quarter and by quartile of predicted level, beside the widths."""
    covered = (low <= y) & (y <= high)
    widths = high - low
    quarters = (dates.astype("datetime64[M]").astype(np.int64) % 12) // 3 + 1
    by_quarter = {f"Q{q}": float(covered[quarters == q].mean()) for q in range(1, 5) if (quarters == q).any()}
    # Quartiles of the predicted count: rank-based, so ties and small data still split evenly.
    quartile = np.minimum(4 * np.argsort(np.argsort(predictions, kind="stable")) // len(predictions), 3)
    by_level = {f"L{q + 1}": float(covered[quartile == q].mean()) for q in range(4)}
    return {
        "level": LEVEL,
        "coverage": float(covered.mean()),
        "coverage_by_quarter": by_quarter,
        "coverage_by_predicted_quartile": by_level,  # L1: the quarter of days predicted lowest
        "mean_width": float(widths.mean()),
        "min_width": float(widths.min()),
        "max_width": float(widths.max()),
    }
