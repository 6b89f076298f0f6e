"""Split-conformal prediction intervals: prediction ± a stored offset.

The offset is the conformal quantile of absolute out-of-fold residuals, so an interval built
from residuals of days the model never saw covers about `level` of new days.
"""
import math

import numpy as np

LEVEL = 0.8


def conformal_offset(residuals: np.ndarray, level: float = LEVEL) -> float:
    """The ceil((n + 1) * level)-th smallest |residual|: the finite-sample conformal quantile."""
    magnitudes = np.sort(np.abs(np.asarray(residuals, dtype=np.float64)))
    if magnitudes.size == 0:
        raise ValueError("a conformal offset needs at least one residual")
    rank = min(math.ceil((magnitudes.size + 1) * level), magnitudes.size)
    return float(magnitudes[rank - 1])


def interval(predictions: np.ndarray, offset: float) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) around predictions; rentals cannot be negative, so low stops at 0."""
    predictions = np.asarray(predictions, dtype=np.float64)
    return np.maximum(predictions - offset, 0.0), predictions + offset
