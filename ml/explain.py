"""Why a prediction is what it is: each feature's contribution (XGBoost's exact tree SHAP).

base + sum(contributions) equals the booster's raw prediction for the row.
"""
from dataclasses import dataclass

import numpy as np
import xgboost as xgb

from ml.dataset import FEATURES
from ml.features import design_matrix


@dataclass(frozen=True)
class Explanation:
    base: float  # the model's average prediction, before any feature is known
    contributions: dict[str, float]  # feature name -> rentals it adds (negative: removes)

    @property
    def prediction(self) -> float:
        return self.base + sum(self.contributions.values())


def explain(booster: xgb.Booster, row) -> Explanation:
    """Contributions for one row of (temperature, humidity, windspeed)."""
    names = booster.feature_names or list(FEATURES)
    matrix = xgb.DMatrix(design_matrix(row, names), feature_names=names, nthread=1)
    values = booster.predict(matrix, pred_contribs=True)[0].astype(np.float64)
    return Explanation(base=float(values[-1]), contributions=dict(zip(names, values[:-1].tolist())))
