"""The plan's connection limit reached (PostgreSQL's max_connections, as Heroku Postgres plans cap
it): requests that cannot get a connection are answered at once with the outage's clear 503
(Retry-After), never a hang or a 500, and nothing is lost; once connections free up, all is well.

The app connects as an ordinary role, as on Heroku: the superuser's reserved slots stay free for
the test's own look at the database.
"""
import psycopg2
import pytest

from tests.harness import web
from tests.harness.conftest import PG_PORTS, WEB_PORTS
from tests.harness.load import lost_rows, run_load, stored_rows
from tests.harness.postgres import ThrowawayPostgres
from tests.harness.test_database_outage import assert_clear_503, get

pytestmark = pytest.mark.slow

MAX_CONNECTIONS = 10  # 3 of them reserved for superusers: 7 for the app
# Within the budget once the test lets go: 2 workers x 3 threads = 6 connections (of 7).
WORKERS, THREADS = 2, 3
NO_HANG_SECONDS = 10


@pytest.fixture
def small_plan(static_files):
    pg = ThrowawayPostgres(web.free_port(PG_PORTS), max_connections=MAX_CONNECTIONS).init()
    pg.start()
    try:
        pg.execute("CREATE ROLE app LOGIN")
        pg.execute("CREATE DATABASE app OWNER app")
        web.run_release(pg.url("app", user="app"))
        yield pg
    finally:
        pg.destroy()


def take_every_free_connection(pg: ThrowawayPostgres) -> list:
    """Connections as the app's role until PostgreSQL refuses one: the plan's limit is reached."""
    held = []
    with pytest.raises(psycopg2.OperationalError, match="connection slots|too many clients"):
        for _ in range(MAX_CONNECTIONS + 1):
            held.append(pg.connect("app", user="app"))
    return held


def test_connection_limit_reached_answers_clear_503s_without_hanging(small_plan, tmp_path, figures):
    server = web.WebProcess(port=web.free_port(WEB_PORTS), database_url=small_plan.url("app", user="app"),
                            log_path=tmp_path / "gunicorn.log", WEB_CONCURRENCY=str(WORKERS), WEB_THREADS=str(THREADS),
                            RATELIMIT_REQUESTS="1000000").start()
    try:
        held = take_every_free_connection(small_plan)
        try:
            exhausted = run_load(ports=[server.port], clients=8, seconds=6, kinds=("api",))
            page = get(server.port, "/")
        finally:
            for conn in held:
                conn.close()
        recovered = run_load(ports=[server.port], clients=8, seconds=3, kinds=("api",))
    finally:
        server.stop()
    rows = stored_rows(small_plan, "app")
    slowest = max(o.finished - o.started for o in exhausted.outcomes)
    figures(held=len(held), requests=len(exhausted.outcomes), statuses=dict(exhausted.statuses()),
            slowest_seconds=round(slowest, 2), recovered_statuses=dict(recovered.statuses()), rows=len(rows))

    assert set(exhausted.statuses()) <= {201, 503}, exhausted.statuses()
    assert exhausted.statuses()[503] > 0, "some threads had no connection of their own"
    for outcome in exhausted.outcomes:
        if not outcome.ok:
            assert_clear_503(outcome)
    assert slowest < NO_HANG_SECONDS
    assert page[0] in (200, 503) and "Traceback" not in page[2]
    assert set(recovered.statuses()) == {201}, recovered.statuses()
    assert "Traceback" not in server.log()
    both = exhausted.outcomes + recovered.outcomes
    assert lost_rows(type(exhausted)(outcomes=both), rows) == []
    assert len(rows) == len(exhausted.successes) + len(recovered.successes)
