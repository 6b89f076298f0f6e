"""Fixtures of the load and fault harness: a throwaway PostgreSQL cluster for the session, a
fresh database per test (cloned from one migrated with a trained model), gunicorn processes."""
import itertools
import pwd
import shutil

import pytest

from tests.harness import web
from tests.harness.postgres import PG_BIN, ThrowawayPostgres
from tests.skipping import skip_folder_unless_ci

PG_PORTS = range(55432, 55500)
WEB_PORTS = range(8700, 8800)
TEMPLATE_DB = "bikesite_template"
_database_names = itertools.count(1)


def pytest_collection_modifyitems(config, items):
    # CI has PostgreSQL's server binaries and a postgres user; a newcomer's laptop may not.
    missing = [what for what, ok in [(str(PG_BIN / "initdb"), (PG_BIN / "initdb").exists()),
                                     ("runuser", shutil.which("runuser")), ("a postgres user", _has_postgres_user())]
               if not ok]
    skip_folder_unless_ci(items, "tests/harness/", missing, "the load and fault harness tests (see PG_BIN)")


def _has_postgres_user() -> bool:
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return False
    return True


@pytest.fixture(scope="session")
def static_files():
    """The manifest of hashed static files every page links through: Heroku's build makes it."""
    web.collectstatic()


@pytest.fixture(scope="session")
def cluster(static_files):
    pg = ThrowawayPostgres(web.free_port(PG_PORTS)).init()
    pg.start()
    try:
        pg.execute(f"CREATE DATABASE {TEMPLATE_DB}")
        web.run_release(pg.url(TEMPLATE_DB))  # migrate + ensure_model (trains one), as Heroku's release
        # A second, inactive version for the tests that switch models.
        web.manage(pg.url(TEMPLATE_DB), "train", "--no-activate", "--notes", "second version", "--verbosity", "0")
        yield pg
    finally:
        pg.destroy()


@pytest.fixture
def database(cluster):
    """A database of its own for each test: migrated, one active model, no predictions."""
    name = f"bikesite_{next(_database_names)}"
    cluster.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE_DB}")
    yield name
    cluster.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def versions(cluster, database) -> tuple[int, int]:
    """(the active version, an inactive one) of the test's database."""
    rows = cluster.execute("SELECT id, is_active FROM predictor_modelversion ORDER BY id", database=database)
    active = [pk for pk, is_active in rows if is_active]
    inactive = [pk for pk, is_active in rows if not is_active]
    return active[0], inactive[0]


@pytest.fixture
def start_web(cluster, database, tmp_path):
    """start_web(**env) starts one more gunicorn (a dyno) on the test's database."""
    started = []

    def start(**env):
        port = web.free_port(WEB_PORTS)
        process = web.WebProcess(port=port, database_url=cluster.url(database),
                                 log_path=tmp_path / f"gunicorn-{port}.log", **{"RATELIMIT_ENABLED": "0", **env})
        started.append(process)
        return process.start()

    yield start
    for process in started:
        process.stop()

