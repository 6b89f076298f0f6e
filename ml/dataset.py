"""Load and validate a daily training table (date, three weather features, rentals)."""
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FEATURES = ("temperature", "humidity", "windspeed")
TARGET = "count"
COLUMNS = ("date", *FEATURES, TARGET)
BUNDLED_DAILY_CSV = Path(__file__).resolve().parent / "data" / "capital_bikeshare_2011_daily.csv"

# Physical bounds the service accepts; training rows outside them are data errors.
PHYSICAL_BOUNDS = {
    "temperature": (-40.0, 50.0),
    "humidity": (0.0, 100.0),
    "windspeed": (0.0, 150.0),
}


class DatasetError(ValueError):
    """The CSV cannot be used for training; the message names the column or row."""


@dataclass(frozen=True)
class Dataset:
    dates: np.ndarray  # datetime64[D], one per row
    X: np.ndarray  # (n, 3) float64 in FEATURES order
    y: np.ndarray  # (n,) float64 daily rentals
    fingerprint: str  # sha256 of the validated content, independent of file formatting

    @property
    def rows(self) -> int:
        return len(self.y)

    @property
    def months(self) -> np.ndarray:
        return self.dates.astype("datetime64[M]")

    def feature_ranges(self) -> dict[str, list[float]]:
        return {
            name: [float(self.X[:, i].min()), float(self.X[:, i].max())]
            for i, name in enumerate(FEATURES)
        }


def load_daily_csv(path: str | Path = BUNDLED_DAILY_CSV) -> Dataset:
    """Read a daily CSV and check every row; raise DatasetError with a precise reason."""
    import pandas as pd  # training-only dependency: keep it off the web path

    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise DatasetError(f"{path}: no such file") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path}: not a readable CSV ({exc})") from None
    return dataset_from_frame(frame, source=str(path))


def dataset_from_frame(frame, source: str = "data") -> Dataset:
    """Validate a frame of strings or numbers with the COLUMNS and build a Dataset."""
    import pandas as pd

    missing = [column for column in COLUMNS if column not in frame.columns]
    if missing:
        raise DatasetError(f"{source}: missing column(s) {', '.join(missing)}")
    if frame.empty:
        raise DatasetError(f"{source}: no rows")

    def bad_row(position: int, message: str) -> DatasetError:
        # +2: one for the header line, one because CSV lines count from 1
        return DatasetError(f"{source}: line {position + 2}: {message}")

    dates = pd.to_datetime(frame["date"], format="%Y-%m-%d", errors="coerce")
    for position in np.flatnonzero(dates.isna().to_numpy()):
        raise bad_row(position, f"date {frame['date'].iloc[position]!r} is not YYYY-MM-DD")
    duplicated = dates.duplicated().to_numpy()
    for position in np.flatnonzero(duplicated):
        raise bad_row(position, f"date {frame['date'].iloc[position]} appears twice")

    columns = {}
    for name in (*FEATURES, TARGET):
        values = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float)
        for position in np.flatnonzero(~np.isfinite(values)):
            raise bad_row(position, f"{name} {frame[name].iloc[position]!r} is not a finite number")
        columns[name] = values
    for name, (low, high) in PHYSICAL_BOUNDS.items():
        outside = (columns[name] < low) | (columns[name] > high)
        for position in np.flatnonzero(outside):
            raise bad_row(position, f"{name} {columns[name][position]} is outside {low:g}..{high:g}")
    counts = columns[TARGET]
    for position in np.flatnonzero((counts < 0) | (counts != np.round(counts))):
        raise bad_row(position, f"{TARGET} {counts[position]} is not a whole number >= 0")

    order = np.argsort(dates.to_numpy())
    X = np.column_stack([columns[name] for name in FEATURES])[order]
    y = counts[order]
    day = dates.to_numpy().astype("datetime64[D]")[order]
    return Dataset(dates=day, X=X, y=y, fingerprint=_fingerprint(day, X, y))


def _fingerprint(dates: np.ndarray, X: np.ndarray, y: np.ndarray) -> str:
    digest = hashlib.sha256()
    for array in (dates.astype("int64"), np.round(X, 6), y):
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()
