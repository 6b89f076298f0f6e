"""The rate limit is one count per client across every worker of every dyno, keyed by the address
Heroku's router appends to X-Forwarded-For: counted in each process, shared through PostgreSQL
off the request path, exact near the limit within the slack predictor.ratelimit states."""
import http.client
import json
import threading
import time

import pytest

from tests.waiting import wait_until

pytestmark = pytest.mark.slow

LIMIT = 40
SLACK = max(5, LIMIT // 10)
HAMMERING, POLITE = "203.0.113.5", "198.51.100.20"


def post(port: int, client: str, seq: int) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        body = json.dumps({"temperature": 20, "humidity": 50, "windspeed": seq % 40})
        # What a client claims comes first; the router appends the address it saw.
        conn.request("POST", "/api/v1/predictions", body=body, headers={
            "Content-Type": "application/json", "X-Forwarded-Proto": "https",
            "X-Forwarded-For": f"10.0.{seq % 250}.1, {client}"})
        response = conn.getresponse()
        response.read()
        return response
    finally:
        conn.close()


def test_two_dynos_of_two_workers_share_one_count_per_client(start_web, cluster, database, figures):
    env = {"RATELIMIT_ENABLED": "1", "RATELIMIT_REQUESTS": str(LIMIT), "RATELIMIT_WINDOW_SECONDS": "300",
           "RATELIMIT_TRUST_X_FORWARDED_FOR": "1", "WEB_CONCURRENCY": "2"}
    ports = [start_web(**env).port for _ in range(2)]
    hammered, polite, retry_after = [], [], []

    def hammer(thread: int):
        for seq in range(thread, 10 * LIMIT, 8):  # 8 threads, both dynos, as fast as answered
            response = post(ports[seq % 2], HAMMERING, seq)
            hammered.append(response.status)
            if response.status == 429:
                retry_after.append(int(response.getheader("Retry-After")))

    def ask_politely():
        for seq in range(8):
            polite.append(post(ports[seq % 2], POLITE, seq).status)
            time.sleep(0.2)

    threads = [threading.Thread(target=hammer, args=(n,)) for n in range(8)] + [threading.Thread(target=ask_politely)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    allowed = hammered.count(201)
    figures(limit=LIMIT, allowed=allowed, bound=LIMIT + SLACK, refused=hammered.count(429), polite_allowed=polite.count(201))
    assert LIMIT <= allowed <= LIMIT + SLACK, allowed
    assert hammered.count(429) == 10 * LIMIT - allowed  # nothing else: no 5xx
    assert retry_after and all(1 <= seconds <= 300 for seconds in retry_after)
    assert polite == [201] * 8  # another address is never refused because of it
    assert cluster.execute("SELECT count(*) FROM predictor_prediction", database=database)[0][0] == allowed + 8

    # Every count reaches the shared table within a sync or two: the polite client's included.
    def shared(key):
        rows = cluster.execute("SELECT hits FROM predictor_ratelimitcounter WHERE key = %s", [key], database=database)
        return rows[0][0] if rows else 0

    wait_until(lambda: shared(f"post:{POLITE}") == 8, 10, "the polite client's counts were not shared")
    assert shared(f"post:{HAMMERING}") >= allowed
