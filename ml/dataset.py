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
    """The CSV cannot be used; the message names the column or, one line each, every bad row."""

    def __init__(self, message: str, lines: list[tuple[int, str]] | None = None):
        super().__init__(message)
        self.lines = lines or []  # (CSV line number, what is wrong), for row problems


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
    """Validate a frame of strings or numbers with the COLUMNS and build a Dataset.

    Every bad row is reported, one line each with its CSV line number, in one DatasetError.
    """
    import pandas as pd

    missing = [column for column in COLUMNS if column not in frame.columns]
    if missing:
        raise DatasetError(f"{source}: missing column(s) {', '.join(missing)}")
    if frame.empty:
        raise DatasetError(f"{source}: no rows")

    problems: list[tuple[int, str]] = []  # (row position, message)
    dates = pd.to_datetime(frame["date"], format="%Y-%m-%d", errors="coerce")
    for position in np.flatnonzero(dates.isna().to_numpy()):
        problems.append((position, f"date {frame['date'].iloc[position]!r} is not YYYY-MM-DD"))
    duplicated = (dates.duplicated() & dates.notna()).to_numpy()
    for position in np.flatnonzero(duplicated):
        problems.append((position, f"date {frame['date'].iloc[position]} appears twice"))

    columns = {}
    for name in (*FEATURES, TARGET):
        values = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float)
        for position in np.flatnonzero(~np.isfinite(values)):
            problems.append((position, f"{name} {frame[name].iloc[position]!r} is not a finite number"))
        columns[name] = values
    with np.errstate(invalid="ignore"):  # non-finite values are reported above, not again here
        for name, (low, high) in PHYSICAL_BOUNDS.items():
            outside = (columns[name] < low) | (columns[name] > high)
            for position in np.flatnonzero(outside):
                problems.append((position, f"{name} {columns[name][position]} is outside {low:g}..{high:g}"))
        counts = columns[TARGET]
        fractional = np.isfinite(counts) & ((counts < 0) | (counts != np.round(counts)))
        for position in np.flatnonzero(fractional):
            problems.append((position, f"{TARGET} {counts[position]} is not a whole number >= 0"))
    if problems:
        # +2: one for the header line, one because CSV lines count from 1
        lines = [(int(position) + 2, message) for position, message in sorted(problems, key=lambda p: p[0])]
        raise DatasetError("\n".join(f"{source}: line {line}: {message}" for line, message in lines), lines=lines)

    order = np.argsort(dates.to_numpy())
    X = np.column_stack([columns[name] for name in FEATURES])[order]
    y = counts[order]
    day = dates.to_numpy().astype("datetime64[D]")[order]
    return Dataset(dates=day, X=X, y=y, fingerprint=_fingerprint(day, X, y))


def combine(base: Dataset, observed: Dataset) -> Dataset:
    """The rows of both, one per date; where a date is in both, the observed row wins."""
    keep = ~np.isin(base.dates, observed.dates)
    dates = np.concatenate([base.dates[keep], observed.dates])
    order = np.argsort(dates, kind="stable")
    X = np.concatenate([base.X[keep], observed.X])[order]
    y = np.concatenate([base.y[keep], observed.y])[order]
    return Dataset(dates=dates[order], X=X, y=y, fingerprint=_fingerprint(dates[order], X, y))


def _fingerprint(dates: np.ndarray, X: np.ndarray, y: np.ndarray) -> str:
    digest = hashlib.sha256()
    for array in (dates.astype("int64"), np.round(X, 6), y):
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()
