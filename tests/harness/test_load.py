"""Load: 16 concurrent clients for 30 s against gunicorn as the Procfile runs it."""

import pytest

from tests.harness.load import KINDS, lost_rows, run_load, stored_rows

pytestmark = pytest.mark.slow


def test_16_clients_for_30_seconds_get_no_errors_and_every_answer_has_its_row(start_web, cluster, database, figures):
    server = start_web()
    run = run_load(ports=[server.port], clients=16, seconds=30, kinds=KINDS)
    rows = stored_rows(cluster, database)
    figures(requests=len(run.outcomes), successes=len(run.successes), statuses=dict(run.statuses()),
            server_errors=len(run.server_errors()), rows=len(rows), lost=len(lost_rows(run, rows)),
            per_second=round(len(run.outcomes) / 30, 1))

    assert len(run.outcomes) > 16
    assert [o for o in run.outcomes if not o.ok] == []
    assert lost_rows(run, rows) == []
    assert len(rows) == len(run.successes)
