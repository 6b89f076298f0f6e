"""The rate limit is one count per client across every worker of every dyno (it lives in
PostgreSQL), keyed by the address Heroku's router appends to X-Forwarded-For."""
import http.client
from urllib.parse import urlencode

import pytest

from tests.harness.load import LoadClient

pytestmark = pytest.mark.slow

LIMIT = 10


def post_form(client: LoadClient, forwarded_for: str) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", client.port, timeout=30)
    try:
        body = urlencode({"temperature": 20, "humidity": 50, "windspeed": 10, "csrfmiddlewaretoken": client.token})
        conn.request("POST", "/", body=body, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": client.cookie,
            "X-Forwarded-For": forwarded_for})
        response = conn.getresponse()
        response.read()
        return response
    finally:
        conn.close()


def test_two_dynos_share_one_count_per_client(start_web):
    env = {"RATELIMIT_ENABLED": "1", "RATELIMIT_REQUESTS": str(LIMIT), "RATELIMIT_WINDOW_SECONDS": "60",
           "RATELIMIT_TRUST_X_FORWARDED_FOR": "1"}
    dynos = [start_web(**env) for _ in range(2)]
    clients = [LoadClient(index=0, port=dyno.port, kind="form") for dyno in dynos]
    for client in clients:
        client.prepare()

    # Alternate between the dynos (and so between their workers); each claims a new address first.
    statuses = [post_form(clients[n % 2], f"10.0.0.{n}, 203.0.113.5").status for n in range(LIMIT + 2)]
    assert statuses == [303] * LIMIT + [429, 429]
    refused = post_form(clients[0], "203.0.113.5")
    assert refused.status == 429 and 1 <= int(refused.getheader("Retry-After")) <= 60
    assert post_form(clients[1], "203.0.113.5, 198.51.100.20").status == 303  # another client
