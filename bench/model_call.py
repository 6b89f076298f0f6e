"""Time the model call for one row, as the service makes it, against XGBoost's own predict.

Run by bench/run.py with DATABASE_URL set: loads the active model the way a web worker does and
prints one JSON line of figures (microseconds per call, median of repeated timings).
"""
import json
import os
import statistics
import sys
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bikesite.settings")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import django  # noqa: E402
import numpy as np  # noqa: E402

django.setup()

from ml import model_io  # noqa: E402
from predictor import services  # noqa: E402


def per_call_us(call, number: int, repeat: int = 15) -> float:
    timings = timeit.repeat(call, number=number, repeat=repeat)
    return statistics.median(timings) / number * 1e6


def main() -> None:
    model = services.get_active_model()
    row = np.array([[20.0, 60.0, 12.0]])
    print(json.dumps({
        "evaluator": model.evaluator is not None,
        "trees": model.evaluator.num_trees if model.evaluator else None,
        "service_us": per_call_us(lambda: model.predict(row), 2000),
        "xgboost_us": per_call_us(lambda: model_io.predict(model.booster, row), 200),
    }))


if __name__ == "__main__":
    main()
