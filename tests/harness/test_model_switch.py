"""Two web processes on one database, as two Heroku dynos: a version activated with
`manage.py models activate` is used by both within seconds, with no failed request."""
import time

import pytest

from tests.harness import web
from tests.harness.load import BackgroundLoad, stored_rows

pytestmark = pytest.mark.slow

REFRESH_SECONDS = 2  # MODEL_REFRESH_SECONDS, the production default
SWITCH_LIMIT_SECONDS = REFRESH_SECONDS + 3


def test_two_dynos_switch_to_a_newly_activated_version_within_seconds(start_web, cluster, database, versions, figures):
    old, new = versions
    dynos = [start_web(MODEL_REFRESH_SECONDS=str(REFRESH_SECONDS)) for _ in range(2)]
    load = BackgroundLoad(ports=[d.port for d in dynos]).start()
    load.wait_until_running()  # every client, on both dynos, answered by the old version
    web.manage(cluster.url(database), "models", "activate", str(new))
    activated_at = time.monotonic()  # the command has committed
    # Requests each dyno received once the switch limit had passed: each must use the new version.
    for dyno in dynos:
        load.wait_for(20, lambda o: o.port == dyno.port and o.started > activated_at + SWITCH_LIMIT_SECONDS,
                      what=f"requests to dyno {dyno.port} after the switch limit")
    run = load.finish()
    rows = stored_rows(cluster, database)

    switched_after = {}
    for dyno in dynos:
        answered = sorted((o for o in run.successes if o.port == dyno.port), key=lambda o: o.started)
        last_old = max((o.finished for o in answered if rows[o.prediction_id][2] == old), default=activated_at)
        switched_after[dyno.port] = round(max(0.0, last_old - activated_at), 2)  # after the command returned
        assert any(rows[o.prediction_id][2] == new for o in answered), f"dyno {dyno.port} used the new version"
        assert [o for o in answered if o.started > activated_at + SWITCH_LIMIT_SECONDS
                and rows[o.prediction_id][2] != new] == []
    figures(requests=len(run.outcomes), failed=len(run.outcomes) - len(run.successes),
            seconds_until_each_dyno_switched=list(switched_after.values()))

    assert [o for o in run.outcomes if not o.ok] == []
    assert len(rows) == len(run.successes)
