"""Choose hyper-parameters by cross-validation on the training data only.

Called once per outer fold (nested cross-validation) and once on all the data for the final
model, so the figures reported for a model come from days its hyper-parameters never saw.
Inner folds hold out whole months too, in interleaved groups (e.g. Jan/May/Sep), so each inner
fold spans the seasons and a held-out day's neighbours are held out with it.
"""
import itertools
from dataclasses import dataclass

import numpy as np
import xgboost as xgb

from ml.dataset import FEATURES
from ml.features import MODEL_FEATURES, design_matrix, monotone_constraints

BASE_PARAMS = {
    "objective": "reg:squarederror",
    "eta": 0.1,
    "seed": 0,
    "nthread": 1,
}
INNER_GROUPS = 4


@dataclass(frozen=True)
class SearchSpace:
    """The candidates; a round count costs nothing extra (one fit, predictions at each count)."""

    feature_sets: tuple[tuple[str, ...], ...] = (FEATURES, MODEL_FEATURES)
    max_depths: tuple[int, ...] = (2,)
    rounds: tuple[int, ...] = (100, 150, 200, 250, 300, 400)


# Shallow trees (365 rows are memorised by deep ones); whether the dew point helps and how many
# rounds to boost are chosen by inner CV. Ties go to the earlier, simpler candidate.
DEFAULT_SEARCH = SearchSpace()


def model_params(max_depth: int, rounds: int, features=MODEL_FEATURES) -> dict:
    """The stored description of a model: XGBoost parameters plus rounds and feature names."""
    return {**BASE_PARAMS, "max_depth": max_depth, "monotone_constraints": monotone_constraints(features),
            "rounds": rounds, "features": list(features)}


def fit(rows: np.ndarray, y: np.ndarray, params: dict) -> xgb.Booster:
    """Fit on rows of the three inputs; the features and rounds come from params. Same data, same model."""
    names = list(params.get("features") or FEATURES)  # versions from before derived features
    xgb_params = {key: value for key, value in params.items() if key not in ("rounds", "features")}
    matrix = xgb.DMatrix(design_matrix(rows, names), label=y, feature_names=names, nthread=1)
    return xgb.train(xgb_params, matrix, num_boost_round=int(params["rounds"]))


def inner_folds(months: np.ndarray, groups: int = INNER_GROUPS) -> list[np.ndarray]:
    present = np.unique(months)
    groups = min(groups, len(present))
    return [np.isin(months, present[start::groups]) for start in range(groups)]


@dataclass(frozen=True)
class Selection:
    params: dict  # the chosen model_params
    mae: float  # its inner cross-validated MAE
    out_of_fold: np.ndarray  # its inner out-of-fold predictions, one per training row


def select(rows: np.ndarray, y: np.ndarray, months: np.ndarray, space: SearchSpace = DEFAULT_SEARCH) -> Selection:
    """The candidate with the lowest inner-CV MAE (ties: the first, i.e. the simplest)."""
    folds = inner_folds(months)
    if len(folds) < 2:
        raise ValueError("choosing hyper-parameters needs data from at least two months")
    most = max(space.rounds)
    best = None
    for features, depth in itertools.product(space.feature_sets, space.max_depths):
        predictions = np.empty((len(space.rounds), len(y)))
        for test in folds:
            booster = fit(rows[~test], y[~test], model_params(depth, most, features))
            names = booster.feature_names
            held_out = design_matrix(rows[test], names)
            for i, rounds in enumerate(space.rounds):
                predictions[i, test] = booster.inplace_predict(held_out, iteration_range=(0, rounds))
        errors = np.abs(predictions - y).mean(axis=1)
        i = int(np.argmin(errors))
        if best is None or errors[i] < best.mae:
            best = Selection(model_params(depth, space.rounds[i], features), float(errors[i]), predictions[i])
    return best
