"""CPU a prediction request pays for metrics, next to the CPU of the whole request: a figure that
stays readable on a busy machine, where wrk's throughput swings more than the cost measured.

    DATABASE_URL=postgres://... .venv/bin/python bench/metrics_cost.py

Runs in one process with production settings and prometheus_client's multiprocess mode (a
temporary directory), on a database with an active model (run the release phase first). It
times, in CPU seconds: the metric calls one API prediction makes (one histogram observation,
one counter increment), and the whole request through the production WSGI application with
metrics on and off, alternating.
"""
import io
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="bikesite-metrics-bench-")
os.environ.setdefault("METRICS_TOKEN", "bench-metrics-token")
os.environ.setdefault("RATELIMIT_ENABLED", "0")
os.environ.setdefault("ALLOWED_HOSTS", "localhost")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bikesite.settings")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bikesite.wsgi import application  # noqa: E402
from predictor import metrics  # noqa: E402
from predictor.middleware import RequestMonitoringMiddleware  # noqa: E402

BODY = json.dumps({"temperature": 20.0, "humidity": 60.0, "windspeed": 12.0}).encode()


def predict() -> None:
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/api/v1/predictions", "SCRIPT_NAME": "",
               "SERVER_NAME": "localhost", "SERVER_PORT": "80", "HTTP_HOST": "localhost",
               "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(BODY)),
               "wsgi.input": io.BytesIO(BODY), "wsgi.url_scheme": "http", "wsgi.errors": io.StringIO()}
    answer = application(environ, lambda status, headers: None)
    b"".join(answer)
    answer.close()


def cpu_us(function, count: int) -> float:
    started = time.process_time()
    for _ in range(count):
        function()
    return (time.process_time() - started) / count * 1e6


def metric_calls() -> None:
    metrics.observe_request("api:predictions", "2xx", 0.01)
    metrics.count_predictions("api", 1, 1)


def set_collecting(on: bool) -> None:
    metrics.COLLECTING = on
    # The monitoring middleware is the first of the chain (Django wraps it in a function).
    middleware = application.lean._middleware_chain.__wrapped__
    assert isinstance(middleware, RequestMonitoringMiddleware)
    middleware.timed = on


def main() -> None:
    metric_calls()
    hooks = statistics.median(cpu_us(metric_calls, 20_000) for _ in range(5))
    for _ in range(50):
        predict()
    figures = {True: [], False: []}
    for number in range(10):
        for on in ((True, False) if number % 2 == 0 else (False, True)):
            set_collecting(on)
            figures[on].append(cpu_us(predict, 200))
    on, off = statistics.median(figures[True]), statistics.median(figures[False])
    print(f"metric calls of one prediction request: {hooks:.1f} us CPU")
    print(f"whole request (median of 10 x 200): metrics on {on:.0f} us, off {off:.0f} us CPU")
    print(f"the metric calls are {hooks / off:.1%} of a request's CPU")


if __name__ == "__main__":
    main()
