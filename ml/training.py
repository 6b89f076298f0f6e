"""Fit the XGBoost model and evaluate it honestly against two baselines.

Evaluation is leave-one-month-out cross-validation: every month of the year is held out in
turn and predicted by a model fitted on the other eleven, so no day is scored by a model that
saw it, and neighbouring (correlated) days of a held-out day are held out too.

Training is nested: inside each outer fold the hyper-parameters are chosen by an inner CV on
the other months only (ml.tuning), and the prediction interval (its difficulty model and scale,
ml.intervals) is calibrated on that inner CV's residuals; the outer fold then scores both. The
final model is chosen, and its interval calibrated, by the same inner procedure run on all the data.
"""
from dataclasses import dataclass
from typing import Callable

import numpy as np
import xgboost as xgb

from ml import intervals, model_io, tuning
from ml.dataset import Dataset
from ml.metrics import regression_metrics
from ml.tuning import DEFAULT_SEARCH, SearchSpace

# A fixed model for callers that want one without a search (and the old default's shape).
DEFAULT_PARAMS = tuning.model_params(max_depth=2, rounds=300)

Progress = Callable[[str], None]


def _quiet(message: str) -> None:
    pass


def fit(X: np.ndarray, y: np.ndarray, params: dict | None = None) -> xgb.Booster:
    """A pure function from rows of the three inputs to a fitted booster (fixed seed)."""
    return tuning.fit(X, y, params or DEFAULT_PARAMS)


def predict(booster: xgb.Booster, X: np.ndarray) -> np.ndarray:
    return model_io.predict(booster, X).astype(np.float64)


def fit_linear(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Least-squares coefficients (intercept first) for the linear baseline."""
    design = np.column_stack([np.ones(len(X)), X])
    coefficients, *_ = np.linalg.lstsq(design, y, rcond=None)
    return coefficients


def predict_linear(coefficients: np.ndarray, X: np.ndarray) -> np.ndarray:
    return coefficients[0] + X @ coefficients[1:]


def month_folds(dataset: Dataset) -> list[np.ndarray]:
    """Boolean test masks, one per calendar month present in the data."""
    months = dataset.months
    folds = [months == month for month in np.unique(months)]
    if len(folds) < 2:
        raise ValueError("cross-validation needs data from at least two months")
    return folds


def cross_validate(dataset: Dataset, params: dict) -> dict:
    """Leave-one-month-out metrics of one fixed model description (no search): the yardstick
    on which a new version and the active one are compared on the same data."""
    predictions = np.empty_like(dataset.y)
    for test in month_folds(dataset):
        booster = fit(dataset.X[~test], dataset.y[~test], params)
        predictions[test] = predict(booster, dataset.X[test])
    return regression_metrics(dataset.y, predictions)


def nested_cross_validate(dataset: Dataset, search: SearchSpace = DEFAULT_SEARCH, progress: Progress = _quiet) -> dict:
    """The metrics of the tuned model and both baselines from their out-of-fold predictions, beside
    the coverage of each day's 80 % interval (calibrated without its month) and the choice per fold."""
    X, y, months = dataset.X, dataset.y, dataset.months
    folds = month_folds(dataset)
    model, mean_baseline, linear_baseline, low, high = (np.empty_like(y) for _ in range(5))
    chosen = []
    for number, test in enumerate(folds, start=1):
        train = ~test
        selection = tuning.select(X[train], y[train], months[train], search)
        interval = calibrate_interval(X[train], y[train], months[train], selection)
        booster = fit(X[train], y[train], selection.params)
        model[test] = predict(booster, X[test])
        low[test], high[test] = intervals.interval(model[test], interval.half_widths(X[test]))
        mean_baseline[test] = y[train].mean()
        linear_baseline[test] = predict_linear(fit_linear(X[train], y[train]), X[test])
        month = str(months[test][0])
        chosen.append({"month": month, "features": selection.params["features"],
                       "max_depth": selection.params["max_depth"], "rounds": selection.params["rounds"]})
        progress(f"fold {number}/{len(folds)}: held out {month}; inner CV chose {_describe(selection.params)}; "
                 f"MAE {np.abs(model[test] - y[test]).mean():.0f}")
    return {
        "cv": regression_metrics(y, model),
        "baseline_mean": regression_metrics(y, mean_baseline),
        "baseline_linear": regression_metrics(y, linear_baseline),
        "folds": len(folds),
        "interval_cv": intervals.coverage_report(y, low, high, model, dataset.dates),
        "chosen_per_fold": chosen,
    }


@dataclass(frozen=True)
class TrainingResult:
    booster: xgb.Booster
    params: dict  # model_params: XGBoost parameters, "rounds", "features"
    interval: intervals.AdaptiveInterval  # the 80 % interval: prediction ± scale × difficulty(inputs)
    metrics: dict  # "cv", "baseline_mean", "baseline_linear", "folds", "interval_cv", "interval", "train", ...

    @property
    def rounds(self) -> int:
        return self.params["rounds"]


def train(dataset: Dataset, search: SearchSpace = DEFAULT_SEARCH, progress: Progress = _quiet) -> TrainingResult:
    """Nested-cross-validate the procedure, then run it on all rows for the final model."""
    metrics = nested_cross_validate(dataset, search, progress)
    progress(f"choosing the final hyper-parameters by inner CV over all {dataset.rows} days")
    selection = tuning.select(dataset.X, dataset.y, dataset.months, search)
    interval = calibrate_interval(dataset.X, dataset.y, dataset.months, selection)
    progress(f"fitting the final model: {_describe(selection.params)}")
    booster = fit(dataset.X, dataset.y, selection.params)
    metrics["interval"] = {"level": intervals.LEVEL, "method": intervals.METHOD, "scale": interval.scale,
                           "min_difficulty": intervals.MIN_DIFFICULTY}
    metrics["train"] = regression_metrics(dataset.y, predict(booster, dataset.X))
    return TrainingResult(booster=booster, params=selection.params, interval=interval, metrics=metrics)


def calibrate_interval(X: np.ndarray, y: np.ndarray, months: np.ndarray,
                       selection: tuning.Selection) -> intervals.AdaptiveInterval:
    """The interval from the inner CV's out-of-fold predictions, over the same inner folds."""
    return intervals.calibrate(X, y, selection.out_of_fold, tuning.inner_folds(months), selection.params["features"])


def _describe(params: dict) -> str:
    dew = "with" if "dew_point" in params["features"] else "without"
    return f"{dew} dew point, depth {params['max_depth']}, {params['rounds']} rounds"
