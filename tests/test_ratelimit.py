"""Rate limiting of public POSTs per client IP: counted in process, shared through the database."""
import os
import random
import subprocess
import sys
import threading

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from predictor import ratelimit
from predictor.models import Prediction, RateLimitCounter
from tests.test_error_classification import column_renamed

VALID = {"temperature": "20", "humidity": "60", "windspeed": "12"}


@pytest.fixture
def limited(settings):
    settings.RATELIMIT_ENABLED = True
    settings.RATELIMIT_REQUESTS = 3
    settings.RATELIMIT_WINDOW_SECONDS = 60
    settings.RATELIMIT_TRUST_X_FORWARDED_FOR = True
    return settings


def post_form(client, forwarded_for="203.0.113.7"):
    return client.post("/", VALID, HTTP_X_FORWARDED_FOR=forwarded_for)


def test_posts_over_the_limit_get_429_with_retry_after_and_store_nothing(client, active_version, limited):
    assert [post_form(client).status_code for _ in range(3)] == [303, 303, 303]
    response = post_form(client)
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert "Too many requests" in response.content.decode()
    assert Prediction.objects.count() == 3


def test_the_api_gets_a_json_429(client, active_version, limited):
    for _ in range(3):
        post_form(client)
    response = client.post("/api/v1/predictions", {"temperature": 20, "humidity": 60, "windspeed": 12},
                           content_type="application/json", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert response.status_code == 429
    assert "Too many requests" in response.json()["errors"]["rate_limit"][0]
    assert response["Retry-After"]


def test_the_client_is_the_address_the_router_appended_not_what_the_client_claims(client, active_version, limited):
    # Heroku's router appends the address it saw; earlier entries are the client's own words.
    for spoofed in ["1.1.1.1", "2.2.2.2, 3.3.3.3", "4.4.4.4"]:
        post_form(client, forwarded_for=f"{spoofed}, 198.51.100.9")
    assert post_form(client, forwarded_for="5.5.5.5, 198.51.100.9").status_code == 429
    assert post_form(client, forwarded_for="198.51.100.10").status_code == 303


def test_without_the_router_the_socket_address_counts(client, active_version, limited):
    limited.RATELIMIT_TRUST_X_FORWARDED_FOR = False
    for index in range(3):
        post_form(client, forwarded_for=f"192.0.2.{index}")
    assert post_form(client, forwarded_for="192.0.2.99").status_code == 429


def test_gets_and_admin_posts_are_not_limited(admin_client, active_version, limited):
    for _ in range(5):
        assert admin_client.get("/", HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 200
        assert admin_client.post("/admin/predictor/modelversion/", {}, HTTP_X_FORWARDED_FOR="203.0.113.7").status_code != 429


def test_switched_off_nothing_is_limited_or_counted(client, active_version, limited):
    limited.RATELIMIT_ENABLED = False
    assert {post_form(client).status_code for _ in range(6)} == {303}
    assert RateLimitCounter.objects.count() == 0


@pytest.mark.parametrize("forwarded_for, remote, expected", [
    ("203.0.113.5", "10.1.1.1", "203.0.113.5"),
    ("1.2.3.4, 203.0.113.5", "10.1.1.1", "203.0.113.5"),
    ("1.2.3.4,203.0.113.5 ", "10.1.1.1", "203.0.113.5"),
    ("2001:DB8::0:1", "10.1.1.1", "2001:db8::1"),  # one spelling per address
    ("1.2.3.4, not-an-address", "10.1.1.1", "10.1.1.1"),
    ("", "10.1.1.1", "10.1.1.1"),
])
def test_client_ip_is_the_last_forwarded_address(rf, settings, forwarded_for, remote, expected):
    settings.RATELIMIT_TRUST_X_FORWARDED_FOR = True
    request = rf.post("/", HTTP_X_FORWARDED_FOR=forwarded_for, REMOTE_ADDR=remote)
    assert ratelimit.client_ip(request) == expected


def test_ended_windows_are_deleted(db):
    ratelimit.add_counts({"old": 1}, window=60, now=1000.0)
    ratelimit.add_counts({"recent": 1}, window=60, now=1990.0)
    assert ratelimit.delete_ended_windows(window=60, now=2000.0) == 1
    assert sorted(RateLimitCounter.objects.values_list("key", flat=True)) == ["recent"]


def test_a_window_starts_over_when_it_has_passed(db):
    limiter = ratelimit.SharedLimiter()  # limit 2: every request counted in the database
    verdicts = [limiter.check("k", limit=2, window=60, now=1000.0 + t) for t in (0, 1, 2, 59)]
    assert [v.allowed for v in verdicts] == [True, True, False, False]
    assert verdicts[2].retry_after == 58
    fresh = limiter.check("k", limit=2, window=60, now=1061.0)
    assert fresh.allowed and fresh.hits == 1 and fresh.retry_after == 60


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers: PostgreSQL, as in production")
def test_concurrent_hits_from_many_connections_are_all_counted(transactional_db):
    errors = []

    def hammer():
        try:
            for _ in range(25):
                ratelimit.add_counts({"shared": 1}, window=60, now=1000.0)
        except Exception as exc:  # reported below: a thread's exception would otherwise vanish
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert RateLimitCounter.objects.get(key="shared").hits == 200


@pytest.mark.parametrize("value, expected", [("0", "False"), ("1", "True"), (None, "True")])
def test_the_environment_switches_it(value, expected):
    env = {k: v for k, v in os.environ.items() if k not in {"RATELIMIT_ENABLED", "DJANGO_SETTINGS_MODULE"}}
    if value is not None:
        env["RATELIMIT_ENABLED"] = value
    code = "from bikesite import settings; print(settings.RATELIMIT_ENABLED, settings.RATELIMIT_REQUESTS)"
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert result.stdout.split()[0] == expected, result.stderr


@pytest.mark.skipif(connection.vendor != "postgresql", reason="UNLOGGED tables are PostgreSQL's")
def test_counting_writes_no_wal_so_its_commit_waits_for_no_disk_flush(db):
    # What the cheap count relies on: PostgreSQL commits a transaction that wrote no WAL without
    # flushing (RecordTransactionCommit). The table and its index are unlogged, and the very
    # upsert that the sync and the exact count send writes no WAL record; a logged table would show "WAL: records=".
    table = RateLimitCounter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname, relpersistence FROM pg_class WHERE oid IN "
                       "(SELECT %s::regclass UNION SELECT indexrelid FROM pg_index WHERE indrelid = %s::regclass)",
                       [table, table])
        assert {persistence for _, persistence in cursor.fetchall()} == {"u"}
    with CaptureQueriesContext(connection) as queries:
        ratelimit.add_counts({"wal": 1}, window=60, now=1000.0)
    (statement,) = queries.captured_queries
    sql, params = statement["sql"], None
    with connection.cursor() as cursor:
        for _ in range(2):  # the first inserts, the second updates: neither writes WAL
            cursor.execute("EXPLAIN (ANALYZE, WAL, FORMAT JSON) " + sql)
            plan = cursor.fetchone()[0][0]["Plan"]
            assert plan.get("WAL Records", 0) == 0, plan
    assert RateLimitCounter.objects.get(key="wal").hits == 3


def test_a_request_far_from_the_limit_sends_only_the_prediction_insert(client, active_version, limited):
    limited.RATELIMIT_REQUESTS = 1000
    body = {"temperature": 20, "humidity": 60, "windspeed": 12}
    client.post("/api/v1/predictions", body, content_type="application/json")  # warm: model loaded
    with CaptureQueriesContext(connections["default"]) as queries:
        response = client.post("/api/v1/predictions", body, content_type="application/json",
                               HTTP_X_FORWARDED_FOR="203.0.113.8")
    assert response.status_code == 201
    sent = [query["sql"].split()[0:3] for query in queries.captured_queries]
    assert sent == [["INSERT", "INTO", f'"{Prediction._meta.db_table}"']], queries.captured_queries
    assert ratelimit.LIMITER.unshared() == 2


def test_near_the_limit_each_request_is_counted_in_the_database_with_the_unshared_ones(db):
    limiter = ratelimit.SharedLimiter()
    limiter.processes = 1  # allowance = slack // 2 = 2 unshared requests a key
    # limit 20, slack 5: decided in process up to a known total of 15.
    verdicts = [limiter.check("k", limit=20, window=60, now=1000.0) for _ in range(3)]
    assert all(v.allowed for v in verdicts)
    # two allowed in process, the third over the allowance: all three counted in one statement
    assert RateLimitCounter.objects.get(key="k").hits == 3 and limiter.unshared() == 0


def test_two_processes_share_their_counts_by_sync(db):
    first, second = ratelimit.SharedLimiter(), ratelimit.SharedLimiter()
    for limiter, requests in ((first, 30), (second, 20)):
        limiter.processes = 1
        for _ in range(requests):
            assert limiter.check("k", limit=10**6, window=60, now=1000.0).allowed
    assert RateLimitCounter.objects.count() == 0  # nothing sent on the request path
    assert first.sync(window=60, now=1000.1) == 1 and second.sync(window=60, now=1000.2) == 1
    assert RateLimitCounter.objects.get(key="k").hits == 50
    assert second.check("k", limit=10**6, window=60, now=1000.3).hits == 51  # knows the other's 30


def test_a_client_hammering_four_processes_gets_the_limit_and_at_most_the_slack_more(db):
    # Four processes that each sync at their own moments; one client, 1,000 requests in a window.
    rng = random.Random(7)
    for limit in (20, 60, 300):
        key = f"hammer-{limit}"
        processes = [ratelimit.SharedLimiter() for _ in range(4)]
        for limiter in processes:
            limiter.processes = 4
        allowed = 0
        for number in range(1000):
            limiter = rng.choice(processes)
            allowed += limiter.check(key, limit=limit, window=60, now=1000.0 + number / 1000).allowed
            if rng.random() < 0.05:
                rng.choice(processes).sync(window=60, now=1000.0 + number / 1000)
        assert limit <= allowed <= limit + max(5, limit // 10), (limit, allowed)


def test_a_polite_client_beside_a_hammering_one_is_never_refused(db):
    limiter = ratelimit.SharedLimiter()
    for number in range(500):
        limiter.check("hammer", limit=60, window=60, now=1000.0 + number / 100)
        if number % 25 == 0:
            assert limiter.check("polite", limit=60, window=60, now=1000.0 + number / 100).allowed
            limiter.sync(window=60, now=1000.0 + number / 100)


def test_over_the_limit_the_process_refuses_without_asking_the_database(db):
    limiter = ratelimit.SharedLimiter()
    verdicts = [limiter.check("k", limit=3, window=60, now=1000.0) for _ in range(4)]
    assert [v.allowed for v in verdicts] == [True, True, True, False] and verdicts[3].crossed
    with CaptureQueriesContext(connection) as queries:
        again = limiter.check("k", limit=3, window=60, now=1030.0)
    assert not again.allowed and not again.crossed and again.retry_after == 30
    assert queries.captured_queries == []
    assert limiter.check("k", limit=3, window=60, now=1061.0).allowed  # the window ended: a new one


def test_a_failed_sync_keeps_the_counts_for_the_next_one(transactional_db):
    limiter = ratelimit.SharedLimiter()
    for _ in range(7):
        limiter.check("k", limit=10**6, window=60, now=1000.0)
    with column_renamed(RateLimitCounter._meta.db_table, "hits"):
        with pytest.raises(Exception):
            limiter.sync(window=60, now=1000.1)
        # requests far from the limit go on, decided in process
        assert limiter.check("k", limit=10**6, window=60, now=1000.2).allowed
    assert limiter.unshared() == 8
    assert limiter.sync(window=60, now=1000.3) == 1
    assert RateLimitCounter.objects.get(key="k").hits == 8


def test_the_counts_are_shared_after_the_response_at_most_every_sync_interval(client, active_version, limited):
    limited.RATELIMIT_REQUESTS, limited.RATELIMIT_SYNC_SECONDS = 1000, 60
    body = {"temperature": 20, "humidity": 60, "windspeed": 12}
    for _ in range(3):
        assert client.post("/api/v1/predictions", body, content_type="application/json",
                           HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 201
    # The first response's end shared its count; the next two wait for the next interval.
    assert RateLimitCounter.objects.get(key="post:203.0.113.9").hits == 1
    assert ratelimit.LIMITER.unshared() == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the live processes are counted in pg_stat_activity")
def test_the_live_processes_are_the_named_web_workers(transactional_db, settings):
    assert ratelimit.count_live_processes() == 1  # none named: at least one, this one
    workers = []
    for pid in (101, 101, 102):  # two connections of one worker, one of another
        worker = connections.create_connection("default")
        worker.settings_dict = {**worker.settings_dict, "OPTIONS": {
            **worker.settings_dict.get("OPTIONS", {}), "application_name": f"{ratelimit.WEB_PROCESS_PREFIX}dyno:{pid}"}}
        worker.ensure_connection()
        workers.append(worker)
    try:
        assert ratelimit.count_live_processes() == 2
    finally:
        for worker in workers:
            worker.close()
