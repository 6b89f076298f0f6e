"""predictor.unpinged skips Django's connection ping through the private health_check_done: these
tests fail if a Django upgrade changes how Django's health check consults it."""
import pytest
from django.db import close_old_connections, connection

from predictor import unpinged

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="Django's ping is PostgreSQL's SELECT 1 here")


@pytest.fixture
def pings(transactional_db, monkeypatch):
    """Django's health checks of the default connection, counted (autocommit, as in a request)."""
    assert connection.settings_dict["CONN_HEALTH_CHECKS"]
    counted = []
    original_is_usable = connection.is_usable
    monkeypatch.setattr(connection, "is_usable", lambda: counted.append(1) or original_is_usable())
    connection.ensure_connection()
    return counted


def test_django_pings_a_reused_connection_before_the_first_query_of_a_request(pings):
    close_old_connections()  # as when each request starts (request_started)
    assert connection.health_check_done is False
    for _ in range(2):
        with connection.cursor() as cursor:
            cursor.execute("SELECT 2")
    assert len(pings) == 1  # once per request
    assert connection.health_check_done is True


def test_an_unpinged_statement_skips_the_ping_of_a_reused_connection(pings):
    close_old_connections()
    assert unpinged.execute("SELECT %s", [3]) == (3,)
    with connection.cursor() as cursor:  # the request's later queries: checked already
        cursor.execute("SELECT 4")
    assert pings == []


def test_a_new_connection_counts_as_checked_and_is_never_pinged(pings):
    connection.close()
    assert unpinged.execute("SELECT %s", [5]) == (5,)
    assert connection.health_check_done is True
    connection.close()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 6")
    assert pings == []
