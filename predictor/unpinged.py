"""One statement on the default connection without Django's health check before it.

Django pings a reused connection (SELECT 1) before a request's first query when
CONN_HEALTH_CHECKS is on: a round trip as costly as the hot path's own statements
(bench/insert_cost.py times a request with and without it). Here the statement is the check:
if the connection turns out broken (the server restarted, a proxy dropped it), the statement is
retried once on a new connection, so a stale connection costs no failed request either way.
Used by the two statements of a prediction request (the rate-limit count and the prediction's
INSERT); every other query keeps Django's check.
"""
from django.db import InterfaceError, OperationalError, connection


def execute(sql: str, params: list) -> tuple | None:
    """Run sql (in autocommit mode: committed when this returns); its first row, if it returns rows."""
    try:
        _skip_djangos_check()
        return _execute(sql, params)
    except (OperationalError, InterfaceError):
        if not _connection_broken() or connection.in_atomic_block:
            raise  # an error of the statement itself, or a transaction to keep: not retried
        connection.close()
        return _execute(sql, params)  # on a new connection


def _skip_djangos_check() -> None:
    # The one private part of Django used here: Django pings before a cursor while
    # health_check_done is False (reset as each request starts; a new connection starts with it
    # True). tests/test_unpinged.py fails if Django changes that.
    if connection.connection is not None:
        connection.health_check_done = True


def _execute(sql: str, params: list) -> tuple | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone() if cursor.description else None


def _connection_broken() -> bool:
    raw = connection.connection
    # psycopg2 marks a connection it lost as closed (sqlite3 has no such flag: never retried)
    return raw is None or bool(getattr(raw, "closed", False))
