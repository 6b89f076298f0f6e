"""The floor: the least any app that stores every prediction from Python must do, as a bare WSGI
function under the service's own gunicorn settings.

It parses the JSON body, checks the three inputs' bounds, and sends one parameterised INSERT into
the history table (autocommit, over the same SSL connection settings as the service; one
connection per thread). No framework, no model, no rate limit: the service's throughput over
this app's says how close to the limit of "one committed INSERT per request" the service is.

    gunicorn --config gunicorn.conf.py --pythonpath bench floor_app:application
"""
import json
import os
import threading
from datetime import datetime, timezone

import psycopg2

from predictor.ids import new_id  # the service's time-ordered ids (plain Python): the same index cost

BOUNDS = {"temperature": (-40.0, 50.0), "humidity": (0.0, 100.0), "windspeed": (0.0, 120.0)}
INSERT = ("INSERT INTO predictor_prediction (id, temperature, humidity, windspeed, predicted_count, interval_low, "
          "interval_high, outside_training_range, model_version_id, created_at, source) "
          "VALUES (%s, %s, %s, %s, %s, %s, %s, false, %s, %s, 'api')")
_local = threading.local()


def _connection():
    connection = getattr(_local, "connection", None)
    if connection is None:
        connection = psycopg2.connect(os.environ["DATABASE_URL"],
                                      sslmode="require" if os.environ.get("DYNO") else "prefer")
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM predictor_modelversion WHERE is_active")
            _local.version_id = cursor.fetchone()[0]
        _local.connection = connection
    return connection


def application(environ, start_response):
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        inputs = json.loads(environ["wsgi.input"].read(length))
        values = [float(inputs[name]) for name in BOUNDS]
        if not all(low <= value <= high for value, (low, high) in zip(values, BOUNDS.values())):
            raise ValueError("out of bounds")
    except (ValueError, KeyError, TypeError):
        start_response("400 Bad Request", [("Content-Type", "application/json")])
        return [b'{"errors": {"body": ["invalid"]}}']
    connection = _connection()
    with connection.cursor() as cursor:
        cursor.execute(INSERT, [str(new_id()), *values, 4500.0, 3600.0, 5400.0, _local.version_id,
                                datetime.now(timezone.utc)])
    start_response("201 Created", [("Content-Type", "application/json")])
    return [b'{"predicted_count": 4500}']
