"""Database errors are classified once (predictor/outage.py): a lost or refused connection is an
outage (503, Retry-After, one log line); any other database error is a bug (500, logged with its
traceback, nothing stored), on the API, the form page and in the rate-limit middleware."""
import contextlib
import json
import logging

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.backends.postgresql.base import DatabaseWrapper
from django.test import Client

from predictor.models import Prediction
from predictor.outage import is_outage

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's errors, as in production")

INPUTS = {"temperature": 15.0, "humidity": 60.0, "windspeed": 12.0}


def refused_connection_error():
    settings_dict = {**connection.settings_dict, "PORT": "1", "OPTIONS": {"connect_timeout": 2}}
    wrapper = DatabaseWrapper(settings_dict, alias="refused")
    try:
        wrapper.ensure_connection()
    except Exception as exc:
        return exc
    finally:
        wrapper.close()
    pytest.fail("a connection to port 1 was accepted")


@contextlib.contextmanager
def column_renamed(table: str, column: str):
    """A schema the code does not expect (a migration not applied, say): every statement using the
    column fails with PostgreSQL's own ProgrammingError, a bug rather than an outage."""
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER TABLE {table} RENAME COLUMN "{column}" TO "{column}_renamed"')
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'ALTER TABLE {table} RENAME COLUMN "{column}_renamed" TO "{column}"')


def test_a_refused_connection_is_an_outage(db):
    assert is_outage(refused_connection_error())


def test_a_statement_timeout_is_an_operational_error_but_not_an_outage(db):
    from django.db import OperationalError

    with pytest.raises(OperationalError) as caught, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = 1")
        cursor.execute("SELECT pg_sleep(1)")
    assert caught.value.__cause__.pgcode == "57014"  # query_canceled: the server answered
    assert not is_outage(caught.value)


def test_an_integrity_error_is_a_bug_not_an_outage(active_version):
    prediction = Prediction.objects.create(**INPUTS, predicted_count=1.0, model_version=active_version, source="api")
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Prediction.objects.create(id=prediction.id, **INPUTS, predicted_count=1.0, model_version=active_version,
                                  source="api")
    assert not is_outage(caught.value)


def test_a_database_bug_on_the_api_is_a_logged_500_in_json_with_nothing_stored(transactional_db, active_version,
                                                                               caplog):
    with column_renamed("predictor_prediction", "humidity"), caplog.at_level(logging.ERROR):
        response = Client(raise_request_exception=False).post("/api/v1/predictions", INPUTS,
                                                                content_type="application/json")
    assert response.status_code == 500, response.content
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {"errors": {"service": ["Internal error; nothing was stored."]}}
    assert "Retry-After" not in response
    assert any(record.exc_info and "humidity" in str(record.exc_info[1]) for record in caplog.records)
    assert Prediction.objects.count() == 0


def test_a_database_bug_on_the_form_page_is_the_500_page_logged_with_nothing_stored(transactional_db, active_version,
                                                                                    caplog):
    with column_renamed("predictor_prediction", "humidity"), caplog.at_level(logging.ERROR):
        response = Client(raise_request_exception=False).post("/", INPUTS)
    assert response.status_code == 500
    assert "temporarily unavailable" not in response.content.decode()
    assert any(record.exc_info and "humidity" in str(record.exc_info[1]) for record in caplog.records)
    assert Prediction.objects.count() == 0


def test_a_database_bug_in_the_rate_limit_middleware_is_a_500_not_an_outage(transactional_db, active_version,
                                                                            settings, caplog):
    settings.RATELIMIT_ENABLED, settings.RATELIMIT_REQUESTS = True, 1  # near the limit: counted in the database
    with column_renamed("predictor_ratelimitcounter", "hits"), caplog.at_level(logging.ERROR):
        response = Client(raise_request_exception=False).post("/api/v1/predictions", INPUTS,
                                                                content_type="application/json")
    assert response.status_code == 500
    assert json.loads(response.content)["errors"]
    assert any(record.exc_info for record in caplog.records)
    assert Prediction.objects.count() == 0


def test_a_database_that_never_answers_is_an_outage_after_the_connect_timeout_not_a_hang(db):
    import socket
    import time

    from django.conf import settings

    with socket.socket() as silent:  # the kernel completes the handshake; nobody ever answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        options = settings.DATABASES["default"]["OPTIONS"]
        wrapper = DatabaseWrapper({**connection.settings_dict, "PORT": str(silent.getsockname()[1]),
                                   "OPTIONS": options}, alias="silent")
        started = time.monotonic()
        with pytest.raises(Exception) as caught:
            wrapper.ensure_connection()
        waited = time.monotonic() - started
    assert options["connect_timeout"] == settings.DATABASE_CONNECT_TIMEOUT
    assert waited < settings.DATABASE_CONNECT_TIMEOUT + 3
    assert is_outage(caught.value)
