"""SIGTERM to gunicorn under load, as Heroku sends it: every request already sent is answered
(the ones being handled and the ones still queued), and gunicorn exits within its graceful
timeout, well inside Heroku's 30 s. New requests go to other dynos from then on (the router's
job); afterwards this one refuses connections instead of hanging."""
import socket
import time

import pytest

from tests.harness.load import BackgroundLoad, lost_rows, stored_rows

pytestmark = pytest.mark.slow

HEROKU_KILLS_AFTER = 30


def test_sigterm_under_load_lets_in_flight_requests_finish(start_web, cluster, database, figures):
    server = start_web()
    load = BackgroundLoad(ports=[server.port]).start()
    load.wait_until_running()
    term_at = time.monotonic()
    load.stop_sending()  # no new requests from here on, as the router sends them elsewhere
    server.terminate()
    exit_code = server.wait(timeout=HEROKU_KILLS_AFTER)
    exited_after = time.monotonic() - term_at
    run = load.finish()
    rows = stored_rows(cluster, database)
    in_flight = [o for o in run.outcomes if o.started < term_at < o.finished]
    figures(requests=len(run.outcomes), successes=len(run.successes), statuses=dict(run.statuses()),
            in_flight_at_sigterm=len(in_flight), in_flight_answered=len([o for o in in_flight if o.ok]),
            rows=len(rows), lost=len(lost_rows(run, rows)), exited_after_seconds=round(exited_after, 2))

    assert exit_code == 0, server.log()[-3000:]
    assert exited_after < HEROKU_KILLS_AFTER
    assert len(in_flight) >= 2, "requests were in flight when SIGTERM came"
    assert [(o.status, o.error) for o in run.outcomes if not o.ok] == [], "every request sent was answered"
    assert lost_rows(run, rows) == []
    assert len(rows) == len(run.successes)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", server.port), timeout=5)
