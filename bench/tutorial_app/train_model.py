"""Build the tutorial's model: a default XGBRegressor on the same data, pickled as the tutorial does.

Benchmark only. bench/ is the one place in the project where pickle may appear: the tutorial
serves a pickled model, and the comparison must serve it the same way.
"""
import pickle
import sys
from pathlib import Path

import pandas as pd
from xgboost import XGBRegressor

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from ml.dataset import FEATURES, load_daily_csv  # noqa: E402

MODEL_PATH = Path(__file__).resolve().parent / "models" / "model.sav"


def main() -> None:
    data = load_daily_csv()
    frame = pd.DataFrame(data.X, columns=list(FEATURES))
    model = XGBRegressor()  # the tutorial's defaults
    model.fit(frame, data.y)
    MODEL_PATH.parent.mkdir(exist_ok=True)
    with open(MODEL_PATH, "wb") as file:
        pickle.dump(model, file)
    print(f"wrote {MODEL_PATH}")


if __name__ == "__main__":
    main()
