"""GET /metrics under gunicorn with two real workers: every scrape, whichever worker answers it,
shows the sum over both, and a worker killed and respawned loses none of the counts recorded."""
import http.client
import json
import os
import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.parser import text_string_to_metric_families

from tests.waiting import wait_until

pytestmark = pytest.mark.slow

TOKEN = "harness-metrics-token"
PREDICTIONS = 40
SCRAPES = 30


def request(port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers={"Connection": "close", **(headers or {})})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def predict(port: int, n: int) -> int:
    body = json.dumps({"temperature": 15.0, "humidity": 50.0, "windspeed": n / 100}).encode()
    return request(port, "POST", "/api/v1/predictions", body, {"Content-Type": "application/json"})[0]


def scrape(port: int) -> dict:
    status, body = request(port, "GET", "/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert status == 200
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(body.decode()) for sample in family.samples}


def served(samples: dict, version: int) -> float:
    return samples.get(("bikesite_predictions_total", (("model_version", str(version)), ("source", "api"))), 0.0)


def concurrently(function, count: int, threads: int = 8) -> list:
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(function, range(count)))


def workers_of(master_pid: int) -> set[int]:
    children = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == master_pid:
                children.add(int(entry.name))
    return children


def wait_for_workers(master_pid: int, count: int, within: float = 30, without: int | None = None) -> set[int]:
    """The master's workers once there are count of them (ready answers as soon as one boots), the
    process `without` not among them (a worker killed stays the master's child until reaped)."""
    def found() -> set[int] | None:
        workers = workers_of(master_pid)
        return workers if len(workers) == count and without not in workers else None

    return wait_until(found, within, f"the master did not have {count} workers" + (
        f" without {without}" if without else ""))


def pids_that_served(directory: Path, route: str) -> set[int]:
    """The processes whose own metric files hold requests to route (files are per process id)."""
    pids = set()
    for path in directory.glob("histogram_*.db"):
        if any(f'"route": "{route}"' in key for key, *_ in MmapedDict.read_all_values_from_file(str(path))):
            pids.add(int(path.stem.split("_")[1]))
    return pids


def test_every_scrape_shows_the_sum_over_both_workers_and_a_restart_loses_nothing(start_web, versions, tmp_path):
    directory = tmp_path / "metrics"
    directory.mkdir()
    (directory / "counter_1.db").write_bytes(b"stale counts of an earlier run")
    server = start_web(METRICS_TOKEN=TOKEN, PROMETHEUS_MULTIPROC_DIR=str(directory), WEB_CONCURRENCY="2")
    master = server.process.pid
    workers = wait_for_workers(master, 2)
    assert not (directory / "counter_1.db").exists(), "the master empties the directory at start"
    active, _ = versions

    assert concurrently(lambda n: predict(server.port, n), PREDICTIONS) == [201] * PREDICTIONS
    assert pids_that_served(directory, "api:predictions") == workers, "both workers served predictions"
    scrapes = concurrently(lambda _: scrape(server.port), SCRAPES, threads=4)
    assert pids_that_served(directory, "metrics") == workers, "both workers answered scrapes"
    assert {served(samples, active) for samples in scrapes} == {PREDICTIONS}
    assert {samples[("bikesite_model_version", ())] for samples in scrapes} == {active}

    # A worker dies outright; gunicorn starts another in its place.
    killed = sorted(workers)[0]
    os.kill(killed, signal.SIGKILL)
    replacement = wait_for_workers(master, 2, without=killed) - workers
    assert len(replacement) == 1, server.log()[-2000:]
    assert (directory / f"counter_{killed}.db").exists(), "the dead worker's counts stay"
    assert not (directory / f"gauge_livemostrecent_{killed}.db").exists(), "child_exit dropped its live gauges"

    for samples in concurrently(lambda _: scrape(server.port), SCRAPES, threads=4):
        assert served(samples, active) == PREDICTIONS, "the dead worker's counts are kept"
        assert samples[("bikesite_model_version", ())] == active
    assert concurrently(lambda n: predict(server.port, PREDICTIONS + n), PREDICTIONS) == [201] * PREDICTIONS
    assert replacement <= pids_that_served(directory, "api:predictions")
    for samples in concurrently(lambda _: scrape(server.port), SCRAPES, threads=4):
        assert served(samples, active) == 2 * PREDICTIONS
