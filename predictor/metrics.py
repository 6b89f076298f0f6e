"""The service's Prometheus metrics (prometheus_client), and their text exposition.

Under gunicorn every worker writes its values to its own memory-mapped files in
PROMETHEUS_MULTIPROC_DIR (set up by bikesite/prometheus_multiprocess.py before this module is
imported), and a scrape merges the files of every worker, dead ones included: a scrape that
lands on any worker shows the sum of all of them. Without that directory (tests, manage.py)
values live in this process only.

Collection is on only when METRICS_TOKEN is set (the endpoint is off otherwise, so nobody could
read them): COLLECTING is then False and the recording functions return at once.
Labelled children are looked up once and kept: .labels() costs more than the increment itself.
"""
import glob
import os

from django.conf import settings
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import multiprocess

from ml.dataset import FEATURES

COLLECTING = bool(settings.METRICS_TOKEN)

PREDICTIONS = Counter(
    "bikesite_predictions", "Predictions served (a batch of 25 counts 25), by source and model version.",
    ["source", "model_version"])
OUTSIDE_TRAINING_RANGE = Counter(
    "bikesite_inputs_outside_training_range",
    "Predictions whose input lay outside the model's training range, per feature.", ["feature"])
REQUEST_DURATION = Histogram(
    "bikesite_request_duration_seconds", "Time to answer a request, by route (URL name) and status class.",
    ["route", "status_class"],
    # Heroku's router gives up at 30 s.
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0))
REJECTED_INPUTS = Counter(
    "bikesite_rejected_inputs", "Requests refused for their input (400, 413, 415), by reason.", ["reason"])
UNAVAILABLE = Counter(
    "bikesite_unavailable", "Answers 503 (nothing stored), by reason: database or model.", ["reason"])
RATE_LIMITED = Counter("bikesite_rate_limited", "Requests refused by the rate limit (429).")
LOGIN_FAILURES = Counter(
    "bikesite_login_failures", "Failed logins whose password was checked (each counts toward a lockout).")
LOGIN_LOCKOUTS = Counter(
    "bikesite_login_lockouts", "Login lockouts begun, by scope: username_and_address, or address (any username).",
    ["scope"])
LOGIN_REFUSED = Counter(
    "bikesite_login_refused", "Logins refused while locked out, their password not even checked (429).")
MODEL_LOADS = Counter("bikesite_model_loads", "Model versions loaded (at start and on every switch).")
MODEL_REFUSED = Counter("bikesite_model_artifacts_refused", "Active model artifacts refused (checksum, format).")
# The most recent value set by a live process: the version the newest load brought (a rollback
# to a lower id shows too, which 'max' would hide). Dead workers' values are dropped by
# mark_process_dead (gunicorn's child_exit); the master's, set before the fork, stays.
MODEL_VERSION = Gauge(
    "bikesite_model_version", "Id of the model version serving predictions (the most recently loaded).",
    multiprocess_mode="livemostrecent")
MODEL_ACTIVATED = Gauge(
    "bikesite_model_activated_timestamp_seconds", "When the serving model version was activated (Unix time).",
    multiprocess_mode="livemostrecent")


class _Children(dict):
    """A labelled metric's children by their label values, each made on first use and kept: a
    hit is one dict lookup (__missing__ runs only on a miss)."""

    def __init__(self, metric):
        super().__init__()
        self.metric = metric

    def __missing__(self, labels: tuple):
        return self.setdefault(labels, self.metric.labels(*labels))


REJECTION_REASONS = frozenset({*FEATURES, "body", "inputs", "content_type"})
_predictions = _Children(PREDICTIONS)
_outside = {name: OUTSIDE_TRAINING_RANGE.labels(name) for name in FEATURES}
_durations = _Children(REQUEST_DURATION)
_rejected = _Children(REJECTED_INPUTS)
_unavailable = _Children(UNAVAILABLE)
# Both scopes from the start, at 0: an alert on their rate has a series to read before the first lockout.
_lockouts = {scope: LOGIN_LOCKOUTS.labels(scope) for scope in ("username_and_address", "address")}


def count_predictions(source: str, version_id: int, count: int) -> None:
    _predictions[source, version_id].inc(count)  # prometheus_client labels with str(version_id)


def count_outside(feature: str, count: int = 1) -> None:
    _outside[feature].inc(count)


def observe_request(route: str, status_class: str, seconds: float) -> None:
    _durations[route, status_class].observe(seconds)


def count_rejected(reason: str) -> None:
    if reason not in REJECTION_REASONS:
        reason = "unknown_field" if reason != "non_field_errors" else "not_an_object"
    _rejected[reason,].inc()


def count_unavailable(reason: str) -> None:
    _unavailable[reason,].inc()


def count_lockout(scope: str) -> None:
    _lockouts[scope].inc()


class SizedFilesCollector(multiprocess.MultiProcessCollector):
    """MultiProcessCollector that skips the files still at 0 bytes.

    prometheus_client creates a worker's file and only then sizes it, so a scrape that lands in
    between (a worker's first metric, e.g. a respawned worker's first request) fails on it with
    struct.error, and a worker killed in between leaves it empty for good: every later scrape
    would fail (prometheus/client_python#1199, not fixed in 0.26.0). An empty file holds no
    values, and a sized file never shrinks back to 0, so skipping it loses nothing.
    tests/test_metrics.py fails once prometheus_client reads empty files itself.
    """

    def collect(self):
        files = []
        for path in glob.glob(os.path.join(self._path, "*.db")):
            try:
                if os.path.getsize(path):
                    files.append(path)
            except FileNotFoundError:  # a dead worker's live gauges, removed by mark_process_dead
                pass
        return self.merge(files, accumulate=True)


def exposition(directory: str | None = None) -> tuple[bytes, str]:
    """(the text exposition of every metric, its content type); directory: the multiprocess one."""
    directory = directory or os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        registry = CollectorRegistry()
        SizedFilesCollector(registry, path=directory)
    else:
        registry = REGISTRY
    return generate_latest(registry), CONTENT_TYPE_LATEST
