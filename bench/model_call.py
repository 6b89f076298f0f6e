"""Time the model call for one row, as the service makes it, against XGBoost's own predict.

Run by bench/run.py with DATABASE_URL set: loads the active model the way a web worker does and
prints one JSON line of figures (microseconds per call, best and median of repeated timings).
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


def per_call_us(call, number: int, repeat: int = 30) -> dict:
    """Best and median of repeated timings: the best is the code's own cost, the median adds
    what other processes on the machine took from it."""
    timings = [timing / number * 1e6 for timing in timeit.repeat(call, number=number, repeat=repeat)]
    return {"best": min(timings), "median": statistics.median(timings)}


def main() -> None:
    model = services.get_active_model()
    row = np.array([[20.0, 60.0, 12.0]])
    print(json.dumps({
        "evaluator": model.evaluator is not None,
        "trees": model.evaluator.num_trees if model.evaluator else None,
        # The count and its 80 % interval, as a single prediction gets them (an adaptive interval's
        # difficulty model is walked in the same evaluator pass).
        "adaptive_interval": model.adaptive_interval is not None,
        "service_us": per_call_us(lambda: model.predict_one_with_interval(20.0, 60.0, 12.0), 1000),
        "xgboost_us": per_call_us(lambda: model_io.predict(model.booster, row), 200),
    }))


if __name__ == "__main__":
    main()
