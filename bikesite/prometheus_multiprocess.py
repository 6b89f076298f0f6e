"""prometheus_client's multiprocess mode under gunicorn (used by gunicorn.conf.py).

Each worker writes its metrics to memory-mapped files in PROMETHEUS_MULTIPROC_DIR and a scrape
merges them all. The directory must be known before prometheus_client is first imported (it
picks its storage at import) and must start empty, so the master prepares it while reading its
config file, before it imports the app. Unless the operator names one, it is a new directory
under the temporary directory: per dyno and emptied by every dyno restart on Heroku, and never
shared by two gunicorn masters on one machine (as the tests start them). Files of dead workers
stay, so their counts are kept; only their live gauges are dropped (mark_process_dead).
Nothing happens when METRICS_TOKEN is unset: metrics are then off.
"""
import glob
import os
import shutil
import tempfile

ENV = "PROMETHEUS_MULTIPROC_DIR"
# Set once the master prepared the directory: a config reload (SIGHUP) must not empty it again.
_PREPARED = "BIKESITE_METRICS_DIR_PREPARED"
_CREATED = "BIKESITE_METRICS_DIR_CREATED"


def prepare_directory() -> str | None:
    """In the master, before the app is imported: the directory, empty and in the environment."""
    if not os.environ.get("METRICS_TOKEN"):
        return None
    if os.environ.get(_PREPARED):
        return os.environ[ENV]
    path = os.environ.get(ENV)
    if path:
        os.makedirs(path, exist_ok=True)
        for stale in glob.glob(os.path.join(path, "*.db")):  # a previous run's counts
            os.remove(stale)
    else:
        path = os.environ[ENV] = os.environ[_CREATED] = tempfile.mkdtemp(prefix="bikesite-metrics-")
    os.environ[_PREPARED] = "1"
    return path


def worker_exited(pid: int) -> None:
    """gunicorn's child_exit: keep the dead worker's counts, drop its live gauges."""
    if os.environ.get(_PREPARED):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)


def master_exiting() -> None:
    """gunicorn's on_exit: remove the directory this master made (Heroku wipes /tmp anyway)."""
    created = os.environ.get(_CREATED)
    if created:
        shutil.rmtree(created, ignore_errors=True)
