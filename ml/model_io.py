"""XGBoost model (de)serialisation in XGBoost's own UBJSON format; never pickle."""
import hashlib

import numpy as np
import xgboost as xgb

from ml.dataset import FEATURES
from ml.features import design_matrix

FORMAT = "ubj"


def to_bytes(booster: xgb.Booster) -> bytes:
    return bytes(booster.save_raw(raw_format=FORMAT))


def sha256(artifact: bytes) -> str:
    return hashlib.sha256(artifact).hexdigest()


class ArtifactError(ValueError):
    """An artifact is corrupted, tampered with, or not an XGBoost model."""


def from_bytes(artifact: bytes, expected_sha256: str | None = None) -> xgb.Booster:
    """Load a booster for single-threaded serving, checking its checksum first."""
    if expected_sha256 is not None and sha256(artifact) != expected_sha256:
        raise ArtifactError("artifact sha256 does not match the recorded checksum")
    booster = xgb.Booster()
    try:
        booster.load_model(bytearray(artifact))
    except xgb.core.XGBoostError as exc:
        raise ArtifactError(f"not a loadable XGBoost model: {str(exc).splitlines()[0]}") from None
    # One thread per process: gunicorn workers provide the parallelism, and XGBoost's
    # default of one OpenMP thread per core makes workers fight over the cores.
    booster.set_param({"nthread": 1})
    return booster


def predict(booster: xgb.Booster, rows: np.ndarray) -> np.ndarray:
    """Predict rows of (temperature, humidity, windspeed); no DMatrix, no pandas.

    The features the booster was trained on (its stored names) are derived from the inputs.
    """
    names = booster.feature_names or FEATURES
    return booster.inplace_predict(design_matrix(rows, names).astype(np.float32))
