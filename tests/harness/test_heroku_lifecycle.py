"""The Heroku lifecycle as the platform runs it (heroku/heroku-buildpack-python and Heroku's docs):

- the build: the buildpack runs `manage.py collectstatic --noinput` (bin/steps/collectstatic),
  here with no DATABASE_URL, SECRET_KEY or DYNO at all;
- the release phase (the Procfile's release line) on a fresh database, twice at once and twice
  apart (the second once the first holds the release lock), as overlapping deploys and config
  changes run it: both succeed, one model version, active;
- the web dyno with the buildpack's dyno environment (vendor/python.gunicorn.sh exports
  GUNICORN_CMD_ARGS="--access-logfile -" and FORWARDED_ALLOW_IPS; vendor/WEB_CONCURRENCY.sh
  WEB_CONCURRENCY), DYNO and PORT set, SSL required to a database that offers it, requests as
  the router forwards them;
- a dyno restart under load (SIGTERM, then a new process on the same port): every 2xx answer has
  its row and every row its 2xx answer.
"""
import os
import re
import subprocess
import time

import pytest

from tests.harness import web
from tests.harness.conftest import PG_PORTS, WEB_PORTS
from tests.harness.load import ROUTER_HEADERS, BackgroundLoad, lost_rows, stored_rows
from tests.harness.postgres import ThrowawayPostgres
from tests.procfile import BUILDPACK_ENV, procfile_command
from tests.waiting import wait_until

pytestmark = pytest.mark.slow

SECRET_KEY = "lifecycle-" + "kQ#x9" * 12
RELEASE_TIMEOUT = 600


def build_env() -> dict[str, str]:
    """The build: the app's code and the buildpack's Python; no database, no secret, no dyno."""
    drop = {"DJANGO_SETTINGS_MODULE", "DYNO", "DEBUG", "ADMIN_URL", "DATABASE_URL", "SECRET_KEY", "CI", "PORT"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["PATH"] = f"{web.VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def dyno_config(dyno: str) -> dict[str, str]:
    """A dyno's config vars besides DATABASE_URL (SECRET_KEY), and DYNO. They go into
    web.production_env, which drops CI: a dyno is not Heroku CI."""
    return {"DYNO": dyno, "SECRET_KEY": SECRET_KEY}


@pytest.fixture(scope="module")
def heroku_postgres():
    """A cluster that offers SSL, as Heroku Postgres does (the settings require it on a dyno)."""
    pg = ThrowawayPostgres(web.free_port(PG_PORTS), ssl=True).init()
    pg.start()
    try:
        yield pg
    finally:
        pg.destroy()


def start_release(pg: ThrowawayPostgres, database: str, number: int) -> subprocess.Popen:
    return subprocess.Popen(["bash", "-c", procfile_command("release")], cwd=web.REPO,
                            env=web.production_env(pg.url(database), **dyno_config(f"release.{number}")),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def finish(release: subprocess.Popen) -> str:
    output, _ = release.communicate(timeout=RELEASE_TIMEOUT)
    assert release.returncode == 0, output[-3000:]
    return output


def assert_one_active_version(pg: ThrowawayPostgres, database: str, outputs: list[str]) -> None:
    rows = pg.execute("SELECT id, is_active FROM predictor_modelversion", database=database)
    assert len(rows) == 1 and rows[0][1], rows
    version = rows[0][0]
    said = sorted(re.search(r"Model: (.*?) \(", output).group(1) for output in outputs)
    assert said == [f"found active version {version}", f"trained and activated version {version}"], outputs
    migrations = pg.execute("SELECT count(*), count(DISTINCT (app, name)) FROM django_migrations", database=database)
    assert migrations[0][0] == migrations[0][1], "each migration applied once"


def test_the_build_step_needs_no_database_secret_or_dyno():
    result = subprocess.run(["python", "manage.py", "collectstatic", "--noinput"], cwd=web.REPO, env=build_env(),
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert (web.REPO / "staticfiles" / "staticfiles.json").exists()


def release_lock_held(pg: ThrowawayPostgres, database: str) -> bool:
    """Whether a session holds an advisory lock in database: on a fresh one, only a release does."""
    return bool(pg.execute("SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = "
                           "(SELECT oid FROM pg_database WHERE datname = %s)", (database,)))


@pytest.mark.parametrize("second_starts", ["together", "mid-release"])
def test_overlapping_release_phases_on_a_fresh_database(heroku_postgres, second_starts, figures):
    database = f"fresh_{second_starts.replace('-', '_')}"
    heroku_postgres.execute(f"CREATE DATABASE {database}")
    started = time.monotonic()
    first = start_release(heroku_postgres, database, 1)
    if second_starts == "mid-release":  # as a config change during a deploy's release: the first is at work
        wait_until(lambda: release_lock_held(heroku_postgres, database) or first.poll() is not None, 120,
                   "the first release did not take the release lock")
        assert first.poll() is None, "the first release was still running when the second started"
    apart = time.monotonic() - started
    second = start_release(heroku_postgres, database, 2)
    outputs = [finish(first), finish(second)]
    waited = [output for output in outputs if "Another release is running: waiting for it to finish." in output]
    figures(second_started_after_seconds=round(apart, 2),
            both_done_after_seconds=round(time.monotonic() - started, 1), waited=len(waited))
    assert_one_active_version(heroku_postgres, database, outputs)
    assert len(waited) == 1 and "found active version" in waited[0], "one waited, then found the work done"


def test_web_dyno_restart_under_load_loses_nothing(heroku_postgres, static_files, tmp_path, figures):
    database = "web_dyno"
    heroku_postgres.execute(f"CREATE DATABASE {database}")
    finish(start_release(heroku_postgres, database, 1))
    port = web.free_port(WEB_PORTS)

    def dyno(number: int) -> web.WebProcess:
        # Config vars, DYNO, and what the buildpack's .profile.d scripts export at dyno boot.
        return web.WebProcess(port=port, database_url=heroku_postgres.url(database),
                              log_path=tmp_path / f"web.{number}.log", **dyno_config(f"web.{number}"),
                              **BUILDPACK_ENV, RATELIMIT_REQUESTS="1000000").start()

    old = dyno(1)
    load = BackgroundLoad(ports=[port], clients=6, kinds=("api",), headers=ROUTER_HEADERS).start()
    try:
        load.wait_until_running()
        term_at = time.monotonic()
        old.terminate()
        exit_code = old.wait(timeout=30)
        new = dyno(2)
        back_at = time.monotonic()
        load.wait_for(20, lambda o: o.ok and o.started > back_at, what="answers of the new dyno")
    finally:
        run = load.finish(timeout=180)
    new.stop()
    old.stop()
    rows = stored_rows(heroku_postgres, database)
    failures = [o for o in run.outcomes if not o.ok]
    figures(requests=len(run.outcomes), successes=len(run.successes), statuses=dict(run.statuses()),
            rows=len(rows), lost=len(lost_rows(run, rows)), restart_gap_seconds=round(back_at - term_at, 2))

    assert exit_code == 0, old.log()[-3000:]
    assert len([o for o in run.successes if o.finished < term_at]) > 10
    assert len([o for o in run.successes if o.started > back_at]) > 10, "the new dyno serves"
    assert run.server_errors() == [], [(o.status, o.body[:200]) for o in run.server_errors()]
    # While no process listens (between the old one's exit and the new one's bind) connections
    # are refused; the router would retry another dyno or answer H-errors. Nothing else fails.
    # (Heroku's router sends a dyno no new request after SIGTERM; this one port still gets them.)
    assert all(o.status is None and "Connection" in (o.error or "") for o in failures), failures[:3]
    assert all(o.started >= term_at for o in failures), "nothing sent before SIGTERM failed"
    assert lost_rows(run, rows) == []
    assert len(rows) == len(run.successes), "every stored row was answered 2xx"
