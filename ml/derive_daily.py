"""Derive the daily training table from the bundled hourly data.

Usage: python -m ml.derive_daily [HOURLY_CSV] [DAILY_CSV]
"""
import sys
from pathlib import Path

import pandas as pd

DATA_DIR = Path(__file__).resolve().parent / "data"
HOURLY_CSV = DATA_DIR / "capital_bikeshare_2011_hourly.csv"
DAILY_CSV = DATA_DIR / "capital_bikeshare_2011_daily.csv"
YEAR_START = pd.Timestamp("2011-01-01")


def derive_daily(hourly: pd.DataFrame) -> pd.DataFrame:
    """One row per day: the day's mean weather in physical units and its total rentals."""
    hourly = hourly.assign(
        temperature=hourly["temp"] * 47 - 8,  # the data set's own de-normalisation
        humidity=hourly["hum"] * 100,
        windspeed_kmh=hourly["windspeed"] * 67,
    )
    daily = hourly.groupby("day", sort=True).agg(
        temperature=("temperature", "mean"),
        humidity=("humidity", "mean"),
        windspeed=("windspeed_kmh", "mean"),
        count=("bikers", "sum"),
    )
    dates = YEAR_START + pd.to_timedelta(daily.index - 1, unit="D")
    return pd.DataFrame(
        {
            "date": dates.strftime("%Y-%m-%d"),
            "temperature": daily["temperature"].round(3).to_numpy(),
            "humidity": daily["humidity"].round(3).to_numpy(),
            "windspeed": daily["windspeed"].round(3).to_numpy(),
            "count": daily["count"].astype(int).to_numpy(),
        }
    )


def main(argv: list[str]) -> None:
    hourly_path = Path(argv[0]) if argv else HOURLY_CSV
    daily_path = Path(argv[1]) if len(argv) > 1 else DAILY_CSV
    daily = derive_daily(pd.read_csv(hourly_path))
    daily.to_csv(daily_path, index=False)
    print(f"wrote {len(daily)} days to {daily_path}")


if __name__ == "__main__":
    main(sys.argv[1:])
