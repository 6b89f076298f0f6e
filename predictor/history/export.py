"""The prediction history as CSV: the one writer behind `manage.py export_history`, pruning's
archive and the admin's export.

It streams in keyset-paged chunks: each chunk is one `COPY (SELECT ... LIMIT n) TO STDOUT` read
through the created_at index, starting after the last row of the chunk before. Memory holds one
chunk whatever the size of the export, the first bytes leave after one chunk (Heroku's router
waits 30 s for them), no statement or transaction stays open between chunks, and PostgreSQL
formats the CSV itself (faster than Python's csv module). Other databases get the
same bytes from Python's csv module.
"""
import contextlib
import csv
import datetime as dt
import gzip
import io
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from django.db import connections
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

HEADER = ("id", "created_at", "source", "temperature", "humidity", "windspeed", "predicted_count",
          "interval_low", "interval_high", "outside_training_range", "model_version")
CHUNK_ROWS = 20_000
GZIP_LEVEL = 6  # gzip's own default: a fraction of level 9's time for nearly the same size

# Each column as PostgreSQL prints it: UTC ISO 8601 times, counts to one decimal, the version's
# label as ModelVersion.__str__ writes it, the inputs exactly as they were given.
_SQL_COLUMNS = {
    "x_id": "id",
    "x_created_at": """to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')""",
    "x_source": "source",
    "x_temperature": "temperature",
    "x_humidity": "humidity",
    "x_windspeed": "windspeed",
    "x_predicted_count": "round(predicted_count::numeric, 1)",
    "x_interval_low": "round(interval_low::numeric, 1)",
    "x_interval_high": "round(interval_high::numeric, 1)",
    "x_outside_training_range": "CASE WHEN outside_training_range THEN 'true' ELSE 'false' END",
    "x_model_version": "'v' || model_version_id",
}


def header_line() -> bytes:
    return (",".join(HEADER) + "\n").encode()


def csv_chunks(queryset: QuerySet, *, newest_first: bool = False, chunk_rows: int = CHUNK_ROWS,
               on_rows: Callable[[int], None] | None = None) -> Iterator[bytes]:
    """The CSV of the queryset's predictions (header first), oldest first unless newest_first."""
    yield header_line()
    sign = "-" if newest_first else ""
    after = None  # (created_at, id) of the last row written
    while True:
        page = queryset
        if after is not None:
            created_at, last_id = after
            if newest_first:
                page = page.filter(Q(created_at__lt=created_at) | Q(created_at=created_at, id__lt=last_id),
                                   created_at__lte=created_at)
            else:
                page = page.filter(Q(created_at__gt=created_at) | Q(created_at=created_at, id__gt=last_id),
                                   created_at__gte=created_at)
        page = page.order_by(f"{sign}created_at", f"{sign}id")[:chunk_rows]
        data, rows = _chunk(page)
        if not rows:
            return
        if on_rows:
            on_rows(rows)
        yield data
        if rows < chunk_rows:
            return
        after = _last_key(data)


def _chunk(page: QuerySet) -> tuple[bytes, int]:
    connection = connections[page.db]
    if connection.vendor != "postgresql":
        return _python_chunk(page)
    select = page.annotate(**{name: RawSQL(sql, ()) for name, sql in _SQL_COLUMNS.items()})
    sql, params = select.values_list(*_SQL_COLUMNS).query.sql_with_params()
    buffer = io.BytesIO()
    with connection.cursor() as cursor:
        query = cursor.mogrify(sql, params).decode()
        cursor.copy_expert(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)", buffer)
    data = buffer.getvalue()
    return data, data.count(b"\n")


def _python_chunk(page: QuerySet) -> tuple[bytes, int]:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    rows = 0
    for (pk, created_at, source, temperature, humidity, windspeed, count, low, high, outside,
         version_id) in page.values_list(
            "id", "created_at", "source", "temperature", "humidity", "windspeed", "predicted_count",
            "interval_low", "interval_high", "outside_training_range", "model_version_id").iterator():
        writer.writerow((pk, _iso(created_at), source, _shortest(temperature), _shortest(humidity),
                         _shortest(windspeed), _one_decimal(count),
                         _one_decimal(low), _one_decimal(high), "true" if outside else "false", f"v{version_id}"))
        rows += 1
    return text.getvalue().encode(), rows


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _shortest(value: float) -> str:
    """As PostgreSQL prints a float8: the shortest exact form, 60 rather than 60.0."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def _one_decimal(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _last_key(data: bytes) -> tuple[dt.datetime, uuid.UUID]:
    last = data.rstrip(b"\n").rsplit(b"\n", 1)[-1].decode()
    pk, created_at = last.split(",", 2)[:2]
    return dt.datetime.strptime(created_at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.timezone.utc), uuid.UUID(pk)


@contextlib.contextmanager
def open_output(path: Path | None, *, compress: bool):
    """A binary file to write CSV chunks to: path (gzip-compressed if compress), or stdout (None)."""
    if path is None:
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
    elif compress:
        with gzip.open(path, "wb", compresslevel=GZIP_LEVEL) as output:
            yield output
    else:
        with open(path, "wb") as output:
            yield output
