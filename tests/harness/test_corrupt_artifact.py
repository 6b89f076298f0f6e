"""A corrupted artifact (sha256 mismatch) or an unloadable model becomes active: every worker
refuses it, /readyz answers 503 (the reason goes to the log), and the model already loaded keeps serving."""
import http.client
import json

import pytest

from tests.harness import web
from tests.harness.load import LoadClient, stored_rows
from tests.waiting import wait_until

pytestmark = pytest.mark.slow

REFRESH_SECONDS = 1
COPY_AS_BROKEN = """
from predictor.models import ModelVersion
v = ModelVersion.objects.get(pk={pk}); v.pk = None; v.is_active = False; v.activated_at = None
v.notes = "broken copy"; v.save()
ModelVersion.objects.filter(pk=v.pk).update({change})
print(v.pk)
"""


def readyz(port: int) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/readyz")
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def broken_copy(cluster, database, of: int, change: str) -> int:
    out = web.manage(cluster.url(database), "shell", "-c", COPY_AS_BROKEN.format(pk=of, change=change)).stdout
    return int(out.split()[-1])


def make_active_behind_the_commands_back(cluster, database, pk: int) -> None:
    # What tampering or a bad restore looks like: the database itself names the broken version.
    cluster.execute("UPDATE predictor_modelversion SET is_active = (id = %s)", (pk,), database=database)


def wait_for_readyz(port: int, status: int, seconds: float = 10) -> dict:
    """/readyz's answer once three in a row have `status`."""
    answers = []

    def settled() -> dict | None:
        answers[:] = [readyz(port) for _ in range(3)]
        return answers[-1][1] if all(code == status for code, _ in answers) else None

    return wait_until(settled, seconds, lambda: f"/readyz did not settle on {status}: {answers}",
                      interval=0.3)


@pytest.mark.parametrize("change, reason", [
    ("sha256='0' * 64", "sha256 does not match"),
    ("artifact=b'not an xgboost model', sha256=__import__('hashlib').sha256(b'not an xgboost model').hexdigest()",
     "not a loadable XGBoost model"),
])
def test_a_broken_active_version_is_refused_and_the_loaded_one_keeps_serving(
        start_web, cluster, database, versions, change, reason):
    good, _ = versions
    # One worker, so the process that loaded the good version is the one asked afterwards (a
    # worker that never loaded a model has nothing to fall back on, and says so).
    server = start_web(MODEL_REFRESH_SECONDS=str(REFRESH_SECONDS), WEB_CONCURRENCY="1")
    client = LoadClient(index=1, port=server.port, kind="form")
    client.prepare()
    assert client.send(1).ok

    broken = broken_copy(cluster, database, good, change)
    make_active_behind_the_commands_back(cluster, database, broken)
    answer = wait_for_readyz(server.port, 503)
    # The public answer says only that, and which version serves; why is in the log.
    assert answer == {"status": "unavailable", "model_version": good}
    logged = [line for line in server.log().splitlines() if "event=not_ready reason=model" in line]
    assert logged and all(reason in line and f"model version {broken} refused" in line for line in logged)

    served = [client.send(seq) for seq in range(2, 12)]
    rows = stored_rows(cluster, database)
    assert all(o.ok for o in served)
    assert {rows[o.prediction_id][2] for o in served} == {good}

    web.manage(cluster.url(database), "models", "activate", str(good))
    assert wait_for_readyz(server.port, 200)["model_version"] == good
