"""What writing the history costs in process (issue #15): the ORM's insert against recording's
own, a whole prediction request with each (and with Django's connection ping), and a 10,000-row
batch with its instances made by the model's constructor or by recording.new_predictions().

    DATABASE_URL=postgres://... .venv/bin/python bench/insert_cost.py [--rounds 7]

Runs in one process with production settings (rate limiting on, with a limit never reached) on a
scratch database it creates next to DATABASE_URL's, migrates, gives a model (trained in a
fraction of a second) and drops at the end. The variants of each comparison alternate, their
order reversed every round, so a busy machine slows them alike; a figure is the median of the
rounds, a ratio the median of the rounds' own ratios. CPU is this process's (the client side);
wall time adds PostgreSQL and the commit's wait.
"""
import argparse
import io
import json
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bikesite.settings")
os.environ.setdefault("ALLOWED_HOSTS", "localhost")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ["RATELIMIT_ENABLED"] = "1"
os.environ["RATELIMIT_REQUESTS"] = str(10**9)
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/run.py's sample inputs
warnings.filterwarnings("ignore", message="No directory at")  # whitenoise: no collectstatic here

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402
from django.utils import timezone  # noqa: E402

from predictor import ids, recording, unpinged  # noqa: E402
from predictor.models import Prediction  # noqa: E402
from run import sample_inputs  # noqa: E402

BATCH_ROWS = 10_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--inserts", type=int, default=2000, help="single inserts per variant and round")
    parser.add_argument("--requests", type=int, default=500, help="prediction requests per variant and round")
    parser.add_argument("--batches", type=int, default=2, help="10,000-row batches per variant and round")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("DATABASE_URL must name a PostgreSQL database")
    connection.settings_dict["TEST"]["NAME"] = f"{connection.settings_dict['NAME']}_insert_cost"
    scratch = setup_databases(verbosity=0, interactive=False, aliases={"default"}, serialized_aliases=set())
    try:
        version_id = store_active_model()
        print(f"{time.strftime('%Y-%m-%d %H:%M %Z')}; {os.cpu_count()} cores; load average before: "
              f"{os.getloadavg()[0]:.1f}; {args.rounds} alternating rounds; CPU of this process, wall time\n")
        print_statements(single_insert_variants(version_id))
        report("one insert", alternate(single_insert_variants(version_id), args.rounds, args.inserts))
        report("one API prediction request (rate limit on)",
               alternate(request_variants(), args.rounds, args.requests))
        report("Django's ping alone", alternate({"connection.is_usable() (SELECT 1)": connection.is_usable},
                                                 args.rounds, args.inserts))
        report(f"{BATCH_ROWS:,}-row batch: rows made, instances made from them, insert_many (COPY)",
               alternate(batch_variants(version_id), args.rounds, args.batches), unit="ms")
        report(f"{BATCH_ROWS:,}-row batch end to end (API request)",
               alternate(end_to_end_batch_variants(), args.rounds, args.batches), unit="ms")
    finally:
        teardown_databases(scratch, verbosity=0)


def store_active_model() -> int:
    from ml.dataset import load_daily_csv
    from ml.training import DEFAULT_PARAMS, fit
    from predictor import versions

    dataset = load_daily_csv()
    version = versions.store_model_version(booster=fit(dataset.X, dataset.y), params=DEFAULT_PARAMS,
                                           dataset=dataset, interval_offset=300.0, is_active=True)
    return version.pk


# --- one insert -------------------------------------------------------------------------------

def prediction_values(version_id: int) -> dict:
    return {"id": ids.new_id(), "temperature": 20.0, "humidity": 60.0, "windspeed": 12.0,
            "predicted_count": 4321.5, "interval_low": 4000.0, "interval_high": 4600.0,
            "outside_training_range": False, "model_version_id": version_id, "created_at": timezone.now(),
            "source": "api"}


def single_insert_variants(version_id: int) -> dict:
    def orm_create():
        Prediction.objects.create(**prediction_values(version_id))

    def recording_insert_one():
        recording.insert_one(Prediction(**prediction_values(version_id)))

    return {"ORM: Prediction.objects.create()": orm_create, "recording.insert_one()": recording_insert_one}


def print_statements(variants: dict) -> None:
    """What each variant sends, transaction control included (Django logs BEGIN and COMMIT too)."""
    from django.test.utils import CaptureQueriesContext

    for name, run in variants.items():
        with CaptureQueriesContext(connection) as queries:
            run()
        print(f"{name} sends: {', '.join(query['sql'].split()[0] for query in queries.captured_queries)}")
    print()


# --- a whole request --------------------------------------------------------------------------

def request_variants() -> dict:
    from bikesite.wsgi import application

    body = json.dumps({"temperature": 20.0, "humidity": 60.0, "windspeed": 12.0}).encode()

    def as_served():
        _post(application, "/api/v1/predictions", body)

    def orm_insert():
        with _replaced(recording, "insert_one", lambda prediction: prediction.save(force_insert=True)):
            as_served()

    def django_ping():
        # Each request starts with health_check_done reset (close_old_connections on request_started).
        with _replaced(unpinged, "execute", _execute_with_django_check):
            as_served()

    return {"as served": as_served, "ORM insert": orm_insert, "with Django's ping": django_ping}


def _execute_with_django_check(sql: str, params: list):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone() if cursor.description else None


class _replaced:
    """module.name replaced within a with block. (Not unittest.mock.patch.object: the variants enter
    it inside the timed loop, once a call, and patch.object costs about 1 µs more each time.)"""

    def __init__(self, module, name: str, replacement):
        self.module, self.name, self.replacement = module, name, replacement

    def __enter__(self):
        self.original = getattr(self.module, self.name)
        setattr(self.module, self.name, self.replacement)

    def __exit__(self, *exc):
        setattr(self.module, self.name, self.original)


def _post(application, path: str, body: bytes) -> bytes:
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": path, "SCRIPT_NAME": "", "SERVER_NAME": "localhost",
               "SERVER_PORT": "80", "HTTP_HOST": "localhost", "REMOTE_ADDR": "203.0.113.7",
               "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(body)),
               "wsgi.input": io.BytesIO(body), "wsgi.url_scheme": "http", "wsgi.errors": io.StringIO()}
    statuses = []
    answer = application(environ, lambda status, headers: statuses.append(status))
    content = b"".join(answer)
    answer.close()
    if not statuses[0].startswith("201"):
        raise SystemExit(f"{path} answered {statuses[0]}: {content[:300]!r}")
    return content


# --- a batch ---------------------------------------------------------------------------------

def batch_rows(version_id: int) -> list[dict]:
    """A batch's rows as the service names them (fresh ids each time: the COPY must not conflict)."""
    template = prediction_values(version_id) | {"source": "batch"}
    return [template | {"id": prediction_id} for prediction_id in ids.new_ids(BATCH_ROWS)]


def by_constructor(rows) -> list[Prediction]:
    return [Prediction(**row) for row in rows]


def batch_variants(version_id: int) -> dict:
    def stored(make):
        return lambda: recording.insert_many(make(batch_rows(version_id)))

    return {"Prediction(**row) each": stored(by_constructor),
            "recording.new_predictions()": stored(recording.new_predictions),
            "rows only (in both figures above)": lambda: batch_rows(version_id)}


def end_to_end_batch_variants() -> dict:
    from bikesite.wsgi import application

    body = json.dumps({"inputs": sample_inputs(BATCH_ROWS, seed=2)}).encode()

    def as_served():
        _post(application, "/api/v1/predictions/batch", body)

    def constructor():
        with _replaced(recording, "new_predictions", by_constructor):
            as_served()

    return {"Prediction(**row) each": constructor, "as served (recording.new_predictions())": as_served}


# --- timing and report ------------------------------------------------------------------------

def alternate(variants: dict, rounds: int, number: int) -> dict:
    """{name: [(cpu seconds, wall seconds) per call, one per round]}; each variant warmed first."""
    for run in variants.values():
        run()
    figures = {name: [] for name in variants}
    names = list(variants)
    for number_of_round in range(rounds):
        for name in names if number_of_round % 2 == 0 else reversed(names):
            cpu, wall = time.process_time(), time.perf_counter()
            for _ in range(number):
                variants[name]()
            figures[name].append(((time.process_time() - cpu) / number, (time.perf_counter() - wall) / number))
    return figures


def report(title: str, figures: dict, unit: str = "us") -> None:
    scale = {"us": 1e6, "ms": 1e3}[unit]
    names = list(figures)
    first = figures[names[0]]
    print(f"{title} (median of {len(first)} rounds)")
    for name in names:
        cpu = statistics.median(c for c, _ in figures[name]) * scale
        wall = statistics.median(w for _, w in figures[name]) * scale
        line = f"  {name:40s} CPU {cpu:8.1f} {unit}   wall {wall:8.1f} {unit}"
        if name != names[0]:
            cpu_ratio = statistics.median(c / c0 for (c, _), (c0, _) in zip(figures[name], first))
            wall_ratio = statistics.median(w / w0 for (_, w), (_, w0) in zip(figures[name], first))
            line += f"   x{cpu_ratio:.2f} CPU, x{wall_ratio:.2f} wall of the first"
        print(line)
    print()


if __name__ == "__main__":
    main()
