"""SIGTERM to gunicorn under load, as Heroku sends it: requests already being handled finish
with their answer; gunicorn exits within its graceful timeout, well inside Heroku's 30 s."""
import importlib.util
import threading
import time

import pytest

from tests.harness.load import lost_rows, run_load, stored_rows

pytestmark = pytest.mark.slow

KINDS = ("form", "api") if importlib.util.find_spec("predictor.api") else ("form",)
HEROKU_KILLS_AFTER = 30
# After the master closes its socket, a connection can still be refused or, if it was only in
# the kernel's accept queue and never reached a worker, reset without an answer.
NOT_ACCEPTED = ("ConnectionRefusedError", "ConnectionResetError", "RemoteDisconnected", "BrokenPipeError")


def test_sigterm_under_load_lets_in_flight_requests_finish(start_web, cluster, database, figures):
    server = start_web()
    result = {}
    load = threading.Thread(target=lambda: result.setdefault(
        "run", run_load(ports=[server.port], clients=8, seconds=30, kinds=KINDS, stop_on_refused=True)))
    load.start()
    time.sleep(3)
    term_at = time.monotonic()
    server.terminate()
    exit_code = server.wait(timeout=HEROKU_KILLS_AFTER)
    exited_after = time.monotonic() - term_at
    load.join(timeout=120)
    run = result["run"]
    rows = stored_rows(cluster, database)
    by_inputs = {(humidity, windspeed) for humidity, windspeed, _ in rows.values()}

    in_flight = [o for o in run.outcomes if o.started < term_at < o.finished]
    unanswered = [o for o in run.outcomes if o.status is None]
    figures(requests=len(run.outcomes), successes=len(run.successes), statuses=dict(run.statuses()),
            in_flight_at_sigterm=len(in_flight), in_flight_answered=len([o for o in in_flight if o.ok]),
            rows=len(rows), lost=len(lost_rows(run, rows)), exited_after_seconds=round(exited_after, 2))

    assert exit_code == 0, server.log()[-3000:]
    assert exited_after < HEROKU_KILLS_AFTER
    assert [o for o in run.outcomes if o.status is not None and not o.ok] == [], "every answer was a success"
    assert any(o.ok for o in in_flight), "requests were in flight when SIGTERM came, and were answered"
    assert [o.error for o in unanswered if not o.error.startswith(NOT_ACCEPTED)] == []
    # A request without an answer was never handled: it stored nothing.
    assert [o for o in unanswered if (o.humidity, o.windspeed) in by_inputs] == []
    assert lost_rows(run, rows) == []
    assert len(rows) == len(run.successes)
