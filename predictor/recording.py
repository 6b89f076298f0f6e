"""Writing predictions to the history table: one INSERT per prediction, one COPY per batch.

A prediction is stored by one parameterised INSERT, built once from the model's metadata. The
ORM's create() is one INSERT too (Model.save() opens no transaction for a model without
parents), but it compiles the statement anew on every call, a clear share of a prediction
request's CPU (bench/insert_cost.py, figures in bench/HISTORY.md). The INSERT also says ON
CONFLICT (id) DO NOTHING, so its retry on a new connection (predictor.unpinged) stores nothing
twice; create() cannot say that, and bulk_create(ignore_conflicts=True) wraps its INSERT in
BEGIN and COMMIT, two more round trips.

Large batches go through COPY in its binary format (one statement, so one transaction: all rows
or none), several times faster than a multi-row INSERT. Their instances are made without the
model's constructor (see new_predictions), the one private part of Django used here:
tests/test_recording.py fails if Django changes what it relies on. Only the service module calls
these functions.
"""
import io
import struct
from datetime import datetime, timedelta, timezone
from typing import Iterable

from django.db import connection
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init

from predictor import unpinged
from predictor.models import Prediction

_FIELDS = list(Prediction._meta.concrete_fields)
_TABLE = connection.ops.quote_name(Prediction._meta.db_table)
_PK_COLUMN = connection.ops.quote_name(Prediction._meta.pk.column)
# ON CONFLICT: a retry of an INSERT that was in fact committed (its answer lost with the
# connection) stores nothing twice; the id is made before the INSERT, never by the database.
_INSERT_SQL = (f"INSERT INTO {_TABLE} ({', '.join(connection.ops.quote_name(f.column) for f in _FIELDS)}) "
               f"VALUES ({', '.join(['%s'] * len(_FIELDS))}) ON CONFLICT ({_PK_COLUMN}) DO NOTHING")
# The fields COPY sends, in the order of its binary rows (_copy_binary).
_COPY_FIELDS = ("id", "temperature", "humidity", "windspeed", "predicted_count", "interval_low", "interval_high",
                "outside_training_range", "model_version_id", "created_at", "source")
_COPY_COLUMNS = ", ".join(connection.ops.quote_name(Prediction._meta.get_field(name).column) for name in _COPY_FIELDS)
_COPY_SQL = f"COPY {_TABLE} ({_COPY_COLUMNS}) FROM STDIN WITH (FORMAT binary)"
# A row naming exactly these fields leaves the model's constructor nothing to do but store them.
_ATTNAMES = tuple(field.attname for field in _FIELDS)
_EVERY_FIELD = frozenset(_ATTNAMES)
# COPY binary: signature, flags, header extension; per row the field count, then each field's
# byte length and value (uuid, 4 x float8, 2 x float8 or NULL (length -1), bool, bigint,
# timestamptz as µs since 2000, text); -1 ends the data.
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
_COPY_TRAILER = struct.pack(">h", -1)
_PG_EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)
_MICROSECOND = timedelta(microseconds=1)
# Below this many rows the ORM's one multi-row INSERT is as quick as setting up a COPY.
COPY_MIN_ROWS = 50


def new_predictions(rows: Iterable[dict]) -> list[Prediction]:
    """Unsaved Predictions, one per dict of field values by name, as Prediction(**row) makes them.

    The constructor is a good share of a large batch's CPU; a row that names every field needs
    none of its work (defaults, keyword checks) and nobody listens to its signals, so such rows
    get the instance it would make without it. Any other row goes through it.
    """
    if not _constructor_skippable():
        return [Prediction(**row) for row in rows]
    return [_as_constructed(row) if row.keys() == _EVERY_FIELD else Prediction(**row) for row in rows]


def _constructor_skippable() -> bool:
    # Model.__init__ sends pre_init and post_init: skipped only while no receiver would miss them.
    return not (pre_init.has_listeners(Prediction) or post_init.has_listeners(Prediction))


def _as_constructed(values: dict) -> Prediction:
    # What Model.__init__ leaves when every field is given by name: each value in the instance's
    # __dict__ and a fresh ModelState. tests/test_recording.py compares the two.
    prediction = Prediction.__new__(Prediction)
    prediction.__dict__.update(values)
    prediction._state = ModelState()
    return prediction


def insert_one(prediction: Prediction) -> None:
    """One INSERT; outside a transaction block it is committed when this returns.

    Sent without Django's connection ping (see predictor.unpinged): the INSERT is its own check,
    and ON CONFLICT makes its retry on a new connection store nothing twice.
    """
    unpinged.execute(_INSERT_SQL, _db_values(prediction))
    _mark_saved(prediction)


def _db_values(prediction: Prediction) -> list:
    if connection.vendor == "postgresql":
        # psycopg2 adapts a prediction's values (uuid, aware datetime, float, bool, int, str) as
        # they are: get_db_prep_save returns them unchanged, at a share of the request's CPU.
        # tests/test_recording.py fails if it ever changes one.
        return [getattr(prediction, name) for name in _ATTNAMES]
    return [field.get_db_prep_save(getattr(prediction, field.attname), connection) for field in _FIELDS]


def insert_many(predictions: list[Prediction]) -> None:
    """Store new predictions in one statement: all of them or none."""
    if len(predictions) < COPY_MIN_ROWS or connection.vendor != "postgresql":
        Prediction.objects.bulk_create(predictions)
    else:
        with connection.cursor() as cursor:
            cursor.copy_expert(_COPY_SQL, io.BytesIO(_copy_binary(predictions)))
    alias = connection.alias  # once: each lookup goes through the connection proxy
    for prediction in predictions:
        prediction._state.adding, prediction._state.db = False, alias


def _copy_binary(predictions: list[Prediction]) -> bytes:
    """COPY's binary format: packing numbers is several times cheaper than printing them as text,
    and PostgreSQL need not parse them back."""
    rows = [_COPY_HEADER]
    stamps, layouts = {}, {}
    for p in predictions:
        micros = stamps.get(p.created_at)
        if micros is None:
            micros = stamps[p.created_at] = (p.created_at - _PG_EPOCH) // _MICROSECOND
        source = p.source.encode()
        shape = (len(source), p.interval_low is None, p.interval_high is None)
        layout = layouts.get(shape) or layouts.setdefault(shape, _row_layout(*shape))
        values = [len(_COPY_FIELDS), 16, p.id.bytes, 8, p.temperature, 8, p.humidity, 8, p.windspeed,
                  8, p.predicted_count]
        for bound in (p.interval_low, p.interval_high):
            values += (-1,) if bound is None else (8, bound)
        values += (1, p.outside_training_range, 8, p.model_version_id, 8, micros, len(source), source)
        rows.append(layout.pack(*values))
    rows.append(_COPY_TRAILER)
    return b"".join(rows)


def _row_layout(source_length: int, low_is_null: bool, high_is_null: bool) -> struct.Struct:
    interval = "".join("i" if is_null else "id" for is_null in (low_is_null, high_is_null))
    return struct.Struct(f">hi16sidididid{interval}i?iqiqi{source_length}s")


def _mark_saved(prediction: Prediction) -> None:
    # As after Model.save(): the instance is now a stored row (append-only from here).
    prediction._state.adding = False
    prediction._state.db = connection.alias
