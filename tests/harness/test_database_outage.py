"""PostgreSQL stopped for 5 s under load, then started again: clear 503s while it is down,
2xx again within 5 s of its return without restarting gunicorn, and no answered row lost."""
import http.client
import json
import time

import pytest

from tests.harness.load import BackgroundLoad, lost_rows, stored_rows
from tests.waiting import hold, wait_until

pytestmark = pytest.mark.slow

OUTAGE_SECONDS = 5
RECOVERY_LIMIT_SECONDS = 5


def assert_clear_503(outcome):
    assert outcome.status == 503, (outcome.status, outcome.error, outcome.body[:300])
    assert "Traceback" not in outcome.body and "psycopg" not in outcome.body and "File \"" not in outcome.body
    if outcome.kind == "api":
        assert outcome.content_type == "application/json"
        assert json.loads(outcome.body)["errors"]["service"][0].startswith("The database is unavailable")
    else:
        assert outcome.content_type.startswith("text/html")
        assert "<h1>Forecasts are temporarily unavailable</h1>" in outcome.body


def get(port: int, path: str) -> tuple[int, str, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.getheader("Content-Type"), response.read().decode()
    finally:
        conn.close()


def test_database_outage_under_load(start_web, cluster, database, figures):
    # Production settings, rate limiting included: its counter lives in the database too.
    server = start_web(RATELIMIT_ENABLED="1", RATELIMIT_REQUESTS="1000000")
    load = BackgroundLoad(ports=[server.port]).start()
    load.wait_until_running()
    down_at = time.monotonic()
    cluster.stop("fast")
    stopped_at = time.monotonic()
    readiness = get(server.port, "/readyz")
    result_page = get(server.port, "/predictions/00000000-0000-4000-8000-000000000000/")
    hold(OUTAGE_SECONDS - (time.monotonic() - stopped_at), "the outage, under load")
    restart_at = time.monotonic()
    cluster.start()
    back_at = time.monotonic()
    # Requests sent once the recovery limit has passed: each must succeed (asserted below).
    load.wait_for(3 * load.clients, lambda o: o.started > back_at + RECOVERY_LIMIT_SECONDS, timeout=60,
                  what="requests sent after the recovery limit")
    run = load.finish()
    rows = stored_rows(cluster, database)

    failures = [o for o in run.outcomes if not o.ok]
    during = [o for o in run.outcomes if o.started >= stopped_at and o.finished <= restart_at]
    recovered_after = max([o.finished - back_at for o in failures] + [0.0])
    first_success_after = min(o.finished - back_at for o in run.successes if o.started >= back_at)
    figures(requests=len(run.outcomes), successes=len(run.successes), statuses=dict(run.statuses()),
            server_errors_other_than_503=len([o for o in run.server_errors() if o.status != 503]),
            answered_503=len([o for o in run.outcomes if o.status == 503]), rows=len(rows),
            lost=len(lost_rows(run, rows)), outage_seconds=round(back_at - down_at, 1),
            seconds_to_recover_after_db_returned=round(recovered_after, 2),
            first_success_after_db_returned=round(first_success_after, 3))

    assert server.process.poll() is None, "gunicorn kept running"
    assert readiness[0] == 503 and json.loads(readiness[2]) == {"status": "unavailable", "model_version": None}
    assert "event=not_ready reason=database" in server.log()
    assert result_page[0] == 503 and "temporarily unavailable" in result_page[2] and "Traceback" not in result_page[2]
    assert "Traceback" not in server.log(), "an outage is logged in one line per request, not as a crash"
    assert len(during) > 10, "the outage was under load"
    for outcome in failures:
        assert_clear_503(outcome)
    assert [o for o in failures if o.finished < down_at] == [], "all well before the outage"
    assert recovered_after <= RECOVERY_LIMIT_SECONDS
    assert [o for o in run.outcomes if o.started > back_at + RECOVERY_LIMIT_SECONDS and not o.ok] == []
    assert lost_rows(run, rows) == []
    # The rate limit's counts waited in memory (no request failed for them) and were shared once
    # the database was back: every answered request is counted.
    assert "event=ratelimit_sync_failed" in server.log() and "event=ratelimit_sync_resumed" in server.log()

    def counted():
        return cluster.execute("SELECT coalesce(sum(hits), 0) FROM predictor_ratelimitcounter", database=database)[0][0]

    wait_until(lambda: counted() >= len(run.successes), 10,
               lambda: f"{counted()} counted, {len(run.successes)} answered")
    assert len(rows) == len(run.successes), "a refused request stored nothing"
