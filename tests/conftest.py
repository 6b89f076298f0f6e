"""Shared fixtures: the real model, trained once per test session, stored in the real database."""
import pytest

from ml.dataset import load_daily_csv
from ml.training import fit, train
from predictor import ratelimit, serving, versions
from predictor.models import ModelVersion
from tests.fuzzing import Tally


@pytest.fixture(scope="session")
def bundled_dataset():
    return load_daily_csv()


@pytest.fixture(scope="session")
def trained(bundled_dataset):
    """The production training run on the bundled data (several seconds), shared by all tests."""
    return train(bundled_dataset)


def store_version(trained, dataset, *, active: bool, notes: str = "") -> ModelVersion:
    return store_booster(trained.booster, trained.params, dataset, metrics=trained.metrics,
                         interval=trained.interval, active=active, notes=notes)


def store_booster(booster, params, dataset, *, metrics=None, interval=None, interval_offset=None, active=False,
                  notes=""):
    return versions.store_model_version(booster=booster, params=params, dataset=dataset, metrics=metrics,
                                        interval=interval, interval_offset=interval_offset, notes=notes,
                                        is_active=active)


def store_fixed_model(dataset, params, *, active=False, metrics=None) -> ModelVersion:
    """A version made from fixed parameters, without a search or an interval (e.g. a weak one)."""
    return store_booster(fit(dataset.X, dataset.y, params), params, dataset, metrics=metrics, active=active)


@pytest.fixture
def make_version(db, trained, bundled_dataset):
    def make(*, active: bool = False, notes: str = "") -> ModelVersion:
        return store_version(trained, bundled_dataset, active=active, notes=notes)

    return make


@pytest.fixture
def active_version(make_version):
    return make_version(active=True)


@pytest.fixture(autouse=True)
def fresh_rate_limit_counts(monkeypatch):
    """Each test starts with no rate-limit counts in this process, as a new worker would."""
    monkeypatch.setattr(ratelimit, "LIMITER", ratelimit.SharedLimiter())


@pytest.fixture(autouse=True)
def fresh_model_cache():
    """Each test starts with no model loaded in this process, as a new worker would."""
    serving.forget_loaded_model()
    yield
    serving.forget_loaded_model()


_FIGURES: list[tuple[str, dict]] = []


@pytest.fixture
def figures(request):
    """figures(**numbers) records what a fuzz or harness test measured; printed at the end of the run."""
    def record(**numbers):
        _FIGURES.append((request.node.name, numbers))
    return record


@pytest.fixture(scope="module")
def _fuzz_module_tally(request):
    """The sum of what the module's fuzz tests that ran sent: a figure only, never checked."""
    total = Tally()
    yield total
    if total.requests:
        _FIGURES.append((f"{request.module.__name__.rsplit('.', 1)[-1]} (the fuzz tests that ran)", total.figures()))


@pytest.fixture
def fuzz_tally(figures, _fuzz_module_tally):
    """The Tally of this one fuzz test (tests/fuzzing.py): the test checks its own quota."""
    tally = Tally()
    yield tally
    figures(**tally.figures())
    _fuzz_module_tally.add(tally)


def pytest_terminal_summary(terminalreporter):
    if _FIGURES:
        terminalreporter.section("reliability figures")
        for name, numbers in _FIGURES:
            terminalreporter.write_line(f"{name}: " + ", ".join(f"{k}={v}" for k, v in numbers.items()))
