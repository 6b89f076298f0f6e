"""Rate limiting of public POSTs per client IP, counted in the shared database."""
import os
import subprocess
import sys
import threading

import pytest
from django.db import connection

from predictor import ratelimit
from predictor.models import Prediction, RateLimitCounter

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


def test_expired_windows_are_cleaned_up(db, monkeypatch):
    ratelimit.hit(key="old", limit=5, window=60, now=1000.0)
    ratelimit.hit(key="recent", limit=5, window=60, now=1990.0)
    monkeypatch.setattr(ratelimit, "CLEANUP_EVERY", 1)  # clean up on this very request
    ratelimit.hit(key="now", limit=5, window=60, now=2000.0)
    assert sorted(RateLimitCounter.objects.values_list("key", flat=True)) == ["now", "recent"]


def test_a_window_starts_over_when_it_has_passed(db):
    verdicts = [ratelimit.hit(key="k", limit=2, window=60, now=1000.0 + t) for t in (0, 1, 2, 59)]
    assert [v.allowed for v in verdicts] == [True, True, False, False]
    assert verdicts[2].retry_after == 58
    fresh = ratelimit.hit(key="k", limit=2, window=60, now=1061.0)
    assert fresh.allowed and fresh.hits == 1 and fresh.retry_after == 60


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers: PostgreSQL, as in production")
def test_concurrent_hits_from_many_connections_are_all_counted(transactional_db):
    errors = []

    def hammer():
        try:
            for _ in range(25):
                ratelimit.hit(key="shared", limit=10**6, window=60)
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
    # upsert that hit() sends writes no WAL record; a logged table would show "WAL: records=".
    table = RateLimitCounter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname, relpersistence FROM pg_class WHERE oid IN "
                       "(SELECT %s::regclass UNION SELECT indexrelid FROM pg_index WHERE indrelid = %s::regclass)",
                       [table, table])
        assert {persistence for _, persistence in cursor.fetchall()} == {"u"}
    statements = []
    original = ratelimit.unpinged.execute

    def explained(sql, params):
        statements.append((sql, params))
        return original(sql, params)

    ratelimit.unpinged.execute = explained
    try:
        ratelimit.hit(key="wal", limit=5, window=60, now=1000.0)
    finally:
        ratelimit.unpinged.execute = original
    (sql, params), = statements
    with connection.cursor() as cursor:
        for _ in range(2):  # the first inserts, the second updates: neither writes WAL
            cursor.execute("EXPLAIN (ANALYZE, WAL, FORMAT JSON) " + sql, params)
            plan = cursor.fetchone()[0][0]["Plan"]
            assert plan.get("WAL Records", 0) == 0, plan
    assert RateLimitCounter.objects.get(key="wal").hits == 3


@pytest.mark.skipif(connection.vendor != "postgresql", reason="Django's ping is PostgreSQL's SELECT 1 here")
def test_a_prediction_request_sends_the_count_and_the_insert_and_nothing_else(client, active_version, limited,
                                                                               monkeypatch):
    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    pings = []  # Django's health check (SELECT 1 on the raw connection, not in captured queries)
    original_is_usable = connections["default"].is_usable
    monkeypatch.setattr(connections["default"], "is_usable", lambda: pings.append(1) or original_is_usable())

    client.post("/api/v1/predictions", {"temperature": 20, "humidity": 60, "windspeed": 12},
                content_type="application/json", HTTP_X_FORWARDED_FOR="203.0.113.8")  # warm: model loaded
    # As at the start of every request in production (close_old_connections, which the test
    # client leaves out): the connection's health is unchecked, so Django would ping it first.
    connections["default"].health_check_done = False
    with CaptureQueriesContext(connections["default"]) as queries:
        response = client.post("/api/v1/predictions", {"temperature": 20, "humidity": 60, "windspeed": 12},
                               content_type="application/json", HTTP_X_FORWARDED_FOR="203.0.113.8")
    assert response.status_code == 201
    assert pings == []
    sent = [query["sql"].split()[0:3] for query in queries.captured_queries]
    assert sent == [["INSERT", "INTO", f'"{RateLimitCounter._meta.db_table}"'],
                    ["INSERT", "INTO", f'"{Prediction._meta.db_table}"']], queries.captured_queries


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's pg_terminate_backend")
def test_a_connection_the_server_dropped_is_replaced_and_the_request_counted(transactional_db):
    import psycopg2

    ratelimit.hit(key="dropped", limit=10, window=60, now=1000.0)
    backend_pid = connection.connection.info.backend_pid
    other = psycopg2.connect(**connection.get_connection_params())  # as a server restart or a proxy would
    try:
        with other, other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [backend_pid])
    finally:
        other.close()
    verdict = ratelimit.hit(key="dropped", limit=10, window=60, now=1001.0)
    assert connection.connection.info.backend_pid != backend_pid
    assert verdict.allowed and verdict.hits == 2
