"""Model features, derived only from the three inputs (temperature °C, humidity %, wind km/h).

The dew point joins the three inputs: relative humidity means something different on a cold
and on a hot day, while the dew point measures how muggy the air feels whatever the temperature
(Magnus formula). Boosters store the names of the features they were trained on, so a version
trained on the raw inputs alone keeps working.
"""
import numpy as np

from ml.dataset import FEATURES

DEW_POINT = "dew_point"
MODEL_FEATURES = (*FEATURES, DEW_POINT)
# Rentals can only fall as humidity and wind rise; temperature and dew point are free
# (very hot, muggy days lose riders too).
MONOTONE = {"temperature": 0, "humidity": -1, "windspeed": -1, DEW_POINT: 0}

_MAGNUS_A, _MAGNUS_B = 17.27, 237.7
_MIN_HUMIDITY = 1.0  # the formula needs log(RH); 0 % never occurs outdoors


def dew_point(temperature: np.ndarray, humidity: np.ndarray) -> np.ndarray:
    """Dew point in °C from air temperature (°C) and relative humidity (%)."""
    gamma = np.log(np.clip(humidity, _MIN_HUMIDITY, 100.0) / 100.0) + _MAGNUS_A * temperature / (_MAGNUS_B + temperature)
    return _MAGNUS_B * gamma / (_MAGNUS_A - gamma)


def design_matrix(rows: np.ndarray, names: tuple[str, ...] | list[str] = MODEL_FEATURES) -> np.ndarray:
    """The (n, len(names)) model input for rows of (temperature, humidity, windspeed)."""
    rows = np.asarray(rows, dtype=np.float64).reshape(-1, len(FEATURES))
    columns = {name: rows[:, i] for i, name in enumerate(FEATURES)}
    if DEW_POINT in names:
        columns[DEW_POINT] = dew_point(columns["temperature"], columns["humidity"])
    return np.column_stack([columns[name] for name in names])


def design_row(temperature: float, humidity: float, windspeed: float,
               names: tuple[str, ...] | list[str] = MODEL_FEATURES) -> tuple[float, ...]:
    """One row of design_matrix() without building arrays: the single-prediction hot path."""
    values = {"temperature": temperature, "humidity": humidity, "windspeed": windspeed}
    if DEW_POINT in names:  # the same numpy arithmetic as design_matrix, on scalars
        values[DEW_POINT] = float(dew_point(np.float64(temperature), np.float64(humidity)))
    return tuple(values[name] for name in names)


def monotone_constraints(names: tuple[str, ...] | list[str] = MODEL_FEATURES) -> str:
    return "(" + ",".join(str(MONOTONE[name]) for name in names) + ")"
