"""The master's preparation of prometheus_client's multiprocess directory (gunicorn.conf.py)."""
import os
from pathlib import Path

import pytest

from bikesite import prometheus_multiprocess as pm


@pytest.fixture
def environment(monkeypatch):
    # prepare_directory() sets variables itself: restore the whole environment afterwards, or a
    # later test's subprocess would inherit a multiprocess directory that no longer exists.
    saved = dict(os.environ)
    for name in (pm.ENV, pm._PREPARED, pm._CREATED, "METRICS_TOKEN"):
        os.environ.pop(name, None)
    yield monkeypatch
    os.environ.clear()
    os.environ.update(saved)


def test_without_a_token_there_is_no_directory_and_metrics_stay_off(environment):
    assert pm.prepare_directory() is None
    assert pm.ENV not in os.environ


def test_a_new_empty_directory_per_master_removed_at_exit(environment):
    environment.setenv("METRICS_TOKEN", "t")
    path = Path(pm.prepare_directory())
    assert os.environ[pm.ENV] == str(path) and path.is_dir() and not any(path.iterdir())
    (path / "counter_123.db").write_bytes(b"x")
    assert pm.prepare_directory() == str(path), "a config reload (SIGHUP) keeps the directory and its counts"
    assert (path / "counter_123.db").exists()
    pm.master_exiting()
    assert not path.exists()


def test_a_directory_named_by_the_operator_is_emptied_of_earlier_counts(environment, tmp_path):
    environment.setenv("METRICS_TOKEN", "t")
    environment.setenv(pm.ENV, str(tmp_path))
    (tmp_path / "counter_99.db").write_bytes(b"old")
    (tmp_path / "notes.txt").write_text("not ours")
    assert pm.prepare_directory() == str(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    pm.master_exiting()
    assert tmp_path.exists(), "the operator's directory is left in place"
