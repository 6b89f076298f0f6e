"""Writing predictions to the history table with as few round trips as PostgreSQL allows.

The ORM's create() costs three round trips (BEGIN, INSERT, COMMIT) and about twice the CPU of
one parameterised INSERT sent in autocommit mode, which PostgreSQL commits by itself. Large
batches go through COPY (one statement, so one transaction: all rows or none), several times
faster than a multi-row INSERT. The SQL is built from the model's own metadata, so it follows
the Prediction model; the model and its migrations stay as they are.
Only the service module calls these functions.
"""
import io

from django.db import connection

from predictor.models import Prediction

_FIELDS = [field for field in Prediction._meta.concrete_fields]
_TABLE = connection.ops.quote_name(Prediction._meta.db_table)
_COLUMNS = ", ".join(connection.ops.quote_name(field.column) for field in _FIELDS)
_ATTNAMES = tuple(field.attname for field in _FIELDS)
_INSERT_SQL = f"INSERT INTO {_TABLE} ({_COLUMNS}) VALUES ({', '.join(['%s'] * len(_FIELDS))})"
_COPY_SQL = f"COPY {_TABLE} ({_COLUMNS}) FROM STDIN"
# Below this many rows one multi-row INSERT beats setting up a COPY.
COPY_MIN_ROWS = 50


def insert_one(prediction: Prediction) -> None:
    """One INSERT; outside a transaction block it is committed when this returns."""
    values = [field.get_db_prep_save(getattr(prediction, field.attname), connection) for field in _FIELDS]
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_SQL, values)
    _mark_saved(prediction)


def insert_many(predictions: list[Prediction]) -> None:
    """Store new predictions in one statement: all of them or none."""
    if len(predictions) < COPY_MIN_ROWS or connection.vendor != "postgresql":
        Prediction.objects.bulk_create(predictions)
    else:
        rows = ([getattr(prediction, name) for name in _ATTNAMES] for prediction in predictions)
        with connection.cursor() as cursor:
            cursor.copy_expert(_COPY_SQL, io.StringIO(_copy_text(rows)))
    for prediction in predictions:
        _mark_saved(prediction)


def _copy_text(rows) -> str:
    # COPY text format: tab-separated, one line per row. Values here are UUIDs, numbers,
    # booleans, ISO timestamps and the source code: none contains a tab, newline or backslash.
    return "".join("\t".join(map(_copy_value, row)) + "\n" for row in rows)


def _copy_value(value) -> str:
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, float):
        return repr(value)  # shortest round-trip form: the stored double equals the Python float
    return str(value)


def _mark_saved(prediction: Prediction) -> None:
    # As after Model.save(): the instance is now a stored row (append-only from here).
    prediction._state.adding = False
    prediction._state.db = connection.alias
